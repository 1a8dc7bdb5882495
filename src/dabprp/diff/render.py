"""`dabprp diff` output: terminal text and JSON, from the DiffReport only."""

from __future__ import annotations

import json

from dabprp.diff.compare import DiffReport

SYMBOLS = {"created": "+", "modified": "~", "deleted": "-", "renamed": "-/+", "recreated": "-/+", "moved": "!",
           "mode": "!"}


def render_text(report: DiffReport, allow_destroy: bool) -> str:
    lines = [f"dabprp diff: {report.base} → {report.head}"]
    for target in report.targets:
        changes = [c for c in report.changes if c.target == target]
        lines.append(f"target {target}: " + (", ".join(f"{n} {a}" for a, n in _counts(changes)) or "no changes"))
        for c in changes:
            fields = f" ({', '.join(c.fields)})" if c.fields and c.action in ("modified", "recreated") else ""
            where = f"  [{c.location}]" if c.location else ""
            detail = f": {c.detail}" if c.detail else ""
            bind = f"; {c.bind}" if c.bind else ""
            lines.append(f"  {SYMBOLS[c.action]:>3} {c.action:<9} {c.what}{fields}{detail}{bind}{where}")
    bad = report.destructive
    if bad:
        verdict = "accepted with --allow-destroy" if allow_destroy else "exit 1; --allow-destroy to accept"
        lines.append(f"{len(bad)} change(s) destroy, recreate or move something deployed ({verdict})")
    else:
        lines.append("nothing deployed is destroyed, recreated or moved")
    return "\n".join(lines) + "\n"


def render_json(report: DiffReport, allow_destroy: bool) -> str:
    data = {
        "base": report.base, "head": report.head, "targets": list(report.targets),
        "destructive": len(report.destructive), "allow_destroy": allow_destroy,
        "changes": [{"target": c.target, "action": c.action, "what": c.what, "fields": list(c.fields),
                     "detail": c.detail, "destructive": c.destructive, "bind": c.bind or None,
                     "path": c.location.path if c.location else None,
                     "line": c.location.line if c.location else None} for c in report.changes],
    }
    return json.dumps(data, indent=2, sort_keys=False) + "\n"


def _counts(changes: list) -> list[tuple[str, int]]:
    out: dict[str, int] = {}
    for c in changes:
        out[c.action] = out.get(c.action, 0) + 1
    return sorted(out.items())
