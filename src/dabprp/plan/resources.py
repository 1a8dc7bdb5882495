"""The bundle YAML documents of the plan: variables, targets, stage jobs, model, serving; reusing what exists."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from dabprp.facts import Project
from dabprp.knowledge import is_approval_task_key
from dabprp.plan import bundle_yaml as by
from dabprp.plan.model import Environment, Gate, YamlBlock
from dabprp.settings import Settings

STAGES_DIR = "src/stages"


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") or "agent"


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
    approval_jobs = [j for j in res.jobs if any(is_approval_task_key(t.task_key) for t in j.tasks)]
    return ExistingKeys(model=first(res.registered_models), endpoint=first(res.model_serving_endpoints),
                        app=first(res.apps), scope=first(res.secret_scopes), deploy_job=first(approval_jobs))


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


def yaml_blocks(project: Project, settings: Settings, name: str, key: str, model_name: str,
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
                   "--steps", ",".join(str(s) for s in (settings.rollout_steps if serving == "model-serving"
                                                        else (100,)))], ["Approval_Check"], 2, 3600)]
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


def _dependencies(project: Project) -> list[str]:
    pinned = [f"{r.name}{r.spec}" for r in project.repo.requirements if r.spec]
    unpinned = [r.name for r in project.repo.requirements if not r.spec]
    deps = sorted(set(pinned + unpinned))
    return deps or ["mlflow[databricks]>=3.1.3", "databricks-agents>=1.1.0"]
