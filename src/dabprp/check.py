"""`dabprp check`: rules + validate checks as one result, filtered by settings, suppressions and a baseline."""

from __future__ import annotations

import fnmatch
import json
import os
from dataclasses import dataclass, replace
from typing import Any

from dabprp.analyze import analyze
from dabprp.errors import DabprpError
from dabprp.findings import Finding, Severity, Stage, matches_rule_id
from dabprp.fingerprints import SourceLines, fingerprints
from dabprp.gcpause import paused_gc
from dabprp.limits import load_json
from dabprp.rules import INTERNAL_ERROR_ID, registry, run_rules
from dabprp.settings import Settings, load_settings
from dabprp.suppress import covers, find_suppressions
from dabprp.validate.run import INPUT_ID, SCHEMA_ID, validate
from dabprp.validate.semantics import CHECKS

UNUSED_SUPPRESSION_ID = "DAB002"
UNPARSEABLE_ID = "DAB921"
BASELINE_VERSION = 1


@dataclass(frozen=True, slots=True)
class RuleDoc:
    id: str
    title: str
    severity: Severity
    stage: Stage
    fix: str
    rationale: str
    docs: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CheckResult:
    findings: tuple[Finding, ...]
    fingerprints: tuple[str, ...]
    rules: tuple[RuleDoc, ...]
    suppressed: int = 0
    baselined: int = 0
    unreadable: tuple[str, ...] = ()
    """`path:line: message` of each bundle file that could not be read or parsed (exit 2)."""
    files: frozenset[str] = frozenset()
    """Files of the project that exist: SARIF and annotations point only at these."""
    root_file: str | None = None
    roots: tuple[str, ...] = ()
    """Monorepo: the root file of every bundle (a finding anchors at the one of its own bundle)."""

    def count(self, severity: Severity) -> int:
        return sum(1 for f in self.findings if f.severity is severity)


def catalogue() -> tuple[RuleDoc, ...]:
    """Every rule and validate check dabprp can report, sorted by ID."""
    docs = [RuleDoc(r.id, r.title, r.severity, r.stage, r.fix, r.rationale, r.docs) for r in registry().values()]
    docs += [RuleDoc(c.id, c.title, c.severity, c.stage, c.fix, (c.run.__doc__ or c.title).strip(), ())
             for c in CHECKS]
    docs += [
        RuleDoc(SCHEMA_ID, "Bundle schema violation", Severity.ERROR, Stage.DEPLOY,
                "Match the official bundle JSON schema.",
                "The effective configuration of a target does not match the official bundle JSON schema.", ()),
        RuleDoc(INPUT_ID, "Unreadable or invalid bundle input", Severity.ERROR, Stage.DEPLOY,
                "Fix the file so the bundle loads.", "A bundle file could not be read or merged.", ()),
        RuleDoc(UNPARSEABLE_ID, "Unparseable source file", Severity.WARNING, Stage.TEST,
                "Fix the syntax error or encoding.", "A Python, notebook or data file could not be parsed.", ()),
        RuleDoc(UNUSED_SUPPRESSION_ID, "Unused suppression", Severity.WARNING, Stage.TEST,
                "Remove the `# dabprp: ignore[...]` comment.", "A suppression comment suppresses nothing.", ()),
        RuleDoc(INTERNAL_ERROR_ID, "Internal rule error", Severity.ERROR, Stage.TEST, "Report this bug.",
                "A rule raised an exception.", ()),
    ]
    return tuple(sorted(docs, key=lambda d: d.id))


@paused_gc()
def run_check(path: str, target: str | None = None, all_targets: bool = False, select: tuple[str, ...] = (),
              ignore: tuple[str, ...] = (), baseline: str | None = None, settings: Settings | None = None
              ) -> CheckResult:
    settings = settings or load_settings(path)
    project = analyze(path, target)
    found = list(run_rules(project))
    bundle_files = set(project.bundle.files) if project.bundle else set()
    unreadable: tuple[str, ...] = ()
    if project.bundle is not None or any(p.location.path in ("databricks.yml", "databricks.yaml", "bundle.yml")
                                         for p in project.problems):
        report = validate(path, target, all_targets)
        unreadable = report.unreadable
        found += report.findings
        bundle_files |= {f.location.path for f in report.findings if f.rule_id == INPUT_ID}
    for problem in project.problems:
        if problem.location.path not in bundle_files and not problem.message.startswith("skipped"):
            found.append(Finding(UNPARSEABLE_ID, "Unparseable source file", Severity.WARNING, Stage.TEST,
                                 problem.message, problem.location, "Fix the syntax error or encoding."))
    selected = tuple(select) or settings.select
    ignored = (*settings.ignore, *settings.disabled_rules, *ignore)
    ran = [d for d in catalogue()
           if (not selected or matches_rule_id(d.id, selected)) and not matches_rule_id(d.id, ignored)]
    ran_ids = {d.id for d in ran}
    found = [f for f in found if f.rule_id in ran_ids]
    found = [f for f in found if not any(fnmatch.fnmatch(f.location.path, glob) and matches_rule_id(f.rule_id, ids)
                                         for glob, ids in settings.per_path_ignores.items())]
    found = [replace(f, severity=Severity(settings.severity_overrides[f.rule_id]))
             if f.rule_id in settings.severity_overrides else f for f in found]
    sources = SourceLines(path)
    suppressions = find_suppressions(project.files, sources)
    used: set[int] = set()
    kept = []
    for f in found:
        hit = next((i for i, s in enumerate(suppressions) if covers(s, f.rule_id, f.location)), None)
        if hit is None:
            kept.append(f)
        else:
            used.add(hit)
    suppressed = len(found) - len(kept)
    if UNUSED_SUPPRESSION_ID in ran_ids:
        for i, s in enumerate(suppressions):
            if i not in used and any(matches_rule_id(r, s.rule_ids) for r in ran_ids):
                kept.append(Finding(UNUSED_SUPPRESSION_ID, "Unused suppression", Severity.WARNING, Stage.TEST,
                                    f"`# dabprp: ignore[{', '.join(s.rule_ids)}]` suppresses nothing",
                                    s.location, "Remove the suppression comment."))
    kept.sort(key=lambda f: (f.location, f.rule_id, f.message))
    prints = fingerprints(tuple(kept), sources)
    known = load_baseline(baseline) if baseline else set()
    final = [(f, prints[i]) for i, f in enumerate(kept) if prints[i] not in known]
    return CheckResult(tuple(f for f, _ in final), tuple(p for _, p in final), tuple(ran),
                       suppressed=suppressed, baselined=len(kept) - len(final), unreadable=unreadable,
                       files=frozenset(project.files) | _existing(path, final),
                       root_file=project.bundle.root_file if project.bundle else None)


def _existing(root: str, final: list[tuple[Finding, str]]) -> frozenset[str]:
    """Finding paths that are files on disk (also those discovery skips, e.g. binaries)."""
    return frozenset(f.location.path for f, _ in final if os.path.isfile(os.path.join(root, f.location.path)))


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


def baseline_text(result: CheckResult) -> str:
    entries: dict[str, Any] = {}
    for f, fp in zip(result.findings, result.fingerprints, strict=True):
        entries[fp] = {"rule": f.rule_id, "path": f.location.path, "message": f.message}
    return json.dumps({"version": BASELINE_VERSION, "findings": dict(sorted(entries.items()))}, indent=2) + "\n"


def exit_code(result: CheckResult, fail_on: str) -> int:
    """2 when a bundle file could not be read, else 1 when a finding reaches `fail_on`, else 0."""
    if result.unreadable:
        return 2
    if fail_on == "never":
        return 0
    threshold = Severity(fail_on).rank
    return 1 if any(f.severity.rank >= threshold for f in result.findings) else 0
