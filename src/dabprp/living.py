"""The PRP as a living document: generated regions, stable item IDs with checkboxes, in-place updates."""

from __future__ import annotations

import re
from dataclasses import dataclass

BEGIN = "<!-- dabprp:begin {name} -->"
END = "<!-- dabprp:end {name} -->"
REGION_RE = re.compile(r"<!-- dabprp:begin ([a-z0-9-]+) -->\n(.*?)<!-- dabprp:end \1 -->\n?", re.S)
ITEM_RE = re.compile(r"^- \[( |x|X)\] \*\*([A-Z][A-Za-z0-9-]*)\*\* (.*)$", re.M)


@dataclass(frozen=True, slots=True)
class Item:
    id: str
    checked: bool
    text: str


def wrap(name: str, content: str) -> str:
    body = content if content.endswith("\n") else content + "\n"
    return f"{BEGIN.format(name=name)}\n{body}{END.format(name=name)}\n"


def regions(text: str) -> dict[str, str]:
    return {m.group(1): m.group(2) for m in REGION_RE.finditer(text)}


def parse_items(text: str) -> dict[str, Item]:
    """Checklist items of the generated regions (user text outside them is never read)."""
    items: dict[str, Item] = {}
    for content in regions(text).values():
        for m in ITEM_RE.finditer(content):
            items[m.group(2)] = Item(m.group(2), m.group(1).lower() == "x", m.group(3))
    return items


def merge(old: str, new: str) -> str:
    """`old` with each generated region replaced by `new`'s; user text outside regions kept byte for byte.
    Regions only `new` has are inserted after the region that precedes them in `new`."""
    fresh = regions(new)
    order = list(fresh)
    out: list[str] = []
    pos = 0
    present: set[str] = set()
    last_region_end: dict[str, int] = {}
    for m in REGION_RE.finditer(old):
        out.append(old[pos:m.start()])
        name = m.group(1)
        present.add(name)
        if name in fresh:
            out.append(wrap(name, fresh[name]))
        last_region_end[name] = len(out)
        pos = m.end()
    out.append(old[pos:])
    missing = [n for n in order if n not in present]
    for name in missing:
        previous = [n for n in order[:order.index(name)] if n in last_region_end]
        index = last_region_end[previous[-1]] if previous else len(out)
        out.insert(index, wrap(name, fresh[name]))
        for key, value in last_region_end.items():
            if value >= index:
                last_region_end[key] = value + 1
        last_region_end[name] = index + 1
    return "".join(out)
