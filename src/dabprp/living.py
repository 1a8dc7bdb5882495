"""The PRP as a living document: generated regions, stable item IDs with checkboxes, in-place updates.

A region is `<!-- dabprp:begin NAME DIGEST -->` … `<!-- dabprp:end NAME -->`, each marker on its own line
outside code fences. DIGEST hashes what dabprp wrote (ticks and line endings aside), so a regeneration can
tell its own text from the user's. Everything outside well-formed regions is the user's and kept byte for
byte; ambiguous markers make the update refuse. Scanning is one linear pass over the lines."""

from __future__ import annotations

import re
from collections.abc import Callable

from dabprp.digest import sha256
from dabprp.errors import DabprpError
from dabprp.records import record

BEGIN = "<!-- dabprp:begin {name} -->"
END = "<!-- dabprp:end {name} -->"
MARKER_RE = re.compile(r"[ \t]*<!--[ \t]*dabprp:(begin|end)[ \t]+([a-z0-9-]+)(?:[ \t]+([0-9a-f]{12}))?[ \t]*-->[ \t]*")
MARKER_HINT_RE = re.compile(r"<!--.*dabprp:(?:begin|end)")
ITEM_RE = re.compile(r"^- \[( |x|X)\] \*\*([A-Z][A-Za-z0-9-]*)\*\* (.*)$", re.M)
TICK_RE = re.compile(r"^- \[[xX]\] ", re.M)
FENCE_RE = re.compile(r" {0,3}(`{3,}|~{3,})(.*)")
LINE_RE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")


@record
class Item:
    id: str
    checked: bool
    text: str


@record
class Region:
    name: str
    digest: str | None
    begin: int
    """Index of the begin marker line."""
    end: int
    """Index of the end marker line."""


class MarkerError(ValueError):
    """Markers whose meaning is ambiguous; `line` is 1-based."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line


def wrap(name: str, content: str) -> str:
    body = content if content.endswith("\n") else content + "\n"
    return f"{BEGIN.format(name=name)}\n{body}{END.format(name=name)}\n"


def split_lines(text: str) -> list[str]:
    """Lines with their own endings (\\r\\n, \\r or \\n) kept; joining them gives `text` back."""
    return LINE_RE.findall(text)


def _body(line: str) -> str:
    return line.rstrip("\r\n")


def _ending(line: str) -> str:
    return line[len(_body(line)):]


def digest(content: str) -> str:
    """Hash of region content as dabprp wrote it: line endings and ticked boxes do not count."""
    normal = TICK_RE.sub("- [ ] ", content.replace("\r\n", "\n").replace("\r", "\n"))
    return sha256(normal.encode("utf-8")).hexdigest()[:12]


def scan(lines: list[str], known: Callable[[str], bool] = lambda name: True) -> list[Region]:
    """The well-formed regions whose names are `known`; MarkerError when the markers are ambiguous.
    Markers inside code fences are text; markers of unknown names are the user's text."""
    out: list[Region] = []
    seen: set[str] = set()
    current: tuple[str, int, str | None] | None = None
    fence: tuple[str, int, int] | None = None  # (char, length, line index)
    hidden_marker: int | None = None
    for i, line in enumerate(lines):
        body = _body(line)
        opening = FENCE_RE.fullmatch(body)
        if fence is not None:
            if opening and opening.group(1)[0] == fence[0] and len(opening.group(1)) >= fence[1] \
                    and not opening.group(2).strip():
                fence, hidden_marker = None, None
            elif hidden_marker is None and MARKER_HINT_RE.search(body):
                hidden_marker = i
            continue
        if opening and not (opening.group(1)[0] == "`" and "`" in opening.group(2)):
            fence = (opening.group(1)[0], len(opening.group(1)), i)
            continue
        if not MARKER_HINT_RE.search(body):
            continue
        match = MARKER_RE.fullmatch(body)
        if match is None:
            raise MarkerError(i + 1, "malformed dabprp marker (expected `<!-- dabprp:begin NAME -->` or "
                                     "`<!-- dabprp:end NAME -->` alone on its line)")
        kind, name, stamp = match.groups()
        if not known(name):
            continue
        if kind == "begin":
            if current is not None:
                raise MarkerError(i + 1, f"region `{name}` begins inside region `{current[0]}` "
                                         f"(line {current[1] + 1}), whose end marker is missing")
            if name in seen:
                raise MarkerError(i + 1, f"region `{name}` appears twice")
            current = (name, i, stamp)
        else:
            if current is None or current[0] != name:
                raise MarkerError(i + 1, f"end marker of region `{name}` without its begin marker")
            out.append(Region(name, current[2], current[1], i))
            seen.add(name)
            current = None
    if current is not None:
        raise MarkerError(current[1] + 1, f"region `{current[0]}` has no end marker")
    if fence is not None and hidden_marker is not None:
        raise MarkerError(fence[2] + 1, f"a code fence opened here is never closed and hides the dabprp marker "
                                        f"at line {hidden_marker + 1}")
    return out


def _content(lines: list[str], region: Region) -> str:
    return "".join(lines[region.begin + 1:region.end])


def regions(text: str) -> dict[str, str]:
    """Region name → content, for a well-formed document (MarkerError otherwise)."""
    lines = split_lines(text)
    return {r.name: _content(lines, r) for r in scan(lines)}


def parse_items(text: str) -> dict[str, Item]:
    """Checklist items of the generated regions (user text outside them is never read)."""
    lines = split_lines(text)
    return parse_items_of(lines, scan(lines))


def stamp(text: str, known: Callable[[str], bool] = lambda name: True) -> str:
    """`text` with the begin marker of each `known` region carrying the digest of its current content."""
    lines = split_lines(text)
    for region in scan(lines, known):
        line = lines[region.begin]
        lines[region.begin] = f"<!-- dabprp:begin {region.name} {digest(_content(lines, region))} -->{_ending(line)}"
    return "".join(lines)


def is_living_document(text: str) -> bool:
    """Whether `text` holds at least one well-formed dabprp region (a PRP that dabprp wrote)."""
    try:
        return bool(scan(split_lines(text)))
    except MarkerError:
        return True  # damaged, but a PRP: merge reports exactly what is wrong


def _with_ticks(content: str, ticked: set[str]) -> str:
    def tick(m: re.Match[str]) -> str:
        return f"- [x] **{m.group(2)}** {m.group(3)}" if m.group(2) in ticked else m.group(0)

    return ITEM_RE.sub(tick, content)


def _convert(text: str, newline: str) -> str:
    return text if newline == "\n" else text.replace("\n", newline)


@record
class Merged:
    text: str
    notes: tuple[str, ...]


def merge(old: str, new: str, path: str = "PRP") -> Merged:
    """`old` with each of its well-formed generated regions replaced by `new`'s; every other byte of `old`
    kept (line endings included), ticks the user set kept. A region whose text was edited by hand is kept
    as it is (noted); one whose end marker was moved down keeps the user's lines after the new end marker.
    Regions only `new` has are inserted after the region that precedes them in `new`. Ambiguous markers
    raise DabprpError and nothing is merged."""
    fresh = regions(new)
    order = list(fresh)
    lines = split_lines(old)
    try:
        found = scan(lines, known=lambda name: name in fresh)
    except MarkerError as exc:
        raise DabprpError(path, exc.line, f"{exc}; the PRP was not changed (fix the markers, or --force)") from None
    ticked = {item_id for item_id, item in parse_items_of(lines, found).items() if item.checked}
    present = {r.name for r in found}
    _refuse_deleted_markers(lines, found, fresh, present, path)
    newline = _ending(lines[found[0].begin]) if found else next((_ending(x) for x in lines if _ending(x)), "\n")
    notes: list[str] = []
    kept: set[str] = set()
    out: list[str] = []
    pos = 0
    after: dict[str, int] = {}
    for region in found:
        out.append("".join(lines[pos:region.begin]))
        ending = _ending(lines[region.begin]) or newline
        content = _content(lines, region)
        tail = ""
        if region.digest is not None and digest(content) != region.digest:
            split = _generated_prefix(lines, region)
            if split is None:
                notes.append(f"{path}:{region.begin + 1}: region `{region.name}` was edited by hand; kept as it "
                             "is, not refreshed (move your text outside the region to have it refreshed)")
                out.append("".join(lines[region.begin:region.end + 1]))
                kept.add(region.name)
                after[region.name] = len(out)
                pos = region.end + 1
                continue
            tail = "".join(lines[split:region.end])
        body = _convert(_with_ticks(fresh[region.name], ticked), ending)
        end_ending = _ending(lines[region.end]) or (ending if tail else "")
        out.append(f"<!-- dabprp:begin {region.name} -->{ending}{body}"
                   f"<!-- dabprp:end {region.name} -->{end_ending}{tail}")
        after[region.name] = len(out)
        pos = region.end + 1
    out.append("".join(lines[pos:]))
    for name in (n for n in order if n not in present):
        previous = [n for n in order[:order.index(name)] if n in after]
        index = after[previous[-1]] if previous else len(out)
        out.insert(index, _convert(wrap(name, _with_ticks(fresh[name], ticked)), newline))
        for key, value in after.items():
            if value >= index:
                after[key] = value + 1
        after[name] = index + 1
    # a kept region keeps its old digest, so it is recognised as edited the next time too
    return Merged(stamp("".join(out), known=lambda name: name in fresh and name not in kept), tuple(notes))


def parse_items_of(lines: list[str], found: list[Region]) -> dict[str, Item]:
    items: dict[str, Item] = {}
    for region in found:
        content = _content(lines, region).replace("\r\n", "\n").replace("\r", "\n")
        for m in ITEM_RE.finditer(content):
            items[m.group(2)] = Item(m.group(2), m.group(1).lower() == "x", m.group(3))
    return items


def _generated_prefix(lines: list[str], region: Region) -> int | None:
    """The line index where the text dabprp wrote ends inside a region whose end marker was moved down past
    the user's lines (the content up to there matches the region's digest); None if there is no such line."""
    running = sha256()
    for i in range(region.begin + 1, region.end):
        line = lines[i]
        normal = TICK_RE.sub("- [ ] ", line.replace("\r\n", "\n").replace("\r", "\n"))
        running.update(normal.encode("utf-8"))
        if running.copy().hexdigest()[:12] == region.digest:
            return i + 1
    return None


def _refuse_deleted_markers(lines: list[str], found: list[Region], fresh: dict[str, str], present: set[str],
                            path: str) -> None:
    """A region missing from `old` whose first line (its heading) is still there had its markers deleted:
    inserting it again would duplicate the section."""
    inside = {i for r in found for i in range(r.begin, r.end + 1)}
    text_lines = {_body(line).strip(): i for i, line in enumerate(lines) if i not in inside}
    for name, content in fresh.items():
        if name in present:
            continue
        first = next((x.strip() for x in content.split("\n") if x.strip()), "")
        if first and first in text_lines:
            raise DabprpError(path, text_lines[first] + 1,
                              f"the markers of region `{name}` were removed but its text is still here; "
                              "the PRP was not changed (restore the markers, or --force)")

