"""The narrative parts of the plan: current state, grants, monitoring, success metrics, gotchas, context."""

from __future__ import annotations

import shlex
from typing import Any

from dabprp.facts import Location, Project
from dabprp.plan.bundle_rollout import champion_env, stage_command
from dabprp.plan.model import (
    BundleFile,
    BundleRollout,
    Code,
    Evidence,
    Gate,
    Grant,
    PlannedJob,
    Text,
    names,
    prose,
    text,
)
from dabprp.plan.pipeline import STAGES_DIR
from dabprp.plan.resources import ACCOUNT_GROUP_FOR
from dabprp.settings import Settings


def grants(settings: Settings, model_name: str, serving: str, jobs: tuple[PlannedJob, ...],
           blocks: list[BundleFile] | tuple[BundleFile, ...], deployer: str) -> tuple[Grant, ...]:
    """Who may do what, each with the planned file that declares it (`deployer`: the bundle expression of the
    deployment service principal). An agent run by an App has no model version or deployment job to grant on."""
    consumer = "${var.consumer_group}"
    approvers = "${var.approver_group}"
    serving_kind = "model_serving_endpoints" if serving == "model-serving" else "apps"
    out = []
    deploy_job = next((j.key for j in jobs if j.role == "deployment"), None)
    if serving == "model-serving":
        model = f"<catalog>.<schema>.{model_name}"
        out += [
            Grant("deployer service principal", model, "MANAGE, EXECUTE, APPLY_TAG",
                  "owns versions and aliases; connects the deployment job",
                  _declared(blocks, "registered_models", deployer)),
            Grant(settings.approver_group, model, "APPLY_TAG, EXECUTE", "approve versions with the UC tag",
                  _declared(blocks, "registered_models", approvers)),
            Grant(ACCOUNT_GROUP_FOR.get(settings.consumer_group, settings.consumer_group), model, "EXECUTE",
                  "load the model; see deployment status (UC grants name account-level groups)",
                  _declared(blocks, "registered_models", ACCOUNT_GROUP_FOR.get(settings.consumer_group, consumer))),
        ]
        if deploy_job is not None:
            out += [
                Grant("deployer service principal", f"job {deploy_job}", "run_as",
                      "the model's owner runs the job it links (it needs CAN_MANAGE_RUN for automatic triggering)",
                      _declared(blocks, "jobs", deployer, deploy_job)),
                Grant(settings.approver_group, f"job {deploy_job}", "CAN_MANAGE_RUN", "repair the run after approval",
                      _declared(blocks, "jobs", approvers, deploy_job)),
            ]
        out.append(Grant("deployer service principal", "catalog / schema", "USE CATALOG, USE SCHEMA, CREATE MODEL",
                         "register versions in each environment's catalog", _declared(blocks, "schemas", deployer)))
    out.append(Grant(settings.consumer_group, "serving endpoint" if serving == "model-serving" else "app",
                     "CAN_QUERY" if serving == "model-serving" else "CAN_USE", "call the agent",
                     _declared(blocks, serving_kind, consumer)))
    return tuple(out)


def _declared(blocks: list[BundleFile] | tuple[BundleFile, ...], kind: str, principal: str,
              key: str | None = None) -> str:
    """The first planned file that grants `principal` something on a resource of `kind` (`key`: that one), as a
    UC grant, a permission or the resource's `run_as`, at top level or in a target; empty when none does."""
    return next((block.file for block in blocks if block.grants_to(kind, principal, key)), "")


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
                     "canary step with the stage's own probe requests to the candidate (a step with too few "
                     "requests fails)")
    else:
        items.append("app health: the app's status and the error rate of the stage's own probe requests, checked "
                     "during the soak (too few requests fails it); HTTP errors and latency from the app logs")
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


def validation_commands(jobs: tuple[PlannedJob, ...], targets: tuple[str, ...],
                        owned: BundleRollout | None = None) -> tuple[str, ...]:
    """The commands that check the plan's work, naming the plan's own jobs and targets (the pre-production one:
    the second). With a bundle-owned endpoint every bundle command passes the target's champion (its version
    variable has no default); the pre-production target's comes last, so it stays set for the runs there."""
    pre_name = targets[1] if len(targets) > 1 else targets[0]
    pre = shlex.quote(pre_name)
    out = ["dabprp validate . --all-targets --strict"]
    for target in [*(t for t in targets if t != pre_name), pre_name] if owned else targets:
        if owned is not None:
            out.append(champion_env(owned, target))
        out.append(f"databricks bundle validate --strict -t {shlex.quote(target)}")
    out.append("pytest -q tests")
    tests = next((j for j in jobs if j.role == "tests" and not j.reused), None)
    if tests is not None:
        deploy = stage_command(owned, pre_name, "--deploy") if owned else \
            f"databricks bundle deploy -t {pre} --auto-approve"
        out.append(f"{deploy} && databricks bundle run -t {pre} {tests.key}")
    evaluation = next((j for j in jobs if not j.reused and any(
        t.file == f"{STAGES_DIR}/evaluate.py" for t in j.tasks)), None)
    if evaluation is not None:
        params = ",".join(f"{p.name}=<{p.name.replace('_', ' ')}>" for p in evaluation.parameters if not p.default)
        tasks = " → ".join(t.key for t in evaluation.tasks)
        out.append(f"databricks bundle run -t {pre} {evaluation.key}" + (f" --params {params}" if params else "")
                   + f"   # {tasks}")
    link = next((j for j in jobs if j.role == "link" and not j.reused), None)
    if link is not None:
        out.append(f"databricks bundle run -t {pre} {link.key}")
    out.append("dabprp generate .   # re-run: the appendix shows which gaps remain")
    return tuple(out)


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
    # the project's own calls: dabprp's stage code already is the stage code
    for call in project.python.own().calls("mlflow.pyfunc.log_model", "databricks.agents.deploy",
                                           "mlflow.genai.evaluate"):
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
        out.append(Evidence("bundle", text(Code(str(b.name))), b.name_location or Location(b.root_file, 1)))
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
    generated = project.python.generated_paths()
    for cls in project.python.agent_classes:
        out.append(Evidence("agent interface", text(Code(cls.name), f" ({cls.base}: {', '.join(cls.methods)})"),
                            cls.location))
    for api, label in (("mlflow.pyfunc.log_model", "model logging"), ("mlflow.register_model", "registration"),
                       ("databricks.agents.deploy", "serving"), ("mlflow.genai.evaluate", "evaluation")):
        for call in project.python.calls(api):
            ours = " (dabprp's stage code)" if call.location.path in generated else ""
            out.append(Evidence(label, text(Code(api), ours), call.location))
    for evalset in project.evalsets:
        cats = ", ".join(f"{v} {k.replace('_', '-')}" for k, v in evalset.categories.items())
        out.append(Evidence("evaluation data", f"{evalset.records} records ({cats})", evalset.location))
    tests = sum(len(t.tests) for t in project.repo.tests)
    out.append(Evidence("tests", f"{tests} test functions" if tests else "none"))
    out.append(Evidence("CI", ", ".join(c.path for c in project.repo.ci) or "none"))
    return tuple(out)
