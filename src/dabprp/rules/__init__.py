"""Rule registry: `@rule` attaches metadata; the family modules are imported by name, once.

One registry holds every ID any command can emit: rules over the project facts, rules over each
target's effective bundle (the semantic and schema checks), and the few findings the engine itself
reports (internal error, unused suppression, unreadable input). Retired IDs are never reused."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from enum import Enum
from types import MappingProxyType
from typing import Any

from dabprp.facts import Location, Project
from dabprp.findings import Finding, Hit, RuleDoc, Severity, Stage, matches_rule_id
from dabprp.records import record
from dabprp.rules.bundle_view import TargetView
from dabprp.settings import Settings

FAMILIES = ("targets", "jobs", "security", "mlflow_uc", "evaluation", "observability", "agent", "repo", "bundle",
            "engine")
INTERNAL_ERROR_ID = "DAB000"

# ID → why it was retired. A retired ID is never given to another rule.
RETIRED: Mapping[str, str] = MappingProxyType({
    "DAB906": "Retired: task files are checked by DAB212, app source paths by DAB916.",
    "DAB910": "Retired: the same gap as DAB105 (production target without root_path).",
    "DAB913": "Retired: the same gap as DAB203 (deployment job without model_name/model_version).",
})


class Subject(str, Enum):
    """What a rule's check function is given."""

    PROJECT = "project"
    """The project facts, once."""
    TARGET = "target"
    """The effective bundle of each checked target (a finding seen in only some targets names them)."""
    BUNDLE = "bundle"
    """The whole bundle (root file, includes, every target's raw section), once."""
    ENGINE = "engine"
    """No check function: the engine reports it (unused suppression, internal error)."""


Check = Callable[..., Iterable[Hit]]


@record
class Rule:
    id: str
    title: str
    severity: Severity
    stage: Stage
    fix: str
    docs: tuple[str, ...]
    check: Check | None
    subject: Subject = Subject.PROJECT
    cli_check: bool = False
    """The Databricks CLI itself rejects or warns about this: `dabprp validate` runs it too."""
    text: str = ""
    reads_settings: bool = False
    """The check takes the run's `Settings` as a second argument (a threshold the user can set)."""
    """The rationale when there is no check function to carry it as its docstring."""

    @property
    def rationale(self) -> str:
        return " ".join((self.text or (self.check.__doc__ if self.check else "") or "").split())

    @property
    def doc(self) -> RuleDoc:
        return RuleDoc(self.id, self.title, self.severity, self.stage, self.fix, self.rationale, self.docs)


def rule(rule_id: str, title: str, *, severity: Severity, stage: Stage, fix: str, docs: tuple[str, ...] = (),
         subject: Subject = Subject.PROJECT, cli_check: bool = False,
         reads_settings: bool = False) -> Callable[[Check], Check]:
    """Attach rule metadata to a check function; registration happens in `registry()`.

    The function takes a `Project` (subject PROJECT) or a `TargetView` (TARGET, BUNDLE) and yields Hits."""

    def attach(fn: Check) -> Check:
        meta = Rule(rule_id, title, severity, stage, fix, docs, fn, subject, cli_check, "", reads_settings)
        fn.__dabprp_rule__ = meta  # type: ignore[attr-defined]
        return fn

    return attach


def _build() -> Mapping[str, Rule]:
    rules: dict[str, Rule] = {}
    for family in FAMILIES:
        module = importlib.import_module(f"dabprp.rules.{family}")
        for value in vars(module).values():
            meta = value if isinstance(value, Rule) else getattr(value, "__dabprp_rule__", None)
            if isinstance(meta, Rule):
                if meta.id in RETIRED:
                    raise RuntimeError(f"rule id {meta.id} is retired and may not be reused")
                if meta.id in rules and rules[meta.id] is not meta:
                    raise RuntimeError(f"duplicate rule id {meta.id}")
                rules[meta.id] = meta
    return MappingProxyType(dict(sorted(rules.items())))


_REGISTRY: list[Mapping[str, Rule]] = []


def registry() -> Mapping[str, Rule]:
    if not _REGISTRY:
        _REGISTRY.append(_build())
    return _REGISTRY[0]


def run_rules(project: Project, disabled: Iterable[str] = (),
              severity_overrides: Mapping[str, str] | None = None,
              views: Sequence[TargetView] = (), settings: Settings | None = None) -> tuple[Finding, ...]:
    """Run every enabled rule: project rules on `project`, bundle rules on `views` (one per checked target).

    A finding that only some of several targets produce names them. A rule that raises becomes an
    internal-error finding (DAB000), not a traceback."""
    skip = set(disabled)
    overrides = severity_overrides or {}
    collected: dict[tuple[str, Location, str], tuple[Finding, list[str]]] = {}
    where = Location(project.bundle.root_file if project.bundle else ".", 1)

    def add(finding: Finding, target: str | None) -> None:
        entry = collected.setdefault((finding.rule_id, finding.location, finding.message), (finding, []))
        if target is not None and target not in entry[1]:
            entry[1].append(target)

    for rid, r in registry().items():
        if r.check is None or matches_rule_id(rid, skip):
            continue
        severity = Severity(overrides[rid]) if rid in overrides else None
        subjects: list[tuple[Any, str | None]]
        if r.subject is Subject.PROJECT:
            subjects = [(project, None)]
        elif r.subject is Subject.BUNDLE:
            subjects = [(views[0], None)] if views else []
        else:
            subjects = [(v, v.target or "default") for v in views]
        for subject, target in subjects:
            for finding in _run_one(r, subject, severity, where, settings or Settings()):
                add(finding, target)
    names = {v.target or "default" for v in views}
    out = []
    for finding, seen_in in collected.values():
        if seen_in and len(names) > 1 and len(seen_in) < len(names):
            finding = Finding(finding.rule_id, finding.title, finding.severity, finding.stage,
                              f"{finding.message} [targets: {', '.join(seen_in)}]", finding.location,
                              finding.remediation, finding.evidence, finding.docs)
        out.append(finding)
    out.sort(key=lambda f: (f.rule_id, f.location, f.message))
    return tuple(out)


def _run_one(r: Rule, subject: Any, severity: Severity | None, where: Location, settings: Settings
             ) -> list[Finding]:
    assert r.check is not None
    try:
        hits = list(r.check(subject, settings) if r.reads_settings else r.check(subject))
    except Exception as exc:  # a bug in one rule must not hide the others' findings
        return [Finding(INTERNAL_ERROR_ID, "Internal rule error", Severity.ERROR, r.stage,
                        f"rule {r.id} failed: {type(exc).__name__}: {exc}", where, "Report this bug.")]
    return [Finding(r.id, r.title, severity or hit.severity or r.severity, r.stage, hit.message, hit.location,
                    r.fix, tuple(sorted(set(hit.evidence))), r.docs) for hit in hits]
