"""Library entry points behind the CLI: analyze → rules → plan → render."""

from __future__ import annotations

from collections.abc import Callable

from dabprp.analyze import analyze, unreadable_bundle
from dabprp.errors import DabprpError
from dabprp.facts import Project
from dabprp.findings import Finding
from dabprp.gcpause import paused_gc
from dabprp.plan import Plan, build_plan
from dabprp.rules import run_rules
from dabprp.settings import load_settings


def findings(project: Project, root: str) -> tuple[Finding, ...]:
    settings = load_settings(root)
    return run_rules(project, settings.disabled_rules, settings.severity_overrides)


def plan(path: str, target: str | None = None, overrides: dict | None = None,
         readable_bundle: bool = True) -> tuple[Plan, Project]:
    """The plan and the analyzed project. A bundle file that cannot be read is an input error (exit 2) unless
    `readable_bundle` is False (the caller reports it itself)."""
    project = analyze(path, target)
    bad = unreadable_bundle(project) if readable_bundle else None
    if bad is not None:
        raise DabprpError(bad.location.path, bad.location.line, f"fix the bundle first: {bad.message}")
    settings = load_settings(path, overrides)
    found = run_rules(project, settings.disabled_rules, settings.severity_overrides)
    return build_plan(project, found, settings), project


def read_prp(path: str, root: str | None = None) -> str | None:
    """The PRP at `path` with its line endings as they are, or None when there is none yet. Only a regular
    file is read; with `root`, a path inside the root that a symbolic link leads out of is refused."""
    from dabprp.confined_io import read_text

    return read_text(path, root=root)


@paused_gc()
def generate(path: str, target: str | None = None, fmt: str = "md", existing: str | None = None,
             refiner: Callable[[str, Project, Plan], str] | None = None,
             overrides: dict | None = None, existing_path: str = "PRP",
             report: Callable[[str], None] | None = None) -> tuple[str, Project]:
    """The PRP text (Markdown, or the plan as JSON) and the analyzed project.

    With `existing` (the current PRP, read from `existing_path`), its generated regions are refreshed, items
    that are now done are ticked, and everything the user wrote outside the regions is kept byte for byte;
    ambiguous markers raise DabprpError. `report` receives notes (regions kept because edited by hand)."""
    built, project = plan(path, target, overrides)
    if fmt == "json":
        from dabprp.render.json_out import render_json

        return render_json(built), project
    from dabprp import living
    from dabprp.render.markdown import render_markdown

    try:
        previous = living.parse_items(existing) if existing else {}
    except living.MarkerError as exc:
        raise DabprpError(existing_path, exc.line, f"{exc}; the PRP was not changed (fix the markers, or --force)"
                          ) from None
    text = render_markdown(built, project.files, gaps(built, project, path, previous))
    if refiner is not None:
        text = refiner(text, project, built)
    if not existing:
        return living.stamp(text), project
    merged = living.merge(existing, text, existing_path)
    for note in merged.notes:
        (report or (lambda message: None))(note)
    return merged.text, project


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
