"""Rule registry: `@rule` attaches metadata; the family modules are imported by name, once."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from dabprp.facts import Location, Project
from dabprp.findings import Finding, Hit, Severity, Stage, matches_rule_id

FAMILIES = ("targets", "jobs", "security", "mlflow_uc", "evaluation", "observability", "agent", "repo")
INTERNAL_ERROR_ID = "DAB000"

Check = Callable[[Project], Iterable[Hit]]


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    title: str
    severity: Severity
    stage: Stage
    fix: str
    docs: tuple[str, ...]
    check: Check

    @property
    def rationale(self) -> str:
        return " ".join((self.check.__doc__ or "").split())


def rule(rule_id: str, title: str, *, severity: Severity, stage: Stage, fix: str,
         docs: tuple[str, ...] = ()) -> Callable[[Check], Check]:
    """Attach rule metadata to a check function; registration happens in `registry()`."""

    def attach(fn: Check) -> Check:
        fn.__dabprp_rule__ = Rule(rule_id, title, severity, stage, fix, docs, fn)  # type: ignore[attr-defined]
        return fn

    return attach


def _build() -> Mapping[str, Rule]:
    rules: dict[str, Rule] = {}
    for family in FAMILIES:
        module = importlib.import_module(f"dabprp.rules.{family}")
        for value in vars(module).values():
            meta = getattr(value, "__dabprp_rule__", None)
            if isinstance(meta, Rule):
                if meta.id in rules and rules[meta.id].check is not meta.check:
                    raise RuntimeError(f"duplicate rule id {meta.id}")
                rules[meta.id] = meta
    return MappingProxyType(dict(sorted(rules.items())))


_REGISTRY: list[Mapping[str, Rule]] = []


def registry() -> Mapping[str, Rule]:
    if not _REGISTRY:
        _REGISTRY.append(_build())
    return _REGISTRY[0]


def run_rules(project: Project, disabled: Iterable[str] = (),
              severity_overrides: Mapping[str, str] | None = None) -> tuple[Finding, ...]:
    """Run every enabled rule; a rule that raises becomes an internal-error finding."""
    skip = set(disabled)
    overrides = severity_overrides or {}
    out: list[Finding] = []
    for rid, r in registry().items():
        if matches_rule_id(rid, skip):
            continue
        severity = Severity(overrides.get(rid, r.severity.value))
        try:
            hits = list(r.check(project))
        except Exception as exc:
            out.append(Finding(INTERNAL_ERROR_ID, "Internal rule error", Severity.ERROR, r.stage,
                               f"rule {rid} failed: {type(exc).__name__}: {exc}",
                               Location(project.bundle.root_file if project.bundle else ".", 1), "Report this bug."))
            continue
        for hit in hits:
            out.append(Finding(rid, r.title, severity, r.stage, hit.message, hit.location, r.fix,
                               tuple(sorted(set(hit.evidence))), r.docs))
    out.sort(key=lambda f: (f.rule_id, f.location, f.message))
    return tuple(out)
