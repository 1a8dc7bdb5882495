"""The bundle YAML documents of the plan: variables, targets, stage jobs, model, serving; reusing what exists."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any

from dabprp.facts import Project, literal_str
from dabprp.knowledge import is_approval_task_key
from dabprp.plan import bundle_yaml as by
from dabprp.plan.includes import include_matches
from dabprp.plan.model import Environment, Gate, YamlBlock
from dabprp.plan.reuse import Reused
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
    experiment: str | None = None


def existing_keys(project: Project) -> ExistingKeys:
    """The user's own resources for each role; resources under the plan's own keys (an earlier scaffold) are
    the plan's, not existing pieces, so re-planning gives the same result."""
    b = project.bundle
    if b is None:
        return ExistingKeys()
    key = slug(b.name or project.root)
    ours = {f"{key}_model", f"{key}_endpoint", f"{key}_app", f"{key}_secrets", f"{key}_deployment",
            f"{key}_experiment"}

    def first(items: Any) -> str | None:
        return next((i.key for i in items if i.key not in ours), None)

    res = b.resources
    approval_jobs = [j for j in res.jobs if any(is_approval_task_key(t.task_key) for t in j.tasks)]
    return ExistingKeys(model=first(res.registered_models), endpoint=first(res.model_serving_endpoints),
                        app=first(res.apps), scope=first(res.secret_scopes), deploy_job=first(approval_jobs),
                        experiment=first(res.experiments))


# Workspace-local groups and the account-level group UC grants need instead (UC knows account groups only).
ACCOUNT_GROUP_FOR = {"users": "account users"}


@dataclass(frozen=True, slots=True)
class BundleNames:
    """The names the plan writes into YAML: the project's own variables where it has them, else the plan's."""

    catalog: str = "catalog"
    schema: str = "schema"
    model_name: str = "model_name"
    added: tuple[str, ...] = ()
    """Variables the plan adds (not in the project)."""

    def ref(self, role: str) -> str:
        return "${var.%s}" % getattr(self, role)


JOB_ENVIRONMENTS = "job_environments"


def _declares(project: Project, variable: str) -> bool:
    return bool(project.bundle) and any(v.name == variable for v in project.bundle.variables)  # type: ignore[union-attr]


def _variables(project: Project, settings: Settings, model_name: str, envs: tuple[Environment, ...],
               agent: Any, reuse: dict[str, Reused], existing: ExistingKeys) -> dict[str, dict[str, Any]]:
    """Only the variables the project lacks; the project's own (under any equivalent name) are reused."""
    dev = envs[0]
    b = project.bundle
    have = {v.name for v in b.variables} if b else set()
    out: dict[str, dict[str, Any]] = {}
    if "catalog" not in reuse:
        out["catalog"] = {"description": "Unity Catalog catalog of this environment", "default": dev.catalog}
    if "schema" not in reuse:
        out["schema"] = {"description": "schema for the agent model and tables", "default": dev.schema}
    if "model_name" not in reuse and not existing.model:
        out["model_name"] = {"description": "registered model name (without catalog and schema)",
                             "default": model_name}
    # only literal chat endpoints: one computed at run time cannot be known statically (never `default: None`)
    endpoints = sorted({name for e in project.python.endpoints("chat") if (name := literal_str(e.endpoint))})
    for cfg in project.configs:
        endpoints += sorted({v.value for v in cfg.llm_endpoints if is_literal(v.value)} - set(endpoints))
    if endpoints and "llm_endpoint" not in reuse:
        out["llm_endpoint"] = {"description": "LLM serving endpoint the agent calls", "default": endpoints[0]}
    out["secret_scope"] = {"description": "secret scope of this environment", "default": dev.secret_scope}
    # no lookup here: a top-level lookup is resolved in every target, dev included; production targets set it
    if "deployer" not in reuse:
        out["deployer_sp"] = {"description": "application ID of the deployment service principal; set (looked up "
                                             "by name) in each target that deploys as it, empty elsewhere",
                              "default": ""}
    out["approver_group"] = {"description": "group allowed to approve model versions",
                             "default": settings.approver_group}
    out["consumer_group"] = {"description": "group that may view and query", "default": settings.consumer_group}
    out["admin_group"] = {"description": "platform administrators", "default": settings.admin_group}
    out["notification_email"] = {"description": "where failures are sent", "default": settings.notification_email}
    # defined once and referenced by every stage job, instead of the same list in each job
    out[JOB_ENVIRONMENTS] = {"description": "serverless environment of every stage job (pinned dependencies)",
                             "type": "complex", "default": by.environments_block(_dependencies(project))}
    return {k: v for k, v in out.items() if k not in have}


def is_literal(value: Any) -> bool:
    """A string the analyzed code wrote literally (expressions are summarized as `<expr>`)."""
    return isinstance(value, str) and bool(value) and not (value.startswith("<") and value.endswith(">"))


def names_for(reuse: dict[str, Reused], added: tuple[str, ...]) -> BundleNames:
    return BundleNames(**{role: reuse[role].variable for role in ("catalog", "schema", "model_name") if role in reuse},
                       added=added)


def yaml_blocks(project: Project, settings: Settings, name: str, key: str, model_name: str,
                envs: tuple[Environment, ...], gates: tuple[Gate, ...], serving: str, agent: Any,
                existing: ExistingKeys, reuse: dict[str, Reused], folder: str,
                include_covered: bool) -> tuple[YamlBlock, ...]:
    variables = _variables(project, settings, model_name, envs, agent, reuse, existing)
    names = names_for(reuse, tuple(variables))
    cat, sch = names.ref("catalog"), names.ref("schema")
    # a value for a variable the project already has would change where its deployed resources live
    env_values = {e.name: {k: v for k, v in {names.catalog: e.catalog, "secret_scope": e.secret_scope}.items()
                           if k in variables or not e.exists} for e in envs[1:]}
    # the deployed name: dev mode prefixes UC model names, so code gets it from the resource
    model_key = existing.model or f"{key}_model"
    deploy_key = existing.deploy_job or f"{key}_deployment"
    experiment_key = existing.experiment or f"{key}_experiment"
    full_model = "%s.%s.${resources.registered_models.%s.name}" % (cat, sch, model_key)
    deps = _dependencies(project)
    email = "${var.notification_email}"
    stages = os.path.relpath(STAGES_DIR, folder).replace(os.sep, "/")
    model_ref = "${resources.registered_models.%s.name}" % model_key
    common = {"max_concurrent_runs": 1, "queue": {"enabled": True},
              "email_notifications": by.notifications(email),
              "environments": f"${{var.{JOB_ENVIRONMENTS}}}" if JOB_ENVIRONMENTS in variables
              or _declares(project, JOB_ENVIRONMENTS) else by.environments_block(deps)}
    consumers = _uc_principal(settings.consumer_group)

    def job(job_name: str, timeout: int, tasks: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
        return {"name": f"{name}-{job_name}-${{bundle.target}}", **extra, **common,
                "timeout_seconds": timeout, "health": by.health(int(timeout * 0.75)), "tasks": tasks,
                "permissions": [{"level": "CAN_MANAGE_RUN", "group_name": "${var.approver_group}"},
                                {"level": "CAN_VIEW", "group_name": "${var.consumer_group}"}]}

    test_job = job("tests", 3600, [
        by.py_task("unit_tests", f"{stages}/run_tests.py", ["tests", "-q"], [], 1, 1800),
        by.py_task("validate_config", f"{stages}/validate_config.py", ["--catalog", cat],
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
                                 {"name": "model_version", "default": ""}])
    link_job = job("link-deployment-job", 1200, [by.py_task(
        "link", f"{stages}/link_deployment_job.py",
        ["--model-name", full_model, "--job-id", "${resources.jobs.%s.id}" % deploy_key], [], 2, 600)])
    resources: dict[str, Any] = {}
    if not existing.model:
        resources["registered_models"] = {model_key: {
            "catalog_name": cat, "schema_name": sch, "name": names.ref("model_name"),
            "comment": f"{agent.framework} agent of {name}",
            "grants": [{"principal": consumers, "privileges": ["EXECUTE"]},
                       {"principal": "${var.approver_group}", "privileges": ["EXECUTE", "APPLY_TAG"]}]}}
    if not existing.experiment:
        resources["experiments"] = {experiment_key: {
            "name": f"/Workspace/Shared/{name}/${{bundle.target}}/{key}",
            "permissions": [{"level": "CAN_READ", "group_name": "${var.consumer_group}"},
                            {"level": "CAN_MANAGE", "group_name": "${var.admin_group}"}]}}
    if not existing.scope:
        resources["secret_scopes"] = {f"{key}_secrets": {
            "name": "${var.secret_scope}", "backend_type": "DATABRICKS",
            "permissions": [{"level": "MANAGE", "group_name": "${var.admin_group}"}]}}
    deployment_jobs = {f"{key}_link_deployment_job": link_job}
    if not existing.deploy_job:
        deployment_jobs = {f"{key}_deployment": deploy_job, **deployment_jobs}
    deployer = "${var.%s}" % (reuse["deployer"].variable if "deployer" in reuse else "deployer_sp")
    deployer_refs = _deployer_overrides(existing, model_key, f"{key}_secrets", deploy_key, deployer)
    serving_exists = existing.app if serving == "apps" else existing.endpoint
    files = {kind: f"{folder}/{kind}.yml" for kind in ("test_job", "evaluation_job", "staging_job",
                                                       "deployment_job", "model", "serving")}
    ours = [f for kind, f in files.items() if (kind != "serving" or not serving_exists)
            and (kind != "model" or resources)]
    glob = f"{folder}/*.yml"
    # a glob that would also pick up a file the bundle does not deploy today: list our files instead
    strangers = [f for f in project.files if include_matches(glob, f) and f not in ours]
    includes = [] if include_covered else [glob] if not strangers else ours
    blocks = [
        YamlBlock("Targets, variables and top-level permissions", "databricks.yml",
                  by.dump(by.environment_doc(name, envs, variables, env_values, includes, deployer_refs, deployer))),
        YamlBlock("Test stage job", files["test_job"], by.dump({"resources": {"jobs": {
            f"{key}_tests": test_job}}})),
        YamlBlock("Evaluation stage job", files["evaluation_job"], by.dump({"resources": {"jobs": {
            f"{key}_evaluation": eval_job}}})),
        YamlBlock("Staging job", files["staging_job"], by.dump({"resources": {"jobs": {
            f"{key}_staging": stage_job}}})),
        YamlBlock("MLflow 3 deployment job and its post-deploy link" if not existing.deploy_job else
                  f"Post-deploy link for the existing deployment job `{existing.deploy_job}`",
                  files["deployment_job"], by.dump({"resources": {"jobs": deployment_jobs}})),
    ]
    if resources:
        blocks.append(YamlBlock(", ".join(filter(None, [
            "Registered model with grants" if not existing.model else "",
            "experiment" if not existing.experiment else "",
            "secret scope" if not existing.scope else ""])).capitalize(), files["model"],
            by.dump({"resources": resources})))
    if not serving_exists:
        blocks.append(YamlBlock(*_serving_block(name, key, model_ref, serving, experiment_key, cat, sch,
                                                files["serving"], folder)))
    return tuple(blocks)


def _uc_principal(group: str) -> str:
    account = ACCOUNT_GROUP_FOR.get(group)
    return account if account else "${var.consumer_group}"


def _deployer_overrides(existing: ExistingKeys, model_key: str, scope_key: str, deploy_key: str,
                        deployer: str) -> dict[str, Any]:
    """What references the deployer principal: only in the targets that deploy as it."""
    out: dict[str, Any] = {}
    if not existing.model:
        out["registered_models"] = {model_key: {"grants": [
            {"principal": deployer, "privileges": ["MANAGE", "EXECUTE", "APPLY_TAG"]}]}}
    if not existing.scope:
        out["secret_scopes"] = {scope_key: {"permissions": [
            {"level": "READ", "service_principal_name": deployer}]}}
    if not existing.deploy_job:
        out["jobs"] = {deploy_key: {"run_as": {"service_principal_name": deployer}}}
    return out


def _serving_block(name: str, key: str, model_ref: str, serving: str, experiment_key: str, cat: str, sch: str,
                   file: str, folder: str) -> tuple[str, str, str]:
    if serving == "apps":
        doc = {"resources": {"apps": {f"{key}_app": {
            "name": f"{slug(name).replace('_', '-')}-app-${{bundle.target}}",
            "description": f"{name} agent",
            "source_code_path": os.path.relpath("app", folder).replace(os.sep, "/"),
            "config": {"command": ["python", "app.py"],
                       "env": [{"name": "MLFLOW_EXPERIMENT_NAME",
                                "value": "${resources.experiments.%s.name}" % experiment_key}]},
            "resources": [{"name": "secrets", "secret": {"scope": "${var.secret_scope}", "key": "api-key",
                                                         "permission": "READ"}}],
            "permissions": [{"level": "CAN_USE", "group_name": "${var.consumer_group}"}]}}}}
        return "Databricks App", file, by.dump(doc)
    doc = {"resources": {"model_serving_endpoints": {f"{key}_endpoint": {
        "name": f"{slug(name).replace('_', '-')}-${{bundle.target}}",
        "config": {
            "served_entities": [
                {"name": "champion", "entity_name": model_ref, "entity_version": "1",
                 "workload_size": "Small", "scale_to_zero_enabled": True,
                 "environment_vars": {"MLFLOW_EXPERIMENT_NAME":
                                      "${resources.experiments.%s.name}" % experiment_key}}],
            "traffic_config": {"routes": [{"served_entity_name": "champion", "traffic_percentage": 100}]}},
        "ai_gateway": {"inference_table_config": {
            "enabled": True, "catalog_name": cat, "schema_name": sch,
            "table_name_prefix": key}},
        "permissions": [{"level": "CAN_QUERY", "group_name": "${var.consumer_group}"},
                        {"level": "CAN_MANAGE", "group_name": "${var.admin_group}"}],
        "email_notifications": {"on_update_failure": ["${var.notification_email}"]}}}}}
    return "Serving endpoint with inference tables (bundle-owned; replaces `agents.deploy`)", \
        file, by.dump(doc)


def _dependencies(project: Project) -> list[str]:
    pinned = [f"{r.name}{r.spec}" for r in project.repo.requirements if r.spec]
    unpinned = [r.name for r in project.repo.requirements if not r.spec]
    deps = sorted(set(pinned + unpinned))
    return deps or ["mlflow[databricks]>=3.1.3", "databricks-agents>=1.1.0"]
