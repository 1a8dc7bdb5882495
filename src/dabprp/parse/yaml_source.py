"""Fast YAML reading with locations: PyYAML's C composer, walked once into values + a location tree."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from dabprp.errors import DabprpError
from dabprp.facts import Location

try:
    _Loader: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _Loader = yaml.SafeLoader

MAX_YAML_BYTES = 5_000_000


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
    """Parse one YAML document; a syntax error becomes a DabprpError at its line."""
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        problem = exc.problem or exc.context or "invalid YAML"
        raise DabprpError(rel_path, line, f"invalid YAML: {problem}") from None
    except yaml.YAMLError as exc:
        raise DabprpError(rel_path, None, f"invalid YAML: {exc}") from None
    dups: list[tuple[str, Location, Location]] = []
    if node is None:
        return YamlDoc(rel_path, None, LocNode(Location(rel_path, 1)), dups)
    walker = _Walker(rel_path, dups)
    value, loc = walker.walk(node)
    return YamlDoc(rel_path, value, loc, dups)


def load_yaml(abs_path: str, rel_path: str) -> YamlDoc:
    return parse_yaml(read_text(abs_path, rel_path), rel_path)


_BOOL = {"true": True, "false": False, "yes": True, "no": False, "on": True, "off": False}


class _Walker:
    """Turns composed nodes into plain values, resolving anchors and `<<` merges."""

    def __init__(self, path: str, dups: list[tuple[str, Location, Location]]) -> None:
        self.path = path
        self.dups = dups
        self.memo: dict[int, tuple[Any, LocNode]] = {}
        self.constructor = yaml.SafeLoader.__new__(yaml.SafeLoader)
        yaml.constructor.SafeConstructor.__init__(self.constructor)

    def here(self, node: yaml.Node) -> Location:
        return Location(self.path, node.start_mark.line + 1)

    def walk(self, node: yaml.Node) -> tuple[Any, LocNode]:
        key = id(node)
        if key in self.memo:
            return self.memo[key]
        if isinstance(node, yaml.MappingNode):
            out = self._mapping(node)
        elif isinstance(node, yaml.SequenceNode):
            values: list[Any] = []
            kids: list[LocNode] = []
            result = (values, LocNode(self.here(node), kids))
            self.memo[key] = result
            for item in node.value:
                v, loc = self.walk(item)
                values.append(v)
                kids.append(loc)
            return result
        else:
            assert isinstance(node, yaml.ScalarNode)
            out = (self._scalar(node), LocNode(self.here(node)))
        self.memo[key] = out
        return out

    def _scalar(self, node: yaml.ScalarNode) -> Any:
        tag = node.tag
        if tag == "tag:yaml.org,2002:str":
            return node.value
        if tag == "tag:yaml.org,2002:bool":
            return _BOOL.get(node.value.lower(), node.value)
        if tag == "tag:yaml.org,2002:null":
            return None
        if tag in ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float"):
            try:
                return self.constructor.construct_object(node, deep=True)
            except (ValueError, yaml.YAMLError):
                return node.value
        return node.value  # timestamps, custom tags: keep the text

    def _mapping(self, node: yaml.MappingNode) -> tuple[Any, LocNode]:
        values: dict[Any, Any] = {}
        kids: dict[Any, LocNode] = {}
        first_seen: dict[Any, Location] = {}
        merged: list[tuple[Any, LocNode]] = []
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                sources = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
                for src in sources:
                    merged.append(self.walk(src))
                continue
            key = self._scalar(key_node) if isinstance(key_node, yaml.ScalarNode) else str(key_node.start_mark)
            if not isinstance(key, (str, int, float, bool)) or key is None:
                key = str(key)
            where = Location(self.path, key_node.start_mark.line + 1)
            if key in first_seen:
                self.dups.append((str(key), first_seen[key], where))
            first_seen[key] = where
            value, loc = self.walk(value_node)
            values[key] = value
            # the key's line is where a reader looks for the entry
            kids[key] = LocNode(where, loc.kids)
        for mvalue, mloc in merged:
            if isinstance(mvalue, dict) and isinstance(mloc.kids, dict):
                for k, v in mvalue.items():
                    if k not in values:
                        values[k] = v
                        kids[k] = mloc.kids[k]
        return values, LocNode(self.here(node), kids)
