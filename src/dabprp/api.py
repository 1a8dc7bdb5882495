"""Library entry points behind the CLI: analyze → rules → plan → render."""

from __future__ import annotations

from collections.abc import Callable

from dabprp.analyze import analyze
from dabprp.errors import DabprpError
from dabprp.facts import Project
from dabprp.findings import Finding
from dabprp.plan import Plan, build_plan
from dabprp.rules import run_rules
from dabprp.settings import load_settings


def findings(project: Project, root: str) -> tuple[Finding, ...]:
    settings = load_settings(root)
    return run_rules(project, settings.disabled_rules, settings.severity_overrides)


def plan(path: str, target: str | None = None, overrides: dict | None = None) -> tuple[Plan, Project]:
    project = analyze(path, target)
    settings = load_settings(path, overrides)
    found = run_rules(project, settings.disabled_rules, settings.severity_overrides)
    return build_plan(project, found, settings), project


def read_prp(path: str) -> str | None:
    """The PRP at `path`, or None when there is none yet."""
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise DabprpError(path, None, f"cannot read PRP: {exc}") from None


def generate(path: str, target: str | None = None, fmt: str = "md", existing: str | None = None,
             refiner: Callable[[str, Project, Plan], str] | None = None,
             overrides: dict | None = None) -> tuple[str, Project]:
    """The PRP text (Markdown, or the plan as JSON) and the analyzed project.

    With `existing` (the current PRP), its generated regions are refreshed, items that are now done are
    ticked, and everything the user wrote outside the regions is kept byte for byte."""
    built, project = plan(path, target, overrides)
    if fmt == "json":
        from dabprp.render.json_out import render_json

        return render_json(built), project
    from dabprp import living
    from dabprp.render.markdown import render_markdown

    previous = living.parse_items(existing) if existing else {}
    text = render_markdown(built, project.files, gaps(built, project, path, previous))
    if refiner is not None:
        text = refiner(text, project, built)
    return (living.merge(existing, text) if existing else text), project


def gaps(built: Plan, project: Project, path: str, previous: dict | None = None) -> list:
    """Appendix B items: current findings (open) and earlier gap items that no longer fire (done)."""
    from dabprp.fingerprints import SourceLines, fingerprints
    from dabprp.render.markdown import Gap, gap_text

    files = frozenset(project.files)
    prints = fingerprints(built.findings, SourceLines(path))
    current = [Gap(f"G-{prints[i][:10]}", False, gap_text(f, files), f) for i, f in enumerate(built.findings)]
    ids = {g.id for g in current}
    done = [Gap(item.id, True, item.text) for item in (previous or {}).values()
            if item.id.startswith("G-") and item.id not in ids]
    return current + sorted(done, key=lambda g: g.id)
