"""The narrative parts of the plan: current state, grants, monitoring, success metrics, gotchas, context."""

from __future__ import annotations

from typing import Any

from dabprp.facts import Location, Project
from dabprp.plan.model import Code, Evidence, Gate, Grant, Text, names, prose, text
from dabprp.plan.resources import ACCOUNT_GROUP_FOR
from dabprp.settings import Settings


def grants(settings: Settings, model_name: str, key: str, serving: str) -> tuple[Grant, ...]:
    model = f"<catalog>.<schema>.{model_name}"
    return (
        Grant("deployer service principal", model, "MANAGE, EXECUTE, APPLY_TAG",
              "owns versions and aliases; connects the deployment job"),
        Grant("deployer service principal", f"job {key}_deployment", "IS_OWNER / CAN_MANAGE_RUN",
              "the model owner needs CAN_MANAGE_RUN for automatic triggering"),
        Grant(settings.approver_group, model, "APPLY_TAG, EXECUTE", "approve versions with the UC tag"),
        Grant(settings.approver_group, f"job {key}_deployment", "CAN_MANAGE_RUN", "repair the run after approval"),
        Grant(ACCOUNT_GROUP_FOR.get(settings.consumer_group, settings.consumer_group), model, "EXECUTE",
              "load the model; see deployment status (UC grants name account-level groups)"),
        Grant(settings.consumer_group, "serving endpoint" if serving == "model-serving" else "app",
              "CAN_QUERY" if serving == "model-serving" else "CAN_USE", "call the agent"),
        Grant("deployer service principal", "catalog / schema", "USE CATALOG, USE SCHEMA, CREATE MODEL",
              "register versions in each environment's catalog"),
    )


def monitoring(serving: str, settings: Settings) -> tuple[str | Text, ...]:
    items: list[str | Text] = [
        prose("MLflow tracing on every request (autolog + `@mlflow.trace` on every node), logged to the "
              "environment's experiment"),
        prose("production scorers registered on the experiment: `Safety().register(name='safety').start("
              "sampling_config=ScorerSamplingConfig(sample_rate=1.0))` plus the code scorers at 10% sampling"),
        prose("job failure and duration alerts to `{email}` (email_notifications + health rules)",
              email=settings.notification_email),
    ]
    if serving == "model-serving":
        items.insert(1, prose("AI Gateway inference table on the endpoint (payload logging to `<catalog>.<schema>`)"))
        items.append("endpoint health: 5xx rate and p95 latency from the serving metrics, checked at each "
                     "canary step")
    else:
        items.append("app health: HTTP error rate and latency from the app logs, checked at each rollout step")
    return tuple(items)


def success_metrics(settings: Settings, gates: tuple[Gate, ...]) -> tuple[Evidence, ...]:
    return (
        Evidence("lead time from merge to production", "under 1 day, no manual notebook runs"),
        Evidence("evaluation gate", ", ".join(f"{g.metric} ≥ {g.threshold:g}" for g in gates
                                              if g.stage == "evaluate")),
        Evidence("staging latency",
                 f"p95 ≤ {settings.latency_p95_ms} ms, error rate ≤ {settings.error_rate_budget:.0%}"),
        Evidence("rollback time", "under 10 minutes, automatic on a failed health check"),
        Evidence("change failure rate", "under 15% of deployments rolled back"),
        Evidence("failed deployments reaching 100% traffic", "0"),
    )


def gotchas(project: Project, serving: str) -> tuple[Text, ...]:
    """Gotchas this project runs into, with the code that does; the general ones live in docs/prp-background.md."""
    items = [prose("`agents.deploy()` (`{where}`) sends 100% of traffic to the new version and owns its endpoint: "
                   "never let the bundle and `agents.deploy()` manage the same endpoint.", where=call.location)
             for call in project.python.calls("databricks.agents.deploy")[:1]]
    if serving == "apps":
        items.append(prose("Apps get no dev-mode name prefix: include `${bundle.target}` in the app name."))
    return tuple(items)


def validation_commands(key: str) -> tuple[str, ...]:
    return (
        "dabprp validate . --all-targets --strict",
        "databricks bundle validate --strict -t dev",
        "databricks bundle validate --strict -t staging",
        "databricks bundle validate --strict -t prod",
        "pytest -q tests",
        f"databricks bundle deploy -t staging --auto-approve && databricks bundle run -t staging {key}_tests",
        f"databricks bundle run -t staging {key}_evaluation --params model_version=<version>",
        f"databricks bundle run -t staging {key}_link_deployment_job",
        "dabprp generate .   # re-run: the appendix shows which gaps remain",
    )


def context_files(project: Project) -> tuple[Evidence, ...]:
    out: list[Evidence] = []
    b = project.bundle
    if b:
        out.append(Evidence(b.root_file, "the bundle: targets, variables and jobs to extend",
                            Location(b.root_file, 1)))
    for g in project.python.graphs:
        out.append(Evidence(g.location.path, text("agent graph ", Code(g.variable),
                                                  ": node names used by routing checks"), g.location))
    for c in project.configs:
        out.append(Evidence(c.path, "agent configuration: placeholders to replace per environment", c.location))
    for e in project.evalsets:
        out.append(Evidence(e.path, f"evaluation dataset ({e.records} records)", e.location))
    seen = {e.label for e in out}
    for call in project.python.calls("mlflow.pyfunc.log_model", "databricks.agents.deploy", "mlflow.genai.evaluate"):
        if call.location.path not in seen:
            seen.add(call.location.path)
            out.append(Evidence(call.location.path, text(Code(call.api), " to move into the stage code"),
                                call.location))
    return tuple(out)


def current_state(project: Project, agent: Any) -> tuple[Evidence, ...]:
    b = project.bundle
    out: list[Evidence] = []
    if b is None:
        out.append(Evidence("bundle", "none: the project is deployed by hand"))
    else:
        out.append(Evidence("bundle", text(Code(str(b.name))), Location(b.root_file, 1)))
        for t in b.targets:
            out.append(Evidence("target", text(Code(t.name), f" (mode {t.mode or 'unset'}"
                                               + (", default" if t.default else "") + ")"), t.location))
        for j in b.resources.jobs:
            out.append(Evidence("job", text(Code(j.key), ": ", *names(t.task_key for t in j.tasks)), j.location))
        for e in b.resources.experiments:
            out.append(Evidence("experiment", text(Code(str(e.name))), e.location))
        for m in b.resources.registered_models:
            out.append(Evidence("registered model", text(Code(f"{m.catalog}.{m.schema}.{m.name}")), m.location))
        for a in b.resources.apps:
            out.append(Evidence("app", text(Code(str(a.name))), a.location))
        for s in b.resources.model_serving_endpoints:
            out.append(Evidence("serving endpoint", text(Code(str(s.name))), s.location))
    for g in project.python.graphs:
        out.append(Evidence("agent graph", text(f"{len(g.nodes)} nodes ({', '.join(n.name for n in g.nodes)}), "
                                                "entry ", Code(str(g.entry_point))), g.location))
    for cls in project.python.agent_classes:
        out.append(Evidence("agent interface", text(Code(cls.name), f" ({cls.base}: {', '.join(cls.methods)})"),
                            cls.location))
    for api, label in (("mlflow.pyfunc.log_model", "model logging"), ("mlflow.register_model", "registration"),
                       ("databricks.agents.deploy", "serving"), ("mlflow.genai.evaluate", "evaluation")):
        for call in project.python.calls(api):
            out.append(Evidence(label, text(Code(api)), call.location))
    for evalset in project.evalsets:
        cats = ", ".join(f"{v} {k.replace('_', '-')}" for k, v in evalset.categories.items())
        out.append(Evidence("evaluation data", f"{evalset.records} records ({cats})", evalset.location))
    tests = sum(len(t.tests) for t in project.repo.tests)
    out.append(Evidence("tests", f"{tests} test functions" if tests else "none"))
    out.append(Evidence("CI", ", ".join(c.path for c in project.repo.ci) or "none"))
    return tuple(out)
