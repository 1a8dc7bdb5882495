"""The one result model: findings of rules and validate checks, and the report that holds them."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum

from dabprp.facts import Location


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


@dataclass(frozen=True, slots=True)
class Hit:
    """What a rule yields: where, and what is wrong there."""

    location: Location
    message: str
    evidence: tuple[Location, ...] = ()


@dataclass(frozen=True, slots=True)
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
        digest = hashlib.sha256(f"{self.rule_id}|{self.location.path}|{self.message}".encode()).hexdigest()
        return digest[:16]


@dataclass(frozen=True, slots=True)
class Report:
    findings: tuple[Finding, ...] = field(default_factory=tuple)

    def by_rule(self) -> dict[str, list[Finding]]:
        out: dict[str, list[Finding]] = {}
        for f in self.findings:
            out.setdefault(f.rule_id, []).append(f)
        return out

    def fired(self, rule_id: str) -> bool:
        return any(f.rule_id == rule_id for f in self.findings)
