"""Bundle `include` globs matched against relative paths, as the loader expands them (`**` spans folders)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache


@lru_cache(maxsize=256)
def _compile(pattern: str) -> re.Pattern[str]:
    parts = [p for p in pattern.replace("\\", "/").removeprefix("./").split("/") if p not in ("", ".")]
    regex = ""
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if part == "**":
            regex += "(?:[^/]+/)*" if not last else "(?:[^/]+(?:/[^/]+)*)?"
            continue
        regex += _segment(part) + ("" if last else "/")
    return re.compile(regex + r"\Z")


def _segment(part: str) -> str:
    """One path segment: `*` and `?` never cross `/`; `[...]` is a character class."""
    out, i = "", 0
    while i < len(part):
        c = part[i]
        close = part.find("]", i + 2) if c == "[" else -1
        if c == "*":
            out += "[^/]*"
        elif c == "?":
            out += "[^/]"
        elif close != -1:
            body = part[i + 1:close]
            out += "[" + ("^" + body[1:] if body.startswith("!") else body).replace("\\", "\\\\") + "]"
            i = close
        else:
            out += re.escape(c)
        i += 1
    return out


def include_matches(pattern: str, path: str) -> bool:
    """Whether the include glob `pattern` (relative to the bundle root) selects the file `path`."""
    return _compile(pattern).match(path.removeprefix("./")) is not None


def matches_any(patterns: Iterable[str], path: str) -> bool:
    return any(include_matches(p, path) for p in patterns if isinstance(p, str))


def expand(patterns: Iterable[str], files: Iterable[str]) -> list[tuple[str, list[str]]]:
    """Each pattern with the files it selects, in order; a file selected twice counts once (first pattern)."""
    listed = sorted(set(files))
    seen: set[str] = set()
    out = []
    for pattern in patterns:
        hits = [f for f in listed if f not in seen and include_matches(pattern, f)]
        seen.update(hits)
        out.append((pattern, hits))
    return out
