"""The one Report of a run: every rule's findings, then settings, suppressions and the baseline, applied once.

`check`, `validate`, the PRP, `status` and MCP all read this Report, so a finding that is ignored or
suppressed is gone from every output alike."""

from __future__ import annotations

import fnmatch
import json
import os
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from dabprp.analyze import Analysis
from dabprp.errors import DabprpError
from dabprp.facts import ProblemKind
from dabprp.findings import Finding, Report, Severity, matches_rule_id
from dabprp.fingerprints import SourceLines, fingerprints
from dabprp.limits import load_json
from dabprp.records import record
from dabprp.rules import registry, run_rules
from dabprp.rules.bundle_view import TargetView, release_views, target_views, targets_to_check
from dabprp.rules.engine import UNUSED_SUPPRESSION
from dabprp.settings import Settings
from dabprp.suppress import covers, find_suppressions
from dabprp.validate.violations import schema_provenance

BASELINE_VERSION = 1


@record
class Scope:
    """Which rules run and on which targets: the command-line part of a run (settings add to it)."""

    target: str | None = None
    all_targets: bool = False
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    baseline: str | None = None
    cli_checks_only: bool = False
    """`dabprp validate`: only what the Databricks CLI itself would reject or warn about."""


DEFAULT_SCOPE = Scope()


def build_report(root: str, analysis: Analysis, settings: Settings, scope: Scope = DEFAULT_SCOPE) -> Report:
    """Run the selected rules on the project and on each checked target, then apply settings and suppressions."""
    project = analysis.project
    views: tuple[TargetView, ...] = ()
    if analysis.loaded is not None:
        views = target_views(root, analysis.loaded, targets_to_check(analysis.loaded, scope.target,
                                                                        scope.all_targets))
    selected = scope.select or settings.select
    ignored = (*settings.ignore, *scope.ignore)
    ran = [r for r in registry().values()
           if (r.cli_check or not scope.cli_checks_only)
           and (not selected or matches_rule_id(r.id, selected)) and not matches_rule_id(r.id, ignored)]
    ran_ids = {r.id for r in ran}
    skipped = [rid for rid in registry() if rid not in ran_ids]
    try:
        found = [f for f in run_rules(project, skipped, views=views, settings=settings) if f.rule_id in ran_ids]
    finally:
        release_views(views)
    found = [f for f in found if not _ignored_for_path(f, settings.per_path_ignores)]
    sources = SourceLines(root)
    kept, suppressed = _apply_suppressions(found, project.files, sources, ran_ids)
    kept = [replace(f, severity=Severity(settings.severity_overrides[f.rule_id]))
            if f.rule_id in settings.severity_overrides else f for f in kept]
    kept.sort(key=lambda f: (f.location, f.rule_id, f.message))
    prints = fingerprints(tuple(kept), sources)
    known = load_baseline(scope.baseline) if scope.baseline else set()
    final = [(f, prints[i]) for i, f in enumerate(kept) if prints[i] not in known]
    unreadable = tuple(f"{p.location}: {p.message}" for p in project.problems
                       if p.bundle and p.kind is ProblemKind.UNREADABLE)
    existing = frozenset(p for p in {f.location.path for f, _ in final} if os.path.isfile(os.path.join(root, p)))
    return Report(tuple(f for f, _ in final), tuple(p for _, p in final), tuple(r.doc for r in ran),
                  tuple(v.target or "default" for v in views), suppressed, len(kept) - len(final), unreadable,
                  frozenset(project.files) | existing, project.bundle.root_file if project.bundle else None)


def _ignored_for_path(finding: Finding, per_path_ignores: dict[str, list[str]]) -> bool:
    return any(fnmatch.fnmatch(finding.location.path, glob) and matches_rule_id(finding.rule_id, ids)
               for glob, ids in per_path_ignores.items())


def _apply_suppressions(found: list[Finding], files: tuple[str, ...], sources: SourceLines,
                        ran_ids: set[str]) -> tuple[list[Finding], int]:
    """Findings no inline `# dabprp: ignore[...]` covers, plus one DAB002 per suppression that covers nothing."""
    suppressions = find_suppressions(files, sources)
    used: set[int] = set()
    kept = []
    for f in found:
        hit = next((i for i, s in enumerate(suppressions) if covers(s, f.rule_id, f.location)), None)
        if hit is None:
            kept.append(f)
        else:
            used.add(hit)
    suppressed = len(found) - len(kept)
    if UNUSED_SUPPRESSION.id in ran_ids:
        r = UNUSED_SUPPRESSION
        for i, s in enumerate(suppressions):
            if i not in used and any(matches_rule_id(rid, s.rule_ids) for rid in ran_ids):
                kept.append(Finding(r.id, r.title, r.severity, r.stage,
                                    f"`# dabprp: ignore[{', '.join(s.rule_ids)}]` suppresses nothing",
                                    s.location, r.fix))
    return kept, suppressed


@record
class ValidationReport:
    """`dabprp validate`: the CLI-check part of the Report for the checked targets."""

    root_file: str
    targets: tuple[str, ...]
    findings: tuple[Finding, ...]
    strict: bool
    schema: dict[str, str]
    unreadable: tuple[str, ...] = ()
    """`path:line: message` of each bundle file that could not be read or parsed: the report covers only what
    loaded (exit 2)."""

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.severity is Severity.ERROR)

    @property
    def warnings(self) -> int:
        return sum(1 for f in self.findings if f.severity is Severity.WARNING)

    @property
    def valid(self) -> bool:
        return self.errors == 0 and not (self.strict and self.warnings)


def validation_report(root_file: str, report: Report, strict: bool) -> ValidationReport:
    """`strict`: warnings count as errors."""
    findings: Iterable[Finding] = report.findings
    if strict:
        findings = (replace(f, severity=Severity.ERROR) if f.severity is Severity.WARNING else f for f in findings)
    return ValidationReport(root_file, report.targets, tuple(findings), strict, schema_provenance(),
                            report.unreadable)


def load_baseline(path: str) -> set[str]:
    """The fingerprints of a baseline file; anything that is not one (wrong types, not UTF-8, not JSON, not a
    regular file) is a DabprpError with one line."""
    from dabprp.confined_io import read_bytes

    try:
        raw = read_bytes(path, shown=path)
    except FileNotFoundError:
        raise DabprpError(path, None, "baseline file not found (create it with --write-baseline)") from None
    except OSError as exc:
        raise DabprpError(path, None, f"cannot read baseline: {exc.strerror or exc}") from None
    try:
        data = load_json(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise DabprpError(path, raw[: exc.start].count(b"\n") + 1, "baseline is not valid UTF-8") from None
    except ValueError as exc:
        line = exc.lineno if isinstance(exc, json.JSONDecodeError) else None
        raise DabprpError(path, line, f"cannot read baseline: {exc}") from None
    version = data.get("version") if isinstance(data, dict) else None
    if type(version) is not int or version != BASELINE_VERSION:
        raise DabprpError(path, 1, f"not a dabprp baseline (version {BASELINE_VERSION})")
    entries = data.get("findings", {})
    if not isinstance(entries, dict):
        raise DabprpError(path, 1, "`findings` must be an object keyed by fingerprint")
    return set(entries)


def baseline_text(report: Report) -> str:
    entries: dict[str, Any] = {}
    for f, fp in zip(report.findings, report.fingerprints, strict=True):
        entries[fp] = {"rule": f.rule_id, "path": f.location.path, "message": f.message}
    return json.dumps({"version": BASELINE_VERSION, "findings": dict(sorted(entries.items()))}, indent=2) + "\n"


def exit_code(report: Report, fail_on: str) -> int:
    """2 when a bundle file could not be read, else 1 when a finding reaches `fail_on`, else 0."""
    if report.unreadable:
        return 2
    if fail_on == "never":
        return 0
    threshold = Severity(fail_on).rank
    return 1 if any(f.severity.rank >= threshold for f in report.findings) else 0
