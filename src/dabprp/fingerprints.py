"""Fingerprints that survive unrelated edits: rule ID + file + a hash of the offending line's content."""

from __future__ import annotations

import os
from collections import Counter

from dabprp.confined_io import confine, read_bytes
from dabprp.digest import sha256
from dabprp.errors import DabprpError
from dabprp.findings import Finding


class SourceLines:
    """Lines of the project's files, read once each (missing or unreadable files have none)."""

    def __init__(self, root: str) -> None:
        self.root = root
        self._cache: dict[str, list[str]] = {}

    def lines(self, path: str) -> list[str]:
        if path not in self._cache:
            try:  # regular files only, never through a link that leaves the root
                full = confine(self.root, os.path.join(self.root, path))
                self._cache[path] = read_bytes(full).decode("utf-8", errors="replace").splitlines()
            except (OSError, ValueError, DabprpError):
                self._cache[path] = []
        return self._cache[path]

    def line(self, path: str, number: int) -> str:
        lines = self.lines(path)
        return lines[number - 1] if 1 <= number <= len(lines) else ""


def fingerprints(findings: tuple[Finding, ...], sources: SourceLines) -> dict[int, str]:
    """index of each finding → its fingerprint; repeats of one (rule, file, content) get an occurrence number."""
    seen: Counter[tuple[str, str, str]] = Counter()
    out: dict[int, str] = {}
    for i, f in enumerate(findings):
        # line 1 is where file-level findings ("no tests", "no permissions") point: their subject is the
        # message, not whatever text happens to open the file
        text = f.message if f.location.line == 1 else sources.line(f.location.path, f.location.line)
        content = " ".join(text.split())
        key = (f.rule_id, f.location.path, content)
        occurrence = seen[key]
        seen[key] += 1
        raw = f"{f.rule_id}\0{f.location.path}\0{content}\0{occurrence}"
        out[i] = sha256(raw.encode()).hexdigest()[:20]
    return out
