"""Inline suppressions: `# dabprp: ignore[RULE-ID, …]` on the offending line or the line above."""

from __future__ import annotations

import re

from dabprp.facts import Location
from dabprp.findings import matches_rule_id
from dabprp.fingerprints import SourceLines
from dabprp.records import record

SUPPRESS_RE = re.compile(r"#\s*dabprp:\s*ignore\[([A-Za-z0-9_,\s-]+)\]")
SCANNED_SUFFIXES = (".py", ".yml", ".yaml")


@record
class Suppression:
    location: Location
    rule_ids: tuple[str, ...]


def find_suppressions(files: tuple[str, ...], sources: SourceLines) -> list[Suppression]:
    out = []
    for path in files:
        if not path.endswith(SCANNED_SUFFIXES):
            continue
        for number, text in enumerate(sources.lines(path), 1):
            if "dabprp:" not in text:
                continue
            match = SUPPRESS_RE.search(text)
            if match:
                ids = tuple(sorted({p.strip().upper() for p in match.group(1).split(",") if p.strip()}))
                out.append(Suppression(Location(path, number), ids))
    return out


def covers(s: Suppression, rule_id: str, where: Location) -> bool:
    """A suppression on line N covers findings on N and N+1 (the comment may sit on the line above)."""
    if s.location.path != where.path or where.line not in (s.location.line, s.location.line + 1):
        return False
    return matches_rule_id(rule_id, s.rule_ids)
