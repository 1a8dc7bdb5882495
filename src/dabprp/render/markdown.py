"""The PRP as Markdown: Jinja2 with StrictUndefined over the plan."""

from __future__ import annotations

from typing import Any

import jinja2

from dabprp import __version__
from dabprp.facts import Location
from dabprp.plan.model import Plan
from dabprp.render import prp_sections


def _environment(files: frozenset[str]) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("dabprp.render", "templates"), undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True, trim_blocks=False, autoescape=False,
    )

    def loc(value: Any) -> str:
        if not isinstance(value, Location):
            return "-"
        if value.path in files:
            return f"`{value}`"
        return f"to create: `{value.path}`"

    env.filters["loc"] = loc
    env.filters["code"] = lambda v: f"`{v}`"
    env.filters["cell"] = lambda v: str(v).replace("|", "\\|").replace("\n", " ")
    return env


def render_markdown(plan: Plan, files: tuple[str, ...]) -> str:
    env = _environment(frozenset(files))
    counts = {s: sum(1 for f in plan.findings if f.severity.value == s) for s in ("error", "warning", "note")}
    ranked = sorted(plan.findings, key=lambda f: (-f.severity.rank, f.rule_id, f.location))
    top, seen = [], set()
    for f in ranked:
        if f.rule_id not in seen and f.severity.value == "error":
            seen.add(f.rule_id)
            top.append(f)
    effort = sum(float(t.effort.split()[0]) for t in plan.roadmap if not t.done)
    text = env.get_template("prp.md.j2").render(
        plan=plan, version=__version__, counts=counts, top_findings=top[:8],
        security_findings=[f for f in plan.findings if f.stage.value == "security"],
        stages=prp_sections.stage_items(plan), enhancements=prp_sections.enhancements(plan),
        focus=prp_sections.focus_areas(plan), context=prp_sections.context_items(plan),
        docs=prp_sections.doc_links(), env_rows=prp_sections.environment_rows(plan), effort_total=f"{effort:g}",
    )
    return "\n".join(line.rstrip() for line in text.splitlines()).replace("\n\n\n", "\n\n") + "\n"
