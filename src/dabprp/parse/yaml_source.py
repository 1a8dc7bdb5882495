"""Fast YAML reading with locations: PyYAML's C composer, walked once into values + a location tree."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from dabprp.errors import DabprpError
from dabprp.facts import Location
from dabprp.limits import LONG_INTEGER, MAX_ALIAS_NODES, MAX_FILE_BYTES, MAX_NESTING, is_long_integer_error

try:
    _Loader: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _Loader = yaml.SafeLoader

MAX_YAML_BYTES = MAX_FILE_BYTES


def load_plain(text: str) -> Any:
    """Plain values, no locations, read with the C parser (PyYAML's pure-Python one is ~10x slower): for YAML
    dabprp dumped itself (plan blocks) and bundle files already read within the limits."""
    return yaml.load(text, Loader=_Loader)  # a safe loader (C or pure Python)


@dataclass(slots=True)
class LocNode:
    """Where a value was written, and where its children were (dict keys or list indexes)."""

    at: Location
    kids: dict[Any, LocNode] | list[LocNode] | None = None

    def child(self, key: Any) -> LocNode | None:
        if isinstance(self.kids, dict):
            return self.kids.get(key)
        if isinstance(self.kids, list) and isinstance(key, int) and 0 <= key < len(self.kids):
            return self.kids[key]
        return None

    def find(self, path: tuple[Any, ...] | list[Any]) -> LocNode | None:
        """The node at `path`, or None when some part of it is missing."""
        node: LocNode | None = self
        for key in path:
            node = node.child(key) if node is not None else None
        return node

    def locate(self, path: tuple[Any, ...] | list[Any]) -> Location:
        """The location of `path`, or of its nearest ancestor that exists."""
        node = self
        for key in path:
            nxt = node.child(key)
            if nxt is None:
                break
            node = nxt
        return node.at


@dataclass(slots=True)
class YamlDoc:
    """A parsed YAML file: plain values and their locations."""

    path: str
    value: Any
    loc: LocNode
    duplicate_keys: list[tuple[str, Location, Location]]


def read_text(abs_path: str, rel_path: str, limit: int = MAX_YAML_BYTES) -> str:
    """Read a text file, rejecting binary, huge, unreadable and non-UTF-8 files with one error."""
    from dabprp.confined_io import read_bytes

    try:
        data = read_bytes(abs_path, limit, rel_path)  # regular files only: a FIFO never blocks the read
    except OSError as exc:
        raise DabprpError(rel_path, None, f"cannot read file: {exc.strerror or exc}") from None
    if b"\x00" in data:
        raise DabprpError(rel_path, None, "binary file (contains NUL bytes); not read")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise DabprpError(rel_path, line, "file is not valid UTF-8") from None


def parse_yaml(text: str, rel_path: str) -> YamlDoc:
    """Parse one YAML document in one pass over the C parser's events (no recursion, so no depth crash).

    A syntax error, nesting deeper than MAX_NESTING, or aliases that expand to more than MAX_ALIAS_NODES
    values (a "billion laughs" document) become a DabprpError at their line."""
    builder = _Builder(rel_path)
    try:
        return builder.build(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        problem = exc.problem or exc.context or "invalid YAML"
        raise DabprpError(rel_path, line, f"invalid YAML: {problem}") from None
    except yaml.YAMLError as exc:
        raise DabprpError(rel_path, None, f"invalid YAML: {exc}") from None


def load_yaml(abs_path: str, rel_path: str) -> YamlDoc:
    return parse_yaml(read_text(abs_path, rel_path), rel_path)


_BOOL = {"true": True, "false": False, "yes": True, "no": False, "on": True, "off": False}
_STR = "tag:yaml.org,2002:str"
_MERGE = "tag:yaml.org,2002:merge"


class _Frame:
    """A mapping or sequence being built: its value, locations, and the node count below it."""

    __slots__ = ("anchor", "dict_keys", "first_seen", "key", "key_at", "kids", "loc", "merged", "size", "value")

    def __init__(self, value: Any, loc: LocNode, anchor: str | None) -> None:
        self.value = value
        self.loc = loc
        self.kids: Any = loc.kids
        self.anchor = anchor
        self.size = 1
        self.key: Any = _NO_KEY
        self.key_at: Location | None = None
        self.first_seen: dict[Any, Location] = {}
        self.merged: list[tuple[Any, LocNode]] = []
        self.dict_keys = isinstance(value, dict)


_NO_KEY = object()
_MERGE_KEY = object()


class _Builder:
    """Turns parser events into plain values + LocNodes, resolving anchors and `<<` merges."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.dups: list[tuple[str, Location, Location]] = []
        self.anchors: dict[str, tuple[Any, LocNode, int]] = {}
        self.expanded = 0
        self.constructor = yaml.SafeLoader.__new__(yaml.SafeLoader)
        yaml.constructor.SafeConstructor.__init__(self.constructor)
        self.lines: dict[int, Location] = {}
        """One Location per line (immutable, so shared): a key and its value on one line share it."""

    def at(self, event: Any) -> Location:
        line = event.start_mark.line + 1
        found = self.lines.get(line)
        if found is None:
            found = self.lines[line] = Location(self.path, line)
        return found

    def build(self, text: str) -> YamlDoc:
        loader = _Loader(text)
        try:
            return self._events(loader)
        finally:
            loader.dispose()

    def _events(self, loader: Any) -> YamlDoc:
        stack: list[_Frame] = []
        result: tuple[Any, LocNode] | None = None
        documents = 0
        get = loader.get_event
        resolve = loader.resolve
        tags: dict[tuple[str, Any], str] = {}
        while True:
            event = get()
            kind = type(event)
            if kind is yaml.ScalarEvent:
                tag = event.tag
                if tag is None or tag == "!":
                    cache_key = (event.value, event.implicit)
                    tag = tags.get(cache_key)
                    if tag is None:
                        tag = tags[cache_key] = resolve(yaml.ScalarNode, event.value, event.implicit)
                if stack and stack[-1].dict_keys and stack[-1].key is _NO_KEY:
                    self._set_key(stack[-1], event, tag)
                    if event.anchor is not None:
                        self._anchor(event, stack[-1].key, LocNode(stack[-1].key_at or Location(self.path, 1)), 1)
                    continue
                value = self._scalar(tag, event)
                loc = LocNode(self.at(event))
                if event.anchor is not None:
                    self._anchor(event, value, loc, 1)
                result = self._add(stack, value, loc, 1, event)
            elif kind is yaml.MappingStartEvent or kind is yaml.SequenceStartEvent:
                if len(stack) >= MAX_NESTING:
                    raise DabprpError(self.path, event.start_mark.line + 1,
                                      f"nesting deeper than {MAX_NESTING} levels; not read")
                at = self.at(event)
                if kind is yaml.MappingStartEvent:
                    stack.append(_Frame({}, LocNode(at, {}), event.anchor))
                else:
                    stack.append(_Frame([], LocNode(at, []), event.anchor))
            elif kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
                frame = stack.pop()
                if frame.merged:
                    self._apply_merges(frame)
                if frame.anchor is not None:
                    self._anchor(event, frame.value, frame.loc, frame.size, frame.anchor)
                result = self._add(stack, frame.value, frame.loc, frame.size, event)
            elif kind is yaml.AliasEvent:
                target = self.anchors.get(event.anchor)
                if target is None:
                    raise yaml.composer.ComposerError(None, None, f"found undefined alias {event.anchor!r}",
                                                      event.start_mark)
                value, loc, size = target
                self.expanded += size
                if self.expanded > MAX_ALIAS_NODES:
                    raise DabprpError(self.path, event.start_mark.line + 1,
                                      f"aliases expand to more than {MAX_ALIAS_NODES} values; not read")
                if stack and stack[-1].dict_keys and stack[-1].key is _NO_KEY:
                    self._set_key(stack[-1], event, None, value)
                    continue
                result = self._add(stack, value, loc, size, event)
            elif kind is yaml.DocumentStartEvent:
                documents += 1
                if documents > 1:
                    raise yaml.composer.ComposerError("expected a single document in the stream", None,
                                                      "but found another document", event.start_mark)
            elif kind is yaml.StreamEndEvent:
                break
        if result is None:
            return YamlDoc(self.path, None, LocNode(Location(self.path, 1)), self.dups)
        return YamlDoc(self.path, result[0], result[1], self.dups)

    def _anchor(self, event: Any, value: Any, loc: LocNode, size: int, name: str | None = None) -> None:
        name = name or event.anchor
        if name in self.anchors:
            raise yaml.composer.ComposerError(None, None, f"found duplicate anchor {name!r}", event.start_mark)
        self.anchors[name] = (value, loc, size)

    def _set_key(self, frame: _Frame, event: Any, tag: str | None, alias_value: Any = _NO_KEY) -> None:
        where = self.at(event)
        if tag == _MERGE:
            frame.key = _MERGE_KEY
        elif alias_value is not _NO_KEY:
            frame.key = alias_value if isinstance(alias_value, (str, int, float, bool)) else f"<key at {where}>"
        else:
            key = self._scalar(tag or _STR, event)
            frame.key = key if isinstance(key, (str, int, float, bool)) else str(key)
        frame.key_at = where

    def _add(self, stack: list[_Frame], value: Any, loc: LocNode, size: int, event: Any) -> tuple[Any, LocNode]:
        if not stack:
            return value, loc
        parent = stack[-1]
        parent.size += size
        if not parent.dict_keys:
            parent.value.append(value)
            parent.kids.append(loc)
            return value, loc
        key = parent.key
        if key is _NO_KEY:  # a mapping or sequence used as a key
            parent.key = f"<key at {Location(self.path, event.start_mark.line + 1)}>"
            parent.key_at = loc.at
            return value, loc
        parent.key = _NO_KEY
        if key is _MERGE_KEY:
            sources = zip(value, loc.kids, strict=False) if isinstance(value, list) and isinstance(loc.kids, list) \
                else [(value, loc)]
            parent.merged.extend(sources)
            self.expanded += size
            return value, loc
        where = parent.key_at or loc.at
        if key in parent.first_seen:
            self.dups.append((str(key), parent.first_seen[key], where))
        parent.first_seen[key] = where
        parent.value[key] = value
        # the key's line is where a reader looks for the entry
        parent.kids[key] = LocNode(where, loc.kids)
        return value, loc

    def _apply_merges(self, frame: _Frame) -> None:
        values, kids = frame.value, frame.kids
        for mvalue, mloc in frame.merged:
            if isinstance(mvalue, dict) and isinstance(mloc.kids, dict):
                for k, v in mvalue.items():
                    if k not in values:
                        values[k] = v
                        kids[k] = mloc.kids[k]

    def _scalar(self, tag: str, event: Any) -> Any:
        if tag == _STR:
            return event.value
        if tag == "tag:yaml.org,2002:bool":
            return _BOOL.get(event.value.lower(), event.value)
        if tag == "tag:yaml.org,2002:null":
            return None
        if tag in ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float"):
            node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
            try:
                return self.constructor.construct_object(node, deep=True)
            except (ValueError, yaml.YAMLError) as exc:
                if is_long_integer_error(exc):
                    raise DabprpError(self.path, event.start_mark.line + 1, LONG_INTEGER) from None
                return event.value
        return event.value  # timestamps, custom tags: keep the text
