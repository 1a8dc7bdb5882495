"""The one result model: findings of rules and validate checks, and the report that holds them."""

from __future__ import annotations

from collections.abc import Iterable
from enum import Enum

from dabprp.digest import sha256
from dabprp.facts import Location
from dabprp.records import record


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"

    @property
    def rank(self) -> int:
        return {"error": 3, "warning": 2, "note": 1}[self.value]


class Stage(str, Enum):
    TEST = "test"
    EVALUATE = "evaluate"
    STAGE = "stage"
    DEPLOY = "deploy"
    SECURITY = "security"
    OBSERVABILITY = "observability"


def matches_rule_id(rule_id: str, patterns: Iterable[str]) -> bool:
    """`rule_id` equals one of `patterns`, or starts with a shorter one (a family prefix like `DAB3`)."""
    return any(rule_id == p.upper() or (len(p) < len(rule_id) and rule_id.startswith(p.upper())) for p in patterns)


@record
class Hit:
    """What a rule yields: where, and what is wrong there."""

    location: Location
    message: str
    evidence: tuple[Location, ...] = ()
    severity: Severity | None = None
    """Only for rules whose hits differ in severity (schema violations the CLI only warns about)."""


@record
class RuleDoc:
    """A rule's metadata as every output shows it (`dabprp rules`, SARIF, MCP `explain_rule`)."""

    id: str
    title: str
    severity: Severity
    stage: Stage
    fix: str
    rationale: str
    docs: tuple[str, ...] = ()


@record
class Finding:
    rule_id: str
    title: str
    severity: Severity
    stage: Stage
    message: str
    location: Location
    remediation: str
    evidence: tuple[Location, ...] = ()
    docs: tuple[str, ...] = ()

    @property
    def fingerprint(self) -> str:
        digest = sha256(f"{self.rule_id}|{self.location.path}|{self.message}".encode()).hexdigest()
        return digest[:16]


@record
class Report:
    """All findings of one run after settings, suppressions and the baseline: what every output shows."""

    findings: tuple[Finding, ...] = ()
    fingerprints: tuple[str, ...] = ()
    """One per finding, in the same order."""
    rules: tuple[RuleDoc, ...] = ()
    """The rules that ran (selected and not ignored), sorted by ID."""
    targets: tuple[str, ...] = ()
    """The bundle targets whose effective configuration was checked."""
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

    def fired(self, rule_id: str) -> bool:
        return any(f.rule_id == rule_id for f in self.findings)
