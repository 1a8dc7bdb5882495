"""Positive evidence that a roadmap task's deliverable exists in the project: a task is done only when its
findings are gone AND the thing it builds is there (no finding alone proves nothing was needed)."""

from __future__ import annotations

from collections.abc import Callable

from dabprp.facts import EvalTable, MetricGate, ProductionScorer, Project, TrafficSplit
from dabprp.knowledge import is_approval_task_key
from dabprp.plan.model import Text, prose
from dabprp.rules.queries import hardcoded_secrets
from dabprp.settings import Settings

Evidence = list[str | Text]


def _targets(p: Project, settings: Settings) -> Evidence:
    b = p.bundle
    prod = [t for t in b.targets if t.mode == "production"] if b else []
    if b and prod and len(b.targets) >= 3:
        return [f"targets {', '.join(t.name for t in b.targets)} (production: {prod[0].name} at {prod[0].location})"]
    return []


def _service_principal(p: Project, settings: Settings) -> Evidence:
    b = p.bundle
    prod = [t for t in b.targets if t.mode == "production"] if b else []
    if not b or not prod:
        return []
    runs = [t.run_as or b.run_as for t in prod]
    res = b.resources
    scoped = [*(j.permissions for j in res.jobs), *(e.permissions for e in res.experiments),
              *(e.permissions for e in res.model_serving_endpoints), *(a.permissions for a in res.apps)]
    if all(r is not None and r.kind == "service_principal" for r in runs) and (
            b.permissions or any(t.permissions for t in b.targets) or any(scoped)):
        return [f"production runs as service principal at {runs[0].location}" if runs[0] else ""]
    return []


def _config_variables(p: Project, settings: Settings) -> Evidence:
    if p.configs and not any(c.placeholders for c in p.configs) and p.bundle and p.bundle.variables:
        return [f"{c.path} has no placeholders" for c in p.configs]
    return []


def _secrets(p: Project, settings: Settings) -> Evidence:
    b = p.bundle
    if b and b.resources.secret_scopes and not hardcoded_secrets(p):
        return [prose("secret scope `{key}` at {where}", key=s.key, where=s.location)
                for s in b.resources.secret_scopes]
    return []


ROUTING_TEST = "tests/test_routing.py"
"""dabprp's routing test: it imports the agent module (the structure test only reads it)."""


def _tests(p: Project, settings: Settings) -> Evidence:
    imports_agent = {f for f in p.python.generated_paths() if f.endswith(ROUTING_TEST)}
    return [f"{t.path}: {len(t.tests)} tests" + (" (dabprp's: skipped where the agent module does not import, "
                                                  "except in the test job, where that fails them)"
                                                  if t.path in imports_agent else "")
            for t in p.repo.tests if t.tests]


def _ci(p: Project, settings: Settings) -> Evidence:
    return [prose("{path} runs `bundle deploy`", path=c.path) for c in p.repo.ci if "deploy" in c.runs_bundle_commands]


def _pins(p: Project, settings: Settings) -> Evidence:
    reqs = p.repo.requirements
    if reqs and all(r.pinning == "exact" for r in reqs):
        return [f"{len(reqs)} requirements pinned exactly"]
    return []


def _predeploy_check(p: Project, settings: Settings) -> Evidence:
    return [prose("`mlflow.models.predict` at {where}", where=c.location)
            for c in p.python.calls("mlflow.models.predict")]


def _evaluation(p: Project, settings: Settings) -> Evidence:
    gated = {g.location.path for g in p.python.of(MetricGate)}
    return [f"gated evaluation at {c.location}" for c in p.python.calls("mlflow.genai.evaluate", "mlflow.evaluate")
            if c.location.path in gated]


def _dataset(p: Project, settings: Settings) -> Evidence:
    found: Evidence = [f"{e.path}: {e.records} records" for e in p.evalsets if e.records >= settings.min_eval_records]
    return found + [f"evaluation table at {t.location}" for t in p.python.of(EvalTable)]


def _uc_model(p: Project, settings: Settings) -> Evidence:
    b = p.bundle
    return [prose("registered model `{key}` at {where}", key=m.key, where=m.location)
            for m in b.resources.registered_models] if b else []


def _staging(p: Project, settings: Settings) -> Evidence:
    b = p.bundle
    pre = settings.environments[1] if len(settings.environments) > 1 else None
    if not b or not any(t.name == pre for t in b.targets):
        return []
    return [prose("task `{task}` of job `{job}` at {where}", task=t.task_key, job=j.key, where=t.location)
            for j in b.resources.jobs for t in j.tasks
            if any(w in t.task_key.lower() for w in ("load", "rehears", "rollback"))]


def _deployment_job(p: Project, settings: Settings) -> Evidence:
    b = p.bundle
    if not b:
        return []
    return [prose("job `{job}` with approval task at {where}", job=j.key, where=j.location) for j in b.resources.jobs
            if any(is_approval_task_key(t.task_key) for t in j.tasks)]


def _link(p: Project, settings: Settings) -> Evidence:
    return [prose("`{api}` with `deployment_job_id` at {where}", api=c.api, where=c.location)
            for c in p.python.mlflow_calls
            if "deployment_job_id" in c.args and not c.commented_out]


def _canary(p: Project, settings: Settings) -> Evidence:
    b = p.bundle
    split: Evidence = [prose("traffic split on `{key}` at {where}", key=e.key, where=e.location)
                       for e in (b.resources.model_serving_endpoints if b else ()) if len(e.traffic) > 1]
    return split + [f"traffic split in code at {c.location}" for c in p.python.of(TrafficSplit)]


def _monitoring(p: Project, settings: Settings) -> Evidence:
    b = p.bundle
    autolog = [c for c in p.python.mlflow_calls if c.api.endswith("autolog") and not c.commented_out]
    tables = [prose("inference table on `{key}`", key=e.key) for e in (b.resources.model_serving_endpoints if b else ())
              if e.inference_table]
    scorers = [f"production scorer started at {s.location}" for s in p.python.of(ProductionScorer)
               if s.action in ("start", "monitor")]
    monitors = [prose("quality monitor `{key}`", key=m.key) for m in b.resources.quality_monitors] if b else []
    if autolog and (tables or scorers or monitors):
        return [f"autolog at {autolog[0].location}", *tables, *scorers, *monitors]
    return []


# The first rule a task closes (rule IDs are permanent) → what proves its deliverable exists.
DELIVERABLES: dict[str, Callable[[Project, Settings], Evidence]] = {
    "DAB100": _targets, "DAB301": _service_principal, "DAB701": _config_variables, "DAB304": _secrets,
    "DAB801": _tests, "DAB802": _ci, "DAB408": _pins, "DAB406": _predeploy_check, "DAB501": _evaluation,
    "DAB503": _dataset, "DAB401": _uc_model, "DAB213": _staging, "DAB203": _deployment_job, "DAB405": _link,
    "DAB604": _canary, "DAB601": _monitoring,
}


def deliverable_evidence(closes: tuple[str, ...], project: Project, settings: Settings) -> tuple[str | Text, ...]:
    """Evidence that the task closing these rules has built its deliverable; empty when there is none."""
    check = DELIVERABLES.get(closes[0]) if closes else None
    return tuple(e for e in check(project, settings) if e) if check else ()
