"""Facts + findings + settings → the Plan. Everything the PRP shows is computed here."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from dabprp.facts import Location, Project
from dabprp.findings import Finding
from dabprp.knowledge import UNCONFIRMED
from dabprp.plan import bundle_yaml as by
from dabprp.plan.model import (
    Environment,
    EvalCheck,
    Evidence,
    Gate,
    Grant,
    Plan,
    PlannedJob,
    PlannedTask,
    YamlBlock,
)
from dabprp.plan.profile import agent_profile, project_scope
from dabprp.plan.roadmap import risks, roadmap
from dabprp.settings import DEFAULT_DOMAIN_THRESHOLDS, DEFAULT_THRESHOLDS, Settings

STAGES_DIR = "src/stages"


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") or "agent"


def build_plan(project: Project, findings: tuple[Finding, ...], settings: Settings) -> Plan:
    b = project.bundle
    name = (b.name if b and b.name else project.root) or "agent"
    key = slug(name)
    agent = agent_profile(project)
    scope = project_scope(project)
    serving = settings.serving or ("apps" if b and b.resources.apps else "model-serving")
    envs = _environments(project, settings, name)
    checks = _eval_checks(project, agent, scope)
    gates = _gates(checks, settings)
    model_name = _variable(project, "model_name") or key
    jobs = _jobs(key, agent, serving, existing_keys(project).deploy_job)
    blocks = _yaml_blocks(project, settings, name, key, model_name, envs, gates, serving, agent, existing_keys(project))
    return Plan(
        project=project.root,
        bundle_name=name,
        has_bundle=b is not None,
        serving=serving,
        agent=agent,
        scope=scope,
        current_state=_current_state(project, agent),
        environments=envs,
        jobs=jobs,
        gates=gates,
        eval_checks=checks,
        yaml_blocks=blocks,
        grants=_grants(settings, model_name, key, serving),
        rollout_steps=settings.rollout_steps,
        monitoring=_monitoring(serving, settings),
        success_metrics=_success_metrics(settings, gates),
        roadmap=roadmap(project, findings, key, serving),
        risks=risks(project, agent, serving),
        gotchas=_gotchas(project, serving),
        unconfirmed=tuple(UNCONFIRMED[k] for k in sorted(UNCONFIRMED)),
        validation_commands=_validation_commands(key),
        context_files=_context_files(project),
        findings=findings,
        settings_source=settings.source,
    )


def _variable(project: Project, name: str) -> str | None:
    b = project.bundle
    if b is None:
        return None
    for v in b.variables:
        if v.name == name and isinstance(v.value, str):
            return v.value
    return None


def _environments(project: Project, settings: Settings, name: str) -> tuple[Environment, ...]:
    base_catalog = _variable(project, "catalog") or "main"
    schema = settings.schema or _variable(project, "schema") or "agents"
    purposes = {"dev": "personal iteration; dev-mode name prefixes isolate each developer",
                "staging": "pre-production: deploy, load test, rollback rehearsal, UAT",
                "prod": "production traffic behind approval and canary rollout"}
    out = []
    for i, env in enumerate(settings.environments):
        production = i > 0
        existing = project.bundle.target(env) if project.bundle else None
        existing_catalog = existing.variables.get("catalog") if existing else None
        catalog = settings.catalogs.get(env) or (existing_catalog if isinstance(existing_catalog, str) else None) \
            or (base_catalog if i == 0 else f"{base_catalog}_{env}")
        sp_id = existing.run_as.principal if existing and existing.run_as and \
            existing.run_as.kind == "service_principal" and production and "${" not in existing.run_as.principal \
            else None
        root_path = existing.workspace.root_path if existing and existing.workspace else None
        out.append(Environment(
            name=env, mode="production" if production else "development", catalog=catalog, schema=schema,
            secret_scope=settings.secret_scopes.get(env) or f"{name}-{env}",
            service_principal=settings.service_principals.get(env) or sp_id or f"{name}-deployer-{env}",
            root_path=(root_path or "/Workspace/Shared/.bundle/${bundle.name}/${bundle.target}") if production
            else None,
            default=i == 0, purpose=purposes.get(env, "additional environment"),
            service_principal_is_id=bool(sp_id and not settings.service_principals.get(env)),
        ))
    return tuple(out)


def _eval_checks(project: Project, agent: Any, scope: Any) -> tuple[EvalCheck, ...]:
    checks = [
        EvalCheck("correctness", "judge", "answers contain the expected facts of each record",
                  "every record carries `expectations`"),
        EvalCheck("relevance_to_query", "judge", "the answer addresses the question", "built-in judge"),
        EvalCheck("safety", "judge", "no harmful content", "built-in judge"),
    ]
    guidelines = [c for c in project.python.mlflow_calls if c.api.endswith("scorers.Guidelines")]
    if guidelines:
        checks.append(EvalCheck("guidelines", "judge", "the project's own guideline: "
                                f"{guidelines[0].args.get('guidelines', '')}", "already used by the project",
                                (guidelines[0].location,)))
    if scope.numeric_answers:
        checks.append(EvalCheck(
            "numeric_accuracy", "code",
            "every number in `expected_facts` appears in the answer within 1% relative tolerance "
            "(units normalised: millions/billions, %)",
            "the agent's prompts ask for metric values", scope.evidence))
    if scope.relative_time:
        checks.append(EvalCheck(
            "relative_time_resolution", "code",
            "time-relative questions ('last year', 'most recent quarter') are answered for the concrete "
            "period the temporal helper computes on the evaluation date",
            "the agent resolves relative time terms",
            tuple(e.location for e in agent.temporal_helpers if e.location)))
    parallel_route = next((r for r in agent.routes if "parallel" in r.lower()), None) if agent.parallel else None
    if agent.routes and agent.nodes:
        checks.append(EvalCheck(
            "routing_accuracy", "code",
            "the trace's spans show the expected route (" + ", ".join(f"`{r}`" for r in agent.routes)
            + ") for each question kind" + (
                f": comparative questions must reach `{parallel_route}`" if parallel_route else ""),
            f"`{agent.router or 'the router'}` decides among graph nodes " + ", ".join(agent.nodes),
            tuple(g.location for g in project.python.graphs)))
    if any("VectorSearch" in t.value for t in agent.tools):
        checks.append(EvalCheck("retrieval_groundedness", "judge", "answers are grounded in retrieved documents",
                                "the agent retrieves with vector search",
                                tuple(t.location for t in agent.tools if t.location)))
    return tuple(checks)


def _gates(checks: tuple[EvalCheck, ...], settings: Settings) -> tuple[Gate, ...]:
    thresholds = {**DEFAULT_THRESHOLDS, **DEFAULT_DOMAIN_THRESHOLDS, **settings.thresholds}
    gates = []
    for c in checks:
        metric = f"{c.name}/mean"
        if metric in thresholds:
            gates.append(Gate("evaluate", metric, float(thresholds[metric]), c.kind))
    gates.append(Gate("stage", "p95_latency_ms", float(settings.latency_p95_ms), "load test"))
    gates.append(Gate("stage", "error_rate", settings.error_rate_budget, "load test"))
    gates.append(Gate("deploy", "canary_error_rate", settings.error_rate_budget, "endpoint metrics"))
    return tuple(gates)


def _jobs(key: str, agent: Any, serving: str, deploy_job: str | None) -> tuple[PlannedJob, ...]:
    s = STAGES_DIR
    return (
        PlannedJob(f"{key}_tests", "test", "unit tests, config validation, pre-deployment check",
                   "resources/test_job.yml", (
                       PlannedTask("unit_tests", f"{s}/run_tests.py", (), 1, "pytest on tests/"),
                       PlannedTask("validate_config", f"{s}/validate_config.py", ("unit_tests",), 1,
                                   "no placeholders; endpoints and ids resolve in this target"),
                   ), "CI on every pull request"),
        PlannedJob(f"{key}_evaluation", "evaluate", "quality gate on the evaluation dataset",
                   "resources/evaluation_job.yml", (
                       PlannedTask("evaluate", f"{s}/evaluate.py", (), 1, "mlflow.genai.evaluate + gates"),
                   ), "CI after tests; nightly regression"),
        PlannedJob(f"{key}_staging", "stage", "deploy to staging, load test, rollback rehearsal",
                   "resources/staging_job.yml", (
                       PlannedTask("deploy_staging", f"{s}/deploy.py", (), 2, "deploy the candidate to staging"),
                       PlannedTask("load_test", f"{s}/loadtest.py", ("deploy_staging",), 0,
                                   "latency and error budgets under load"),
                       PlannedTask("rollback_rehearsal", f"{s}/deploy.py", ("load_test",), 1,
                                   "roll back to the previous version and back"),
                   ), "CI on merge to main"),
        PlannedJob(deploy_job or f"{key}_deployment", "deploy", "MLflow 3 deployment job for each new model version",
                   "resources/deployment_job.yml", (
                       PlannedTask("Evaluation", f"{s}/evaluate.py", (), 1, "evaluate this version"),
                       PlannedTask("Approval_Check", f"{s}/approve.py", ("Evaluation",), 0,
                                   "UC tag `Approval_Check=Approved` on the version"),
                       PlannedTask("Deployment", f"{s}/deploy.py", ("Approval_Check",), 2,
                                   "canary rollout " + ("of the app" if serving == "apps" else "on the endpoint")
                                   + " with automatic rollback"),
                   ), "automatic, for every new version of the UC model"),
        PlannedJob(f"{key}_link_deployment_job", "deploy", "post-deploy: link the deployment job to the model",
                   "resources/deployment_job.yml", (
                       PlannedTask("link", f"{s}/link_deployment_job.py", (), 2,
                                   "update_registered_model(deployment_job_id=...)"),
                   ), "once after each `bundle deploy` of staging and prod"),
    )


def _dependencies(project: Project) -> list[str]:
    pinned = [f"{r.name}{r.spec}" for r in project.repo.requirements if r.spec]
    unpinned = [r.name for r in project.repo.requirements if not r.spec]
    deps = sorted(set(pinned + unpinned))
    return deps or ["mlflow[databricks]>=3.1.3", "databricks-agents>=1.1.0"]


def _variables(project: Project, settings: Settings, model_name: str, envs: tuple[Environment, ...],
               agent: Any) -> dict[str, dict[str, Any]]:
    dev = envs[0]
    out: dict[str, dict[str, Any]] = {}
    b = project.bundle
    for v in b.variables if b else ():
        if v.lookup:
            out[v.name] = {"description": v.description or v.name, "lookup": dict(v.lookup)}
        elif isinstance(v.default, (str, int, float, bool)):
            out[v.name] = {"description": v.description or v.name, "default": v.default}
    out.setdefault("catalog", {"description": "Unity Catalog catalog of this environment",
                               "default": dev.catalog})
    out.setdefault("schema", {"description": "schema for the agent model and tables", "default": dev.schema})
    out.setdefault("model_name", {"description": "registered model name (without catalog and schema)",
                                  "default": model_name})
    endpoints = sorted({e.value for e in agent.llm_endpoints if e.value and not e.value.startswith("<")})
    for cfg in project.configs:
        endpoints += sorted({str(v.value) for v in cfg.llm_endpoints if v.value} - set(endpoints))
    if endpoints and "llm_endpoint" not in out:
        out["llm_endpoint"] = {"description": "LLM serving endpoint the agent calls", "default": endpoints[0]}
    out["secret_scope"] = {"description": "secret scope of this environment", "default": dev.secret_scope}
    out["deployer_sp"] = {"description": "application ID of the deployment service principal (looked up by name)",
                          "lookup": {"service_principal": dev.service_principal}}
    out["approver_group"] = {"description": "group allowed to approve model versions",
                             "default": settings.approver_group}
    out["consumer_group"] = {"description": "group that may view and query", "default": settings.consumer_group}
    out["admin_group"] = {"description": "platform administrators", "default": settings.admin_group}
    out["notification_email"] = {"description": "where failures are sent", "default": settings.notification_email}
    return out


@dataclass(frozen=True, slots=True)
class ExistingKeys:
    """Resources the bundle already has for a role the plan needs: reused, not added again."""

    model: str | None = None
    endpoint: str | None = None
    app: str | None = None
    scope: str | None = None
    deploy_job: str | None = None


def existing_keys(project: Project) -> ExistingKeys:
    """The user's own resources for each role; resources under the plan's own keys (an earlier scaffold) are
    the plan's, not existing pieces, so re-planning gives the same result."""
    b = project.bundle
    if b is None:
        return ExistingKeys()
    key = slug(b.name or project.root)
    ours = {f"{key}_model", f"{key}_endpoint", f"{key}_app", f"{key}_secrets", f"{key}_deployment"}

    def first(items: Any) -> str | None:
        return next((i.key for i in items if i.key not in ours), None)

    res = b.resources
    approval_jobs = [j for j in res.jobs if any(t.task_key.lower().startswith("approval") for t in j.tasks)]
    return ExistingKeys(model=first(res.registered_models), endpoint=first(res.model_serving_endpoints),
                        app=first(res.apps), scope=first(res.secret_scopes), deploy_job=first(approval_jobs))


def _yaml_blocks(project: Project, settings: Settings, name: str, key: str, model_name: str,
                 envs: tuple[Environment, ...], gates: tuple[Gate, ...], serving: str, agent: Any,
                 existing: ExistingKeys) -> tuple[YamlBlock, ...]:
    variables = _variables(project, settings, model_name, envs, agent)
    env_values = {e.name: {"catalog": e.catalog, "secret_scope": e.secret_scope} for e in envs[1:]}
    # the deployed name: dev mode prefixes UC model names, so code gets it from the resource
    model_key = existing.model or f"{key}_model"
    deploy_key = existing.deploy_job or f"{key}_deployment"
    full_model = "${var.catalog}.${var.schema}.${resources.registered_models.%s.name}" % model_key
    deps = _dependencies(project)
    email = "${var.notification_email}"
    stages = f"../{STAGES_DIR}"
    model_ref = "${resources.registered_models.%s.name}" % model_key
    common = {"max_concurrent_runs": 1, "queue": {"enabled": True},
              "email_notifications": by.notifications(email), "environments": by.environments_block(deps)}

    def job(job_name: str, timeout: int, tasks: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
        return {"name": f"{name}-{job_name}-${{bundle.target}}", **extra, **common,
                "timeout_seconds": timeout, "health": by.health(int(timeout * 0.75)), "tasks": tasks,
                "permissions": [{"level": "CAN_MANAGE_RUN", "group_name": "${var.approver_group}"},
                                {"level": "CAN_VIEW", "group_name": "${var.consumer_group}"}]}

    test_job = job("tests", 3600, [
        by.py_task("unit_tests", f"{stages}/run_tests.py", ["tests", "-q"], [], 1, 1800),
        by.py_task("validate_config", f"{stages}/validate_config.py", ["--catalog", "${var.catalog}"],
                   ["unit_tests"], 1, 600)])
    eval_args = ["--model-name", full_model, "--model-version", "{{job.parameters.model_version}}",
                 *by.gate_args(tuple(g for g in gates if g.stage == "evaluate"))]
    eval_job = job("evaluation", 7200, [by.py_task("evaluate", f"{stages}/evaluate.py", eval_args, [], 1, 5400)],
                   parameters=[{"name": "model_version", "default": ""}])
    stage_job = job("staging", 7200, [
        by.py_task("deploy_staging", f"{stages}/deploy.py", ["--model-name", full_model, "--model-version",
                   "{{job.parameters.model_version}}", "--steps", "100"], [], 2, 2700),
        by.py_task("load_test", f"{stages}/loadtest.py", [f"--p95-ms={settings.latency_p95_ms}",
                   f"--max-error-rate={settings.error_rate_budget}"], ["deploy_staging"], 0, 1800),
        by.py_task("rollback_rehearsal", f"{stages}/deploy.py", ["--model-name", full_model, "--rollback"],
                   ["load_test"], 1, 1800)], parameters=[{"name": "model_version", "default": ""}])
    deploy_tasks = [
        by.py_task("Evaluation", f"{stages}/evaluate.py", ["--model-name", "{{job.parameters.model_name}}",
                   "--model-version", "{{job.parameters.model_version}}",
                   *by.gate_args(tuple(g for g in gates if g.stage == "evaluate"))], [], 1, 5400),
        by.py_task("Approval_Check", f"{stages}/approve.py", ["--model-name", "{{job.parameters.model_name}}",
                   "--model-version", "{{job.parameters.model_version}}", "--tag", "{{task.name}}"],
                   ["Evaluation"], 0, 600),
        by.py_task("Deployment", f"{stages}/deploy.py", ["--model-name", "{{job.parameters.model_name}}",
                   "--model-version", "{{job.parameters.model_version}}",
                   "--steps", ",".join(str(s) for s in settings.rollout_steps)], ["Approval_Check"], 2, 3600)]
    deploy_job = job("deployment", 10800, deploy_tasks,
                     parameters=[{"name": "model_name", "default": full_model},
                                 {"name": "model_version", "default": ""}],
                     run_as={"service_principal_name": "${var.deployer_sp}"})
    link_job = job("link-deployment-job", 1200, [by.py_task(
        "link", f"{stages}/link_deployment_job.py",
        ["--model-name", full_model, "--job-id", "${resources.jobs.%s.id}" % deploy_key], [], 2, 600)])
    model_doc: dict[str, Any] = {"resources": {
        "registered_models": {f"{key}_model": {
            "catalog_name": "${var.catalog}", "schema_name": "${var.schema}", "name": "${var.model_name}",
            "comment": f"{agent.framework} agent of {name}",
            "grants": [{"principal": "${var.consumer_group}", "privileges": ["EXECUTE"]},
                       {"principal": "${var.approver_group}", "privileges": ["EXECUTE", "APPLY_TAG"]},
                       {"principal": "${var.deployer_sp}", "privileges": ["MANAGE", "EXECUTE", "APPLY_TAG"]}]}},
        "experiments": {f"{key}_experiment": {
            "name": f"/Workspace/Shared/{name}/${{bundle.target}}/{key}",
            "permissions": [{"level": "CAN_READ", "group_name": "${var.consumer_group}"},
                            {"level": "CAN_MANAGE", "group_name": "${var.admin_group}"}]}},
        "secret_scopes": {f"{key}_secrets": {
            "name": "${var.secret_scope}", "backend_type": "DATABRICKS",
            "permissions": [{"level": "READ", "service_principal_name": "${var.deployer_sp}"},
                            {"level": "MANAGE", "group_name": "${var.admin_group}"}]}},
    }}
    if existing.model:
        del model_doc["resources"]["registered_models"]
    if existing.scope:
        del model_doc["resources"]["secret_scopes"]
    deployment_jobs = {f"{key}_link_deployment_job": link_job}
    if not existing.deploy_job:
        deployment_jobs = {f"{key}_deployment": deploy_job, **deployment_jobs}
    serving_exists = existing.app if serving == "apps" else existing.endpoint
    blocks = [
        YamlBlock("Targets, variables and top-level permissions", "databricks.yml",
                  by.dump(by.environment_doc(name, envs, variables, env_values))),
        YamlBlock("Test stage job", "resources/test_job.yml", by.dump({"resources": {"jobs": {
            f"{key}_tests": test_job}}})),
        YamlBlock("Evaluation stage job", "resources/evaluation_job.yml", by.dump({"resources": {"jobs": {
            f"{key}_evaluation": eval_job}}})),
        YamlBlock("Staging job", "resources/staging_job.yml", by.dump({"resources": {"jobs": {
            f"{key}_staging": stage_job}}})),
        YamlBlock("MLflow 3 deployment job and its post-deploy link" if not existing.deploy_job else
                  f"Post-deploy link for the existing deployment job `{existing.deploy_job}`",
                  "resources/deployment_job.yml", by.dump({"resources": {"jobs": deployment_jobs}})),
        YamlBlock(", ".join(filter(None, ["Registered model with grants" if not existing.model else "",
                                          "experiment", "secret scope" if not existing.scope else ""])),
                  "resources/model.yml", by.dump(model_doc)),
    ]
    if not serving_exists:
        blocks.append(YamlBlock(*_serving_block(name, key, model_ref, serving)))
    return tuple(blocks)


def _serving_block(name: str, key: str, model_ref: str, serving: str) -> tuple[str, str, str]:
    if serving == "apps":
        doc = {"resources": {"apps": {f"{key}_app": {
            "name": f"{slug(name).replace('_', '-')}-app-${{bundle.target}}",
            "description": f"{name} agent",
            "source_code_path": "../app",
            "config": {"command": ["python", "app.py"],
                       "env": [{"name": "MLFLOW_EXPERIMENT_NAME",
                                "value": "${resources.experiments.%s_experiment.name}" % key}]},
            "resources": [{"name": "secrets", "secret": {"scope": "${var.secret_scope}", "key": "api-key",
                                                         "permission": "READ"}}],
            "permissions": [{"level": "CAN_USE", "group_name": "${var.consumer_group}"}]}}}}
        return "Databricks App", "resources/serving.yml", by.dump(doc)
    doc = {"resources": {"model_serving_endpoints": {f"{key}_endpoint": {
        "name": f"{slug(name).replace('_', '-')}-${{bundle.target}}",
        "config": {
            "served_entities": [
                {"name": "champion", "entity_name": model_ref, "entity_version": "1",
                 "workload_size": "Small", "scale_to_zero_enabled": True,
                 "environment_vars": {"MLFLOW_EXPERIMENT_NAME":
                                      "${resources.experiments.%s_experiment.name}" % key}}],
            "traffic_config": {"routes": [{"served_entity_name": "champion", "traffic_percentage": 100}]}},
        "ai_gateway": {"inference_table_config": {
            "enabled": True, "catalog_name": "${var.catalog}", "schema_name": "${var.schema}",
            "table_name_prefix": key}},
        "permissions": [{"level": "CAN_QUERY", "group_name": "${var.consumer_group}"},
                        {"level": "CAN_MANAGE", "group_name": "${var.admin_group}"}],
        "email_notifications": {"on_update_failure": ["${var.notification_email}"]}}}}}
    return "Serving endpoint with inference tables (bundle-owned; replaces `agents.deploy`)", \
        "resources/serving.yml", by.dump(doc)


def _grants(settings: Settings, model_name: str, key: str, serving: str) -> tuple[Grant, ...]:
    model = f"<catalog>.<schema>.{model_name}"
    return (
        Grant("deployer service principal", model, "MANAGE, EXECUTE, APPLY_TAG",
              "owns versions and aliases; connects the deployment job"),
        Grant("deployer service principal", f"job {key}_deployment", "IS_OWNER / CAN_MANAGE_RUN",
              "the model owner needs CAN_MANAGE_RUN for automatic triggering"),
        Grant(settings.approver_group, model, "APPLY_TAG, EXECUTE", "approve versions with the UC tag"),
        Grant(settings.approver_group, f"job {key}_deployment", "CAN_MANAGE_RUN", "repair the run after approval"),
        Grant(settings.consumer_group, model, "EXECUTE", "load the model; see deployment status"),
        Grant(settings.consumer_group, "serving endpoint" if serving == "model-serving" else "app",
              "CAN_QUERY" if serving == "model-serving" else "CAN_USE", "call the agent"),
        Grant("deployer service principal", "catalog / schema", "USE CATALOG, USE SCHEMA, CREATE MODEL",
              "register versions in each environment's catalog"),
    )


def _monitoring(serving: str, settings: Settings) -> tuple[str, ...]:
    items = [
        "MLflow tracing on every request (autolog + `@mlflow.trace` on every node), logged to the "
        "environment's experiment",
        "production scorers registered on the experiment: `Safety().register(name='safety').start("
        "sampling_config=ScorerSamplingConfig(sample_rate=1.0))` plus the code scorers at 10% sampling",
        f"job failure and duration alerts to `{settings.notification_email}` (email_notifications + health rules)",
    ]
    if serving == "model-serving":
        items.insert(1, "AI Gateway inference table on the endpoint (payload logging to `<catalog>.<schema>`)")
        items.append("endpoint health: 5xx rate and p95 latency from the serving metrics, checked at each "
                     "canary step")
    else:
        items.append("app health: HTTP error rate and latency from the app logs, checked at each rollout step")
    return tuple(items)


def _success_metrics(settings: Settings, gates: tuple[Gate, ...]) -> tuple[Evidence, ...]:
    return (
        Evidence("lead time from merge to production", "under 1 day, no manual notebook runs"),
        Evidence("evaluation gate", ", ".join(f"{g.metric} ≥ {g.threshold:g}" for g in gates
                                              if g.stage == "evaluate")),
        Evidence("staging latency",
                 f"p95 ≤ {settings.latency_p95_ms} ms, error rate ≤ {settings.error_rate_budget:.0%}"),
        Evidence("rollback time", "under 10 minutes, automatic on a failed canary step"),
        Evidence("change failure rate", "under 15% of deployments rolled back"),
        Evidence("failed deployments reaching 100% traffic", "0"),
    )


def _gotchas(project: Project, serving: str) -> tuple[str, ...]:
    items = [
        "The approval task's first run fails by design: the version has no `Approval_Check` tag yet. "
        "Approve on the model-version page and the run is repaired from that task. Keep `max_retries: 0` on it.",
        "`mode: production` needs an explicit `workspace.root_path`; dev mode prefixes names "
        "(`[dev <user>]`, and `dev_<user>_` for UC models and endpoints) and sets max_concurrent_runs to 4 "
        "unless it is explicit.",
        "When `run_as` differs from the deploying identity the CLI rejects serving endpoints, apps and quality "
        "monitors: deploy staging and prod from CI as the service principal itself.",
        "The bundle has no field for the model's `deployment_job_id`: the link job must run after each deploy.",
        "Job parameters are strings: quote `model_version` and every `parameters[].default`; "
        "`entity_version` is a string too.",
        "Top-level `permissions` accept only CAN_VIEW, CAN_RUN and CAN_MANAGE; UC models take `grants`.",
        "Pass the deployed model name (`${resources.registered_models.<key>.name}`) to code: dev mode renames it.",
    ]
    if project.python.calls("databricks.agents.deploy"):
        items.append("`agents.deploy()` sends 100% of traffic to the new version and owns its endpoint: "
                     "never let the bundle and `agents.deploy()` manage the same endpoint.")
    if serving == "apps":
        items.append("Apps get no dev-mode name prefix: include `${bundle.target}` in the app name.")
    return tuple(items)


def _validation_commands(key: str) -> tuple[str, ...]:
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


def _context_files(project: Project) -> tuple[Evidence, ...]:
    out: list[Evidence] = []
    b = project.bundle
    if b:
        out.append(Evidence(b.root_file, "the bundle: targets, variables and jobs to extend",
                            Location(b.root_file, 1)))
    for g in project.python.graphs:
        out.append(Evidence(g.location.path, f"agent graph `{g.variable}`: node names used by routing checks",
                            g.location))
    for c in project.configs:
        out.append(Evidence(c.path, "agent configuration: placeholders to replace per environment", c.location))
    for e in project.evalsets:
        out.append(Evidence(e.path, f"evaluation dataset ({e.records} records)", e.location))
    seen = {e.label for e in out}
    for call in project.python.calls("mlflow.pyfunc.log_model", "databricks.agents.deploy", "mlflow.genai.evaluate"):
        if call.location.path not in seen:
            seen.add(call.location.path)
            out.append(Evidence(call.location.path, f"`{call.api}` to move into the stage code", call.location))
    return tuple(out)


def _current_state(project: Project, agent: Any) -> tuple[Evidence, ...]:
    b = project.bundle
    out: list[Evidence] = []
    if b is None:
        out.append(Evidence("bundle", "none: the project is deployed by hand"))
    else:
        out.append(Evidence("bundle", f"`{b.name}`", Location(b.root_file, 1)))
        for t in b.targets:
            out.append(Evidence("target", f"`{t.name}` (mode {t.mode or 'unset'}"
                                + (", default" if t.default else "") + ")", t.location))
        for j in b.resources.jobs:
            tasks = ", ".join(f"`{t.task_key}`" for t in j.tasks)
            out.append(Evidence("job", f"`{j.key}`: {tasks}", j.location))
        for e in b.resources.experiments:
            out.append(Evidence("experiment", f"`{e.name}`", e.location))
        for m in b.resources.registered_models:
            out.append(Evidence("registered model", f"`{m.catalog}.{m.schema}.{m.name}`", m.location))
        for a in b.resources.apps:
            out.append(Evidence("app", f"`{a.name}`", a.location))
        for s in b.resources.model_serving_endpoints:
            out.append(Evidence("serving endpoint", f"`{s.name}`", s.location))
    for g in project.python.graphs:
        out.append(Evidence("agent graph", f"{len(g.nodes)} nodes ({', '.join(n.name for n in g.nodes)}), "
                            f"entry `{g.entry_point}`", g.location))
    for a in project.python.agent_classes:
        out.append(Evidence("agent interface", f"`{a.name}` ({a.base}: {', '.join(a.methods)})", a.location))
    for api, label in (("mlflow.pyfunc.log_model", "model logging"), ("mlflow.register_model", "registration"),
                       ("databricks.agents.deploy", "serving"), ("mlflow.genai.evaluate", "evaluation")):
        for call in project.python.calls(api):
            out.append(Evidence(label, f"`{api}`", call.location))
    for e in project.evalsets:
        cats = ", ".join(f"{v} {k.replace('_', '-')}" for k, v in e.categories.items())
        out.append(Evidence("evaluation data", f"{e.records} records ({cats})", e.location))
    tests = sum(len(t.tests) for t in project.repo.tests)
    out.append(Evidence("tests", f"{tests} test functions" if tests else "none"))
    out.append(Evidence("CI", ", ".join(c.path for c in project.repo.ci) or "none"))
    return tuple(out)
