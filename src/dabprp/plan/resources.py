"""The bundle YAML documents of the plan: variables, targets, stage jobs, model, serving; reusing what exists."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any

from dabprp.facts import Project, literal_str
from dabprp.knowledge import is_approval_task_key
from dabprp.parse.bundle_load import DEFAULT_ROOT_FILE
from dabprp.plan import bundle_yaml as by
from dabprp.plan.includes import include_matches
from dabprp.plan.job_yaml import job_doc
from dabprp.plan.model import BundleFile, Environment, PlannedJob, ServingMode, Text, prose
from dabprp.plan.names import NamePlan, name_plan
from dabprp.plan.reuse import Reused
from dabprp.settings import Settings

STAGES_DIR = "src/stages"
JOB_TITLES = {"tests": "Test stage job",
              "build": "Build job: log, check and register the agent; run the deployment job",
              "release": "Release job: evaluate the app's agent, deploy the app", "load_test": "Load test job",
              "deployment": "MLflow 3 deployment job", "link": "Post-deploy link of the deployment job"}


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
    ours = own_keys(key)

    def first(items: Any) -> str | None:
        return next((i.key for i in items if i.key not in ours), None)

    res = b.resources
    approval_jobs = [j for j in res.jobs if any(is_approval_task_key(t.task_key) for t in j.tasks)]
    return ExistingKeys(model=first(res.registered_models), endpoint=first(res.model_serving_endpoints),
                        app=first(res.apps), scope=first(res.secret_scopes), deploy_job=first(approval_jobs),
                        experiment=first(res.experiments))


def own_keys(key: str) -> frozenset[str]:
    """Resource keys the plan itself adds (an earlier scaffold wrote them)."""
    return frozenset({f"{key}_model", f"{key}_endpoint", f"{key}_app", f"{key}_secrets", f"{key}_deployment",
                      f"{key}_experiment"})


def model_key(key: str, existing: ExistingKeys) -> str:
    return existing.model or f"{key}_model"


def full_model_name(key: str, existing: ExistingKeys) -> str:
    """The deployed three-level name, from the model resource's own fields (dev mode prefixes UC names)."""
    ref = "${resources.registered_models.%s" % model_key(key, existing)
    return f"{ref}.catalog_name}}.{ref}.schema_name}}.{ref}.name}}"


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


def environment_variables(jobs: tuple[PlannedJob, ...]) -> dict[tuple[str, ...], str]:
    """One complex variable per distinct dependency set, named after the first job role using it: each set is
    written once and every job refers to the set that holds what its tasks import."""
    out: dict[tuple[str, ...], str] = {}
    for job in jobs:
        if not job.reused and any(t.run_job is None for t in job.tasks):
            out.setdefault(job.dependencies, f"{job.role or job.key}_environment")
    return out


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
        named = {v.value for v in cfg.llm_endpoints
                 if isinstance(v.value, str) and v.value and v not in cfg.placeholders}
        endpoints += sorted(named - set(endpoints))
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
    return {k: v for k, v in out.items() if k not in have}


def names_for(reuse: dict[str, Reused], added: tuple[str, ...]) -> BundleNames:
    return BundleNames(**{role: reuse[role].variable for role in ("catalog", "schema", "model_name") if role in reuse},
                       added=added)


def _pipeline_variables(jobs: tuple[PlannedJob, ...], mode: ServingMode, existing: ExistingKeys,
                        have: set[str]) -> dict[str, dict[str, Any]]:
    """Variables the planned tasks consume that only the pipeline needs."""
    out: dict[str, dict[str, Any]] = {}
    values = [p.value for j in jobs for t in j.tasks for p in t.params]
    if any("${var.approval_required}" in v for v in values):
        out["approval_required"] = {"description": "`true`: a model version needs the approval tag before it is "
                                    "deployed (set per target)", "default": "false"}
    if any("${var.agent_file}" in v for v in values):
        out["agent_file"] = {"description": "the agent's Python file (models-from-code), relative to the bundle "
                             "root: not found in the project; the build fails until it is set", "default": ""}
    if mode.kind == "bundle-endpoint":
        # no default: a deploy without the champion fails ("no value assigned to required variable") instead of
        # serving whatever a default says
        out["serving_version"] = {"description": "model version the bundle's endpoint serves, no default: every "
                                  "bundle command passes the champion (`--var serving_version=N`, N from "
                                  "`deploy.py --champion`); only the rollout changes it"}
    return {k: v for k, v in out.items() if k not in have}


def bundle_files(project: Project, settings: Settings, name: str, key: str, model_name: str,
                envs: tuple[Environment, ...], jobs: tuple[PlannedJob, ...], mode: ServingMode, agent: Any,
                existing: ExistingKeys, reuse: dict[str, Reused], folder: str,
                include_covered: bool) -> tuple[tuple[BundleFile, ...], NamePlan]:
    """The plan's bundle documents, and the names of the project's workspace-unique resources per environment."""
    have = {v.name for v in project.bundle.variables} if project.bundle else set()
    variables = _variables(project, settings, model_name, envs, agent, reuse, existing)
    variables.update(_pipeline_variables(jobs, mode, existing, have))
    names = names_for(reuse, tuple(variables))
    cat, sch = names.ref("catalog"), names.ref("schema")
    # a value for a variable the project already has would change where its deployed resources live
    env_values = {e.name: {k: v for k, v in {names.catalog: e.catalog, "secret_scope": e.secret_scope}.items()
                           if k in variables or not e.exists} for e in envs[1:]}
    if envs[1:] and "approval_required" in variables:
        env_values[envs[-1].name]["approval_required"] = "true"
    mkey = model_key(key, existing)
    experiment_key = existing.experiment or f"{key}_experiment"
    email = "${var.notification_email}"
    stages = os.path.relpath(STAGES_DIR, folder).replace(os.sep, "/")
    consumers = _uc_principal(settings.consumer_group)
    jobs_by_file: dict[str, dict[str, Any]] = {}
    titles: dict[str, str | Text] = {}
    env_vars = environment_variables(jobs)
    for deps, var in env_vars.items():
        if var not in have:
            variables[var] = {"description": "serverless job environment: the pinned packages its tasks import",
                              "type": "complex", "default": by.environments_block(list(deps))}
    for job in jobs:
        if not job.reused:
            jobs_by_file.setdefault(job.file, {})[job.key] = job_doc(job, name, stages, email,
                                                                     env_vars.get(job.dependencies))
            titles.setdefault(job.file, JOB_TITLES.get(job.role, job.purpose))
    resources: dict[str, Any] = {}
    if not existing.model and mode.serves_from_model:
        resources["registered_models"] = {mkey: {
            "catalog_name": cat, "schema_name": sch, "name": names.ref("model_name"),
            "comment": f"{agent.framework or 'the'} agent of {name}",
            "grants": [{"principal": consumers, "privileges": ["EXECUTE"]},
                       {"principal": "${var.approver_group}", "privileges": ["EXECUTE", "APPLY_TAG"]}]}}
    if not existing.experiment:
        resources["experiments"] = {experiment_key: {
            # under the target's root path: a folder that exists when the deploy creates the experiment (MLflow
            # creates no parent folder) and that the deploying principal owns
            "name": f"${{workspace.root_path}}/{key}",
            "permissions": [{"level": "CAN_READ", "group_name": "${var.consumer_group}"},
                            {"level": "CAN_MANAGE", "group_name": "${var.admin_group}"}]}}
    if not existing.scope:
        resources["secret_scopes"] = {f"{key}_secrets": {
            "name": "${var.secret_scope}", "backend_type": "DATABRICKS",
            "permissions": [{"level": "MANAGE", "group_name": "${var.admin_group}"}]}}
    deployer = "${var.%s}" % (reuse["deployer"].variable if "deployer" in reuse else "deployer_sp")
    deploy_job = next((j for j in jobs if j.role == "deployment" and not j.reused), None)
    deployer_refs = _deployer_overrides(existing, mkey, f"{key}_secrets", deploy_job.key if deploy_job else None,
                                        deployer, bool(resources.get("registered_models")))
    serving_kind = {"bundle-endpoint": "model-serving", "app-agent": "apps"}.get(mode.kind)
    serving_exists = existing.app if mode.kind == "app-agent" else existing.endpoint
    plans_serving = serving_kind is not None and not serving_exists
    files = {"model": f"{folder}/model.yml", "serving": f"{folder}/serving.yml"}
    ours = [*jobs_by_file, *([files["model"]] if resources else []), *([files["serving"]] if plans_serving else [])]
    glob = f"{folder}/*.yml"
    # a glob that would also pick up a file the bundle does not deploy today: list our files instead
    strangers = [f for f in project.files if include_matches(glob, f) and f not in ours]
    includes = [] if include_covered else [glob] if not strangers else ours
    root_file = project.bundle.root_file if project.bundle else DEFAULT_ROOT_FILE
    per_target = name_plan(project, envs, env_values, variables)
    blocks = [BundleFile("Targets, variables and top-level permissions", root_file,
                         by.environment_doc(name, envs, variables, env_values, includes, deployer_refs, deployer,
                                            per_target.overrides))]
    blocks += [BundleFile(titles[f], f, {"resources": {"jobs": docs}}) for f, docs in jobs_by_file.items()]
    if resources:
        blocks.append(BundleFile(", ".join(filter(None, [
            "Registered model with grants" if "registered_models" in resources else "",
            "experiment" if not existing.experiment else "",
            "secret scope" if not existing.scope else ""])).capitalize(), files["model"],
            {"resources": resources}))
    if plans_serving and serving_kind:
        blocks.append(BundleFile(*_serving_block(name, key, full_model_name(key, existing), serving_kind,
                                                experiment_key, cat, sch,
                                                files["serving"], folder)))
    return tuple(blocks), per_target


def _uc_principal(group: str) -> str:
    account = ACCOUNT_GROUP_FOR.get(group)
    return account if account else "${var.consumer_group}"


def _deployer_overrides(existing: ExistingKeys, model_key: str, scope_key: str, deploy_key: str | None,
                        deployer: str, plans_model: bool) -> dict[str, Any]:
    """What references the deployer principal: only in the targets that deploy as it."""
    out: dict[str, Any] = {}
    if plans_model:
        out["registered_models"] = {model_key: {"grants": [
            {"principal": deployer, "privileges": ["MANAGE", "EXECUTE", "APPLY_TAG"]}]}}
    if not existing.scope:
        out["secret_scopes"] = {scope_key: {"permissions": [
            {"level": "READ", "service_principal_name": deployer}]}}
    if deploy_key:
        out["jobs"] = {deploy_key: {"run_as": {"service_principal_name": deployer}}}
    return out


def _serving_block(name: str, key: str, model_ref: str, serving: str, experiment_key: str, cat: str, sch: str,
                   file: str, folder: str) -> tuple[str | Text, str, dict[str, Any]]:
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
        return "Databricks App", file, doc
    doc = {"resources": {"model_serving_endpoints": {f"{key}_endpoint": {
        "name": f"{slug(name).replace('_', '-')}-${{bundle.target}}",
        "config": {
            "served_entities": [
                {"name": "champion", "entity_name": model_ref,
                 "entity_version": "${var.serving_version}",
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
    return prose("Serving endpoint with inference tables (bundle-owned; the rollout sets `serving_version`)"), \
        file, doc
