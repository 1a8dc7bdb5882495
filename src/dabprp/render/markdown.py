"""The PRP as Markdown: Jinja2 with StrictUndefined over the plan."""

from __future__ import annotations

import re
from typing import Any

import jinja2

from dabprp import living
from dabprp.facts import Location
from dabprp.findings import Finding
from dabprp.plan.model import Plan
from dabprp.records import record
from dabprp.render import inventory, prp_sections
from dabprp.render.bundle_view import BundleChange, bundle_view
from dabprp.render.prose import md
from dabprp.render.template_cache import template_cache
from dabprp.render.yaml_text import dump
from dabprp.version import __version__

_ENV: jinja2.Environment | None = None


def _inert(value: Any) -> Any:
    """Every value the templates print: the plan's prose as Markdown, and an HTML comment opener from the
    project (a bundle name holding `<!-- dabprp:end … -->`) escaped, so no value can open, close or fake a PRP
    region."""
    value = md(value)
    return value.replace("<!--", "&lt;!--") if isinstance(value, str) and "<!--" in value else value


def _environment(files: frozenset[str]) -> jinja2.Environment:
    """One environment per process, so each template is compiled once; `loc` is rebound to `files`."""
    global _ENV
    if _ENV is None:
        _ENV = jinja2.Environment(
            loader=jinja2.PackageLoader("dabprp.render", "templates"), undefined=jinja2.StrictUndefined,
            keep_trailing_newline=True, trim_blocks=False, autoescape=False, finalize=_inert,
            bytecode_cache=template_cache(),
        )
        _ENV.filters["code"] = lambda v: f"`{v}`"
        _ENV.filters["cell"] = lambda v: str(md(v)).replace("|", "\\|").replace("\n", " ")
        _ENV.filters["md"] = md

    def loc(value: Any) -> str:
        return _loc_text(value, files) if isinstance(value, Location) else "-"

    _ENV.filters["loc"] = loc  # compiled templates look filters up when they render
    return _ENV


@record
class Gap:
    """One checklist item of Appendix B: a finding (open) or a finding that no longer fires (done)."""

    id: str
    done: bool
    text: str
    finding: Finding | None = None


def gap_text(finding: Finding, files: frozenset[str]) -> str:
    """One gap: rule, finding and where; the rule's severity and fix are in Appendix A, said once."""
    where = _loc_text(finding.location, files)
    return f"`{finding.rule_id}` {finding.message} ({where})".replace("\n", " ")


def _loc_text(value: Location, files: frozenset[str]) -> str:
    return f"`{value}`" if value.path in files else f"to create: `{value.path}`"


def _sections(text: str) -> str:
    """Wrap the preamble and every `## ` section in named generated regions; the title stays user-owned."""
    lines = text.split("\n")
    title, rest = lines[0], lines[1:]
    chunks: list[tuple[str, list[str]]] = [("header", [])]
    fenced = False
    for line in rest:
        if line.startswith("```"):
            fenced = not fenced
        if line.startswith("## ") and not fenced:
            name = re.sub(r"[^a-z0-9]+", "-", line[3:].lower()).strip("-")
            name = re.sub(r"^\d+-", "", name)
            chunks.append((name, [line]))
        else:
            chunks[-1][1].append(line)
    body = "".join(living.wrap(name, "\n".join(chunk).strip("\n") + "\n") + "\n" for name, chunk in chunks)
    return f"{title}\n\n{body}".rstrip("\n") + "\n"


def render_markdown(plan: Plan, files: tuple[str, ...], gaps: list[Gap] | None = None,
                    bundle_edits: list[BundleChange] | None = None, bundle_note: str = "") -> str:
    env = _environment(frozenset(files))
    summary = inventory.summarise(plan)
    plan = summary.plan
    counts = {s: sum(1 for f in plan.findings if f.severity.value == s) for s in ("error", "warning", "note")}
    effort = sum(float(t.effort.split()[0]) for t in plan.roadmap if not t.done)
    # when scaffold would not edit the bundle, the plan's own documents are shown the same way
    bundle = bundle_view(bundle_edits or [BundleChange(md(b.title), b.file, "planned", None, dump(plan.document(b)), "")
                                          for b in plan.bundle_files])
    text = env.get_template("prp.md.j2").render(
        plan=plan, version=__version__, counts=counts, top_risks=prp_sections.top_risks(plan.findings),
        security_rules=prp_sections.security_rules(plan.findings), rule_rows=prp_sections.rule_rows(plan.findings),
        eval_rows=prp_sections.eval_rows(plan), phases=prp_sections.phases(plan),
        rollback_text=prp_sections.rollback_text(plan), grant_lines=prp_sections.grant_lines(plan),
        background_url=prp_sections.BACKGROUND_URL,
        stages=prp_sections.stage_items(plan), enhancements=prp_sections.enhancements(plan),
        focus=prp_sections.focus_areas(plan), context=prp_sections.context_items(plan),
        env_rows=prp_sections.environment_rows(plan), chosen_uc=prp_sections.chosen_uc_text(plan), gaps=gaps or [],
        effort_total=f"{effort:g}", bundle=bundle, bundle_planned=not bundle_edits, bundle_note=bundle_note,
        left_out=inventory.left_out_text(summary),
        job_rows=[(j, bundle.jobs.get(j.key)) for j in plan.jobs],
        flow=prp_sections.pipeline_flow(plan),
        **prp_sections.rollout_texts(plan),
    )
    return _sections(_inert_html(_tidy(text)))


HTML_START_RE = re.compile(r"<(?=[A-Za-z/!?])")
"""Where Markdown would start raw HTML (a tag, a comment, a declaration or a processing instruction)."""


def _inert_html(text: str) -> str:
    """Raw HTML from project values (a bundle named `<script>…`) is shown, never rendered: outside fenced
    blocks and code spans every `<` that would open a tag is written `&lt;`; code keeps its bytes (a YAML
    block must read back exactly, and Markdown prints code literally anyway)."""
    out: list[str] = []
    fenced = False
    for line in text.split("\n"):
        if line.startswith("```"):
            fenced = not fenced
            out.append(line)
        else:
            out.append(line if fenced or "<" not in line else _outside_code_spans(line))
    return "\n".join(out)


def _outside_code_spans(line: str) -> str:
    """`line` with HTML starts escaped outside its code spans (a run of N backticks up to the next run of N)."""
    parts: list[str] = []
    i = 0
    plain_from = 0
    while i < len(line):
        if line[i] != "`":
            i += 1
            continue
        run = len(line[i:]) - len(line[i:].lstrip("`"))
        ticks = line[i:i + run]
        end = _closing_run(line, i + run, ticks)
        if end < 0:  # no closing run: the backticks are literal text
            i += run
            continue
        parts.append(HTML_START_RE.sub("&lt;", line[plain_from:i]))
        parts.append(line[i:end + run])
        i = plain_from = end + run
    parts.append(HTML_START_RE.sub("&lt;", line[plain_from:]))
    return "".join(parts)


def _closing_run(line: str, start: int, ticks: str) -> int:
    """Where the next run of exactly `ticks` begins at or after `start`, or -1."""
    at = line.find(ticks, start)
    while at >= 0:
        end = at + len(ticks)
        if (at == 0 or line[at - 1] != "`") and (end >= len(line) or line[end] != "`"):
            return at
        at = line.find(ticks, end + len(line[end:]) - len(line[end:].lstrip("`")))  # past this longer run
    return -1


def _tidy(text: str) -> str:
    """Trailing spaces and runs of blank lines removed outside fenced blocks; fences (files, diffs) kept exact."""
    out: list[str] = []
    fenced = False
    for line in text.splitlines():
        if line.startswith("```"):
            fenced = not fenced
            out.append(line.rstrip())
        elif fenced:
            out.append(line)
        elif line.strip() or (out and out[-1].strip()):
            out.append(line.rstrip())
    return "\n".join(out)
