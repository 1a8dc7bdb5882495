"""`dabprp status`: each item of an existing PRP re-checked against the project (done / open / regressed)."""

from __future__ import annotations

import os
import re
from typing import Any

from dabprp import living
from dabprp.api import gaps, plan, read_prp
from dabprp.errors import DabprpError
from dabprp.records import record

DEFAULT_PRP = os.path.join("PRPs", "multi-stage-deployment.md")
PREFIX_RE = re.compile(r"^`(DAB\d{3})`(?: [a-z]+, [a-z]+)?:? ")
STATES = ("done", "open", "regressed")
LOCATION_RE = re.compile(r" ?\(?(?:to create: `[^`]+`|`[^`\s]+:\d+`)\)?:?")


@record
class ItemStatus:
    id: str
    kind: str
    """`task` (roadmap) or `gap` (finding)."""
    state: str
    """`done`, `open` or `regressed` (was ticked, open again)."""
    evidence: tuple[str, ...]
    text: str
    title: str
    """What the item is: the roadmap task's title, or the gap's finding."""


@record
class StatusReport:
    prp: str
    items: tuple[ItemStatus, ...]

    def count(self, state: str) -> int:
        return sum(1 for i in self.items if i.state == state)

    def to_data(self, root: str) -> dict[str, Any]:
        """What `status --format json` prints and the MCP `status` tool returns (`prp` relative to `root`)."""
        return {"prp": os.path.relpath(self.prp, root).replace(os.sep, "/"),
                "summary": {s: self.count(s) for s in STATES},
                "items": [{"id": i.id, "kind": i.kind, "state": i.state, "title": i.title,
                           "evidence": list(i.evidence)} for i in self.items]}


def status(path: str, prp: str | None = None, target: str | None = None) -> StatusReport:
    prp_path = prp or os.path.join(path, DEFAULT_PRP)
    text = read_prp(prp_path, root=path)
    if text is None:
        raise DabprpError(prp_path, None, "no PRP found (write one with `dabprp generate`)")
    try:
        items = living.parse_items(text)
    except living.MarkerError as exc:
        raise DabprpError(prp_path, exc.line, str(exc)) from None
    if not items:
        raise DabprpError(prp_path, None, "no dabprp checklist items found in the generated regions")
    built, project = plan(path, target)
    current_gaps = {g.id: g for g in gaps(built, project, path)}
    tasks = {t.id: t for t in built.roadmap}
    by_rule: dict[str, list[str]] = {}
    for f in built.findings:
        by_rule.setdefault(f.rule_id, []).append(f"{f.rule_id} at {f.location}")
    out = []
    for item in items.values():
        if item.id.startswith("G-"):
            gap = current_gaps.get(item.id)
            is_open = gap is not None
            evidence: tuple[str, ...] = ("no longer reported",)
            if gap and gap.finding:
                evidence = (f"{gap.finding.rule_id} at {gap.finding.location}",)
            title = f"{gap.finding.rule_id} {gap.finding.message}" if gap and gap.finding else _gap_title(item.text)
            kind = "gap"
        elif item.id in tasks:
            task = tasks[item.id]
            is_open = not task.done
            # done needs positive evidence that the deliverable exists, not only silence of its rules
            evidence = tuple(str(e) for e in task.evidence) if task.done else (
                tuple(e for r in task.closes for e in by_rule.get(r, []))
                or ("no evidence in the project that the deliverable exists",))
            kind = "task"
            title = str(task.title)  # plain text: the status is not Markdown
        else:
            continue
        state = ("regressed" if item.checked else "open") if is_open else "done"
        out.append(ItemStatus(item.id, kind, state, evidence, item.text, title))
    return StatusReport(prp_path, tuple(out))


def _gap_title(text: str) -> str:
    """`DABnnn message` from a gap item written earlier (its rule ID, finding, location and fix in prose)."""
    body = LOCATION_RE.sub("", text.split(" Fix: ", 1)[0]).strip().rstrip(".")
    rule = PREFIX_RE.match(body)
    return f"{rule.group(1)} {body[rule.end():]}" if rule else body
