"""The library API behind the CLI and the MCP server: analyze → Report → plan → render, each built once."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from dabprp.analyze import Analysis, load_project, unreadable_bundle
from dabprp.errors import DabprpError
from dabprp.facts import Project
from dabprp.findings import Finding, Report, RuleDoc
from dabprp.gcpause import paused_gc
from dabprp.parse.bundle_load import ROOT_FILES
from dabprp.records import record
from dabprp.report import DEFAULT_SCOPE, Scope, ValidationReport, build_report, validation_report
from dabprp.rules import RETIRED, registry
from dabprp.settings import Settings, load_settings

if TYPE_CHECKING:  # the plan, Markdown and scaffold layers load only for the commands that use them
    from dabprp.plan import Plan
    from dabprp.render.bundle_view import BundleChange
    from dabprp.scaffold import ScaffoldResult


@record
class Run:
    """One run over a project: its facts, its settings and the one Report every output reads."""

    root: str
    project: Project
    settings: Settings
    report: Report
    bundle_error: DabprpError | None = None
    """Why the bundle root file could not be read, if it could not."""


@paused_gc()
def run(path: str, scope: Scope = DEFAULT_SCOPE, overrides: dict[str, Any] | None = None,
        settings: Settings | None = None) -> Run:
    """Analyze the project once (one bundle load), load the settings once, build the Report once."""
    settings = settings or load_settings(path, overrides)
    analysis = load_project(path, None if scope.all_targets else scope.target, bundle_only=scope.cli_checks_only)
    if scope.cli_checks_only:
        _require_bundle(path, analysis)
    return Run(path, analysis.project, settings, build_report(path, analysis, settings, scope),
               analysis.bundle_error)


def _require_bundle(path: str, analysis: Analysis) -> None:
    if analysis.bundle_error is not None:
        raise analysis.bundle_error
    if analysis.loaded is None:
        raise DabprpError(path, None, f"no bundle root file ({', '.join(ROOT_FILES)}) found")


def check(path: str, scope: Scope = DEFAULT_SCOPE) -> Report:
    """`dabprp check`: every rule; a bundle whose root file cannot be read is bad input (exit 2)."""
    if not os.path.isdir(path):
        raise DabprpError(path, None, "no such directory" if not os.path.exists(path) else "not a directory")
    done = run(path, scope)
    if done.bundle_error is not None:
        raise done.bundle_error
    return done.report


def validate(path: str, target: str | None = None, all_targets: bool = False, strict: bool = False
             ) -> ValidationReport:
    """`dabprp validate`: what the Databricks CLI would reject or warn about, per target, offline."""
    if not os.path.isdir(path):
        raise DabprpError(path, None, "no such directory" if not os.path.exists(path) else "not a directory")
    done = run(path, Scope(target=target, all_targets=all_targets, cli_checks_only=True))
    assert done.project.bundle is not None
    return validation_report(done.project.bundle.root_file, done.report, strict)


def plan(path: str, target: str | None = None, overrides: dict[str, Any] | None = None,
         readable_bundle: bool = True) -> tuple[Plan, Project]:
    """The plan and the analyzed project. A bundle file that cannot be read is an input error (exit 2) unless
    `readable_bundle` is False (the caller reports it itself)."""
    built, project, _ = _planned(path, target, overrides, readable_bundle)
    return built, project


def _planned(path: str, target: str | None, overrides: dict[str, Any] | None,
             readable_bundle: bool = True) -> tuple[Plan, Project, Settings]:
    done = run(path, Scope(target=target), overrides)
    bad = unreadable_bundle(done.project) if readable_bundle else None
    if bad is not None:
        raise DabprpError(bad.location.path, bad.location.line, f"fix the bundle first: {bad.message}")
    from dabprp.plan import build_plan

    return build_plan(done.project, done.report.findings, done.settings), done.project, done.settings


def scaffold(path: str, dry_run: bool = False, force: bool = False, serving: str | None = None,
             overrides: dict[str, Any] | None = None) -> ScaffoldResult:
    """Write (or with `dry_run` only list) the bundle files, stage code, tests and CI the plan describes.
    Files you wrote or edited are kept unless `force`; nothing deployed is renamed, dropped or moved."""
    from dabprp.confined_io import project_lock
    from dabprp.plan.existing_objects import bind_command
    from dabprp.scaffold import ScaffoldResult, planned_changes, write

    if not os.path.isdir(path):
        raise DabprpError(path, None, "no such directory")
    overrides = {**(overrides or {}), **({"serving": serving} if serving else {})}
    with contextlib.nullcontext() if dry_run else project_lock(path):
        built, project, settings = _planned(path, None, overrides, readable_bundle=False)  # reported there
        changes, notes = planned_changes(path, built, project, settings, force)
        if not dry_run:
            write(path, changes)
    notes += tuple(f"{b.target}: {b.kind}.{b.key} resolves to `{b.name}`, which already exists outside the bundle "
                   f"({b.created_at}): `{bind_command(b)}` before the first deploy (see the PRP's migrations)"
                   for b in built.binds)
    return ScaffoldResult(changes, notes, not dry_run, built.binds)


def catalogue() -> tuple[RuleDoc, ...]:
    """Every ID dabprp can report, sorted (retired IDs are in `RETIRED`)."""
    return tuple(r.doc for r in registry().values())


def explain(rule_id: str) -> RuleDoc:
    """One rule's documentation; DabprpError for an unknown or retired ID."""
    key = rule_id.strip().upper()
    found = registry().get(key)
    if found is None:
        reason = f" ({RETIRED[key]})" if key in RETIRED else ""
        raise DabprpError("rules", None, f"unknown rule `{rule_id}`{reason}")
    return found.doc


def read_prp(path: str, root: str | None = None) -> str | None:
    """The PRP at `path` with its line endings as they are, or None when there is none yet. Only a regular
    file is read; with `root`, a path inside the root that a symbolic link leads out of is refused."""
    from dabprp.confined_io import read_text

    return read_text(path, root=root)


@paused_gc()
def generate(path: str, target: str | None = None, fmt: str = "md", existing: str | None = None,
             refiner: Callable[[str, Project, Plan], str] | None = None,
             overrides: dict[str, Any] | None = None, existing_path: str = "PRP",
             report: Callable[[str], None] | None = None) -> tuple[str, Project]:
    """The PRP text (Markdown, or the plan as JSON) and the analyzed project.

    With `existing` (the current PRP, read from `existing_path`), its generated regions are refreshed, items
    that are now done are ticked, and everything the user wrote outside the regions is kept byte for byte;
    ambiguous markers raise DabprpError. `report` receives notes (regions kept because edited by hand)."""
    built, project, settings = _planned(path, target, overrides)
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
    edits, note = bundle_edits(path, built, project, settings)
    text = render_markdown(built, project.files, gaps(built, project, path, previous), edits, note)
    if refiner is not None:
        text = refiner(text, project, built)
    if not existing:
        try:
            return living.stamp(text), project
        except living.MarkerError as exc:  # a project value that looks like a marker and escaped rendering
            raise DabprpError(existing_path, exc.line, f"the generated PRP has {exc}") from None
    merged = living.merge(existing, text, existing_path)
    for note in merged.notes:
        (report or (lambda message: None))(note)
    return merged.text, project


def bundle_edits(path: str, built: Plan, project: Project, settings: Settings) -> tuple[list[BundleChange], str]:
    """The bundle files of scaffold's change set for the PRP (one source), or a note why there are none."""
    from dabprp.render.bundle_view import BundleChange
    from dabprp.scaffold import planned_changes
    from dabprp.scaffold.changes import unified_diff

    try:
        changes, _ = planned_changes(path, built, project, settings, bundle_only=True)
    except DabprpError as exc:
        return [], f"`dabprp scaffold` would not edit this bundle yet ({' '.join(str(exc).split())})."
    from dabprp.render.prose import md

    titles = {b.file: md(b.title) for b in built.bundle_files}
    order = [b.file for b in built.bundle_files]
    out = []
    for c in sorted(changes, key=lambda c: (order.index(c.path) if c.path in order else len(order), c.path)):
        diff = unified_diff(c) if c.kind in ("update", "conflict") else ""
        out.append(BundleChange(titles.get(c.path, c.path), c.path, c.kind, c.old, c.new, diff, c.reason))
    return out, ""


MAX_GAPS_PER_RULE = 20
"""Appendices A and B list at most this many findings of one rule, then one line with how many more: the
PRP stays readable on a thousand-job bundle; `dabprp check` and `analyze --format json` list everything."""


def gaps(built: Plan, project: Project, path: str, previous: dict[str, Any] | None = None) -> list[Any]:
    """Appendix B items: current findings (open, at most MAX_GAPS_PER_RULE per rule plus a `-more` line)
    and earlier gap items that no longer fire (done)."""
    from dataclasses import replace

    from dabprp.facts import Location
    from dabprp.fingerprints import SourceLines, fingerprints
    from dabprp.render.markdown import Gap, gap_text

    files = frozenset(project.files)
    prints = fingerprints(built.findings, SourceLines(path))
    ids = {f"G-{prints[i][:10]}" for i in range(len(built.findings))}
    current: list[Gap] = []
    shown: dict[str, int] = {}
    first: dict[str, Finding] = {}
    for i, f in enumerate(built.findings):
        shown[f.rule_id] = shown.get(f.rule_id, 0) + 1
        first.setdefault(f.rule_id, f)
        if shown[f.rule_id] <= MAX_GAPS_PER_RULE:
            current.append(Gap(f"G-{prints[i][:10]}", False, gap_text(f, files), f))
    for rule_id in sorted(r for r, n in shown.items() if n > MAX_GAPS_PER_RULE):
        more = shown[rule_id] - MAX_GAPS_PER_RULE
        text = f"{more} more `{rule_id}` findings like the ones above (`dabprp check` lists every one)"
        where = project.bundle.root_file if project.bundle else first[rule_id].location.path
        current.append(Gap(f"G-{rule_id}-more", False, text,
                           replace(first[rule_id], message=text, location=Location(where, 1))))
    done = [Gap(item.id, True, item.text) for item in (previous or {}).values()
            if item.id.startswith("G-") and item.id not in ids and not item.id.endswith("-more")]
    return current + sorted(done, key=lambda g: g.id)
