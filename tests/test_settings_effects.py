"""Every setting is used: changing it changes the plan or the findings in the way it promises."""

from __future__ import annotations

from dataclasses import fields, replace
from typing import Any

import pytest

from dabprp.analyze import load_project
from dabprp.plan import Plan, build_plan
from dabprp.report import build_report
from dabprp.settings import Settings
from tests.conftest import EXAMPLE


def _env(plan: Plan, name: str) -> Any:
    return next(e for e in plan.environments if e.name == name)


def _gate(plan: Plan, metric: str) -> float:
    return next(g.threshold for g in plan.gates if g.metric == metric)


def _variable(plan: Plan, name: str) -> Any:
    return next(v.default for v in plan.bundle_files[0].variables if v.name == name)


def _rules(plan: Plan) -> set[str]:
    return {f.rule_id for f in plan.findings}


def _dataset_task(plan: Plan) -> Any:
    return next(t for t in plan.roadmap if "DAB503" in t.closes)


# setting -> (changed value, what it does to the plan of the reference project, the same with the default)
EFFECTS: dict[str, tuple[Any, Any]] = {
    "environments": (("dev", "qa", "prod"), lambda p: [e.name for e in p.environments]),
    "catalogs": ({"prod": "finance_prod"}, lambda p: _env(p, "prod").catalog),
    "schema": ("agents_v2", lambda p: sorted({e.schema for e in p.environments})),
    "service_principals": ({"prod": "sp-prod"}, lambda p: _env(p, "prod").service_principal),
    "secret_scopes": ({"prod": "vault-prod"}, lambda p: _env(p, "prod").secret_scope),
    "thresholds": ({"safety/mean": 0.5}, lambda p: _gate(p, "safety/mean")),
    "rollout_steps": ((25, 100), lambda p: p.rollout_steps),
    "serving": ("apps", lambda p: p.serving),
    "min_eval_records": (10, lambda p: ("DAB504" in _rules(p), _dataset_task(p).evidence[:1])),
    "latency_p95_ms": (2500, lambda p: _gate(p, "p95_latency_ms")),
    "error_rate_budget": (0.05, lambda p: (_gate(p, "error_rate"), _gate(p, "rollout_error_rate"))),
    "notification_email": ("oncall@corp.example", lambda p: _variable(p, "notification_email")),
    "approver_group": ("release-managers", lambda p: _variable(p, "approver_group")),
    "consumer_group": ("analysts", lambda p: _variable(p, "consumer_group")),
    "admin_group": ("platform", lambda p: _variable(p, "admin_group")),
    "select": (("DAB1",), lambda p: sorted({f.rule_id[:4] for f in p.findings})),
    "ignore": (("DAB101",), lambda p: "DAB101" in _rules(p)),
    "per_path_ignores": ({"databricks.yml": ["DAB101"]}, lambda p: "DAB101" in _rules(p)),
    "severity_overrides": ({"DAB101": "note"}, lambda p: next(f.severity.value for f in p.findings
                                                              if f.rule_id == "DAB101")),
}

EXPECTED = {
    "environments": (["dev", "staging", "prod"], ["dev", "qa", "prod"]),
    "catalogs": ("main_prod", "finance_prod"),
    "schema": (["sec_agents"], ["agents_v2"]),
    "service_principals": ("multiagent-genie-deployer-prod", "sp-prod"),
    "secret_scopes": ("multiagent-genie-prod", "vault-prod"),
    "thresholds": (1.0, 0.5),
    "rollout_steps": ((10, 50, 100), (25, 100)),
    "serving": ("model-serving", "apps"),
    "min_eval_records": ((True, ()), (False, ("data/evals/eval-questions.json: 14 records",))),
    "latency_p95_ms": (10000.0, 2500.0),
    "error_rate_budget": ((0.01, 0.01), (0.05, 0.05)),
    "notification_email": ("ml-oncall@example.com", "oncall@corp.example"),
    "approver_group": ("model-approvers", "release-managers"),
    "consumer_group": ("users", "analysts"),
    "admin_group": ("ml-platform-admins", "platform"),
    "select": (["DAB1", "DAB2", "DAB3", "DAB4", "DAB5", "DAB6", "DAB7", "DAB8", "DAB9"], ["DAB1"]),
    "ignore": (True, False),
    "per_path_ignores": (True, False),
    "severity_overrides": ("error", "note"),
}


@pytest.fixture(scope="module")
def analysis():
    return load_project(str(EXAMPLE))


def _plan(analysis: Any, settings: Settings) -> Plan:
    return build_plan(analysis.project, build_report(str(EXAMPLE), analysis, settings).findings, settings)


def test_every_setting_has_a_row():
    assert set(EFFECTS) == {f.name for f in fields(Settings)} - {"source"}


@pytest.mark.parametrize("key", sorted(EFFECTS))
def test_changing_a_setting_changes_what_it_promises(analysis, key):
    value, effect = EFFECTS[key]
    default = effect(_plan(analysis, Settings()))
    changed = effect(_plan(analysis, replace(Settings(), **{key: value})))
    assert (default, changed) == EXPECTED[key]
