"""Library entry points behind the CLI: analyze → rules → plan → render."""

from __future__ import annotations

from dabprp.analyze import analyze
from dabprp.facts import Project
from dabprp.findings import Finding
from dabprp.plan import Plan, build_plan
from dabprp.rules import run_rules
from dabprp.settings import load_settings


def findings(project: Project, root: str) -> tuple[Finding, ...]:
    settings = load_settings(root)
    return run_rules(project, settings.disabled_rules, settings.severity_overrides)


def plan(path: str, target: str | None = None) -> tuple[Plan, Project]:
    project = analyze(path, target)
    settings = load_settings(path)
    found = run_rules(project, settings.disabled_rules, settings.severity_overrides)
    return build_plan(project, found, settings), project


def generate(path: str, target: str | None = None, fmt: str = "md") -> tuple[str, Project]:
    """The PRP text (Markdown, or the plan as JSON) and the analyzed project."""
    built, project = plan(path, target)
    if fmt == "json":
        from dabprp.render.json_out import render_json

        return render_json(built), project
    from dabprp.render.markdown import render_markdown

    return render_markdown(built, project.files), project
