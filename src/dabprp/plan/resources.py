"""The bundle content of the plan: variables, targets, stage jobs, model, serving; reusing what exists."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from typing import Any

from dabprp.facts import Project, Resources, literal_str
from dabprp.knowledge import APP_NAME_MAX, is_approval_task_key
from dabprp.parse.bundle_load import DEFAULT_ROOT_FILE
from dabprp.plan.bundle_model import (
    App,
    AppSecret,
    BundleFile,
    Experiment,
    InferenceTable,
    JobEnvironment,
    JobResource,
    Permission,
    RegisteredModel,
    Resource,
    ResourceEdit,
    SecretScope,
    ServedEntity,
    ServingEndpoint,
    UCGrant,
    Variable,
)
from dabprp.plan.bundle_targets import planned_targets
from dabprp.plan.includes import include_matches
from dabprp.plan.model import Code, Environment, Evidence, PlannedJob, ServingMode, Text, prose, text
from dabprp.plan.names import NamePlan, app_name_for_targets, fit_app_name, name_plan
from dabprp.plan.reuse import Reused
from dabprp.records import record
from dabprp.settings import Settings

STAGES_DIR = "src/stages"
JOB_TITLES = {"tests": "Test stage job",
              "build": "Build job: log, check and register the agent; run the deployment job",
              "release": "Release job: evaluate the app's agent, deploy the app", "load_test": "Load test job",
              "deployment": "MLflow 3 deployment job", "link": "Post-deploy link of the deployment job"}


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") or "agent"


@record
class ExistingKeys:
    """Resources the bundle already has for a role the plan needs: reused, not added again."""

    model: str | None = None
    endpoint: str | None = None
    app: str | None = None
    scope: str | None = None
    deploy_job: str | None = None
    experiment: str | None = None


def existing_keys(project: Project, key: str) -> ExistingKeys:
    """The user's own resources for each role; resources under the plan's own keys (`key`'s, an earlier
    scaffold) are the plan's, not existing pieces, so re-planning gives the same result."""
    b = project.bundle
    if b is None:
        return ExistingKeys()
    ours = own_keys(key)

    def first(items: Any) -> str | None:
        return next((i.key for i in items if i.key not in ours), None)

    res = b.resources
    approval_jobs = [j for j in res.jobs if any(is_approval_task_key(t.task_key) for t in j.tasks)]
    return ExistingKeys(model=first(res.registered_models), endpoint=first(res.model_serving_endpoints),
                        app=first(res.apps), scope=first(res.secret_scopes), deploy_job=first(approval_jobs),
                        experiment=first(res.experiments))


def resource_evidence(label: str, item: Any) -> Evidence:
    """`label`: the resource's key (and name) at its location."""
    return Evidence(label, text(Code(item.key), *((" (name ", Code(item.name), ")") if item.name else ())),
                    item.location)


def not_adopted(project: Project, existing: ExistingKeys, key: str) -> tuple[Evidence, ...]:
    """What an agent plan would take over from the project (`existing_keys`, and every serving endpoint and app
    that is not the plan's own), when its code shows no agent: listed, left alone."""
    b = project.bundle
    if b is None:
        return ()
    res = b.resources
    ours = own_keys(key)
    kinds = (("registered model", res.registered_models, existing.model),
             ("serving endpoint", res.model_serving_endpoints, None), ("app", res.apps, None),
             ("deployment job", res.jobs, existing.deploy_job), ("experiment", res.experiments, existing.experiment))
    return tuple(resource_evidence(label, item) for label, items, taken in kinds for item in items
                 if item.key not in ours and (label in ("serving endpoint", "app") or item.key == taken))


def own_keys(key: str) -> frozenset[str]:
    """Resource keys the plan itself adds (an earlier scaffold wrote them)."""
    return frozenset({f"{key}_model", f"{key}_endpoint", f"{key}_app", f"{key}_secrets", f"{key}_deployment",
                      f"{key}_experiment"})


def free_paths(project: Project, ours: frozenset[str]) -> Callable[[str], str]:
    """For a path the plan writes: the path when it is free or a file of the plan's own resources (`ours`, an
    earlier scaffold), else `<folder>/dabprp_<name>`: scaffold keeps a project file there (one that declares
    other resources, or none, or is not included), and the plan's resources would be declared nowhere."""
    res = project.bundle.resources if project.bundle else Resources()
    declared: dict[str, set[str]] = {}
    for items in (res.jobs, res.experiments, res.registered_models, res.models, res.model_serving_endpoints,
                  res.apps, res.secret_scopes, res.quality_monitors, res.other):
        for item in items:
            declared.setdefault(item.location.path, set()).add(item.key)
    files = set(project.files)

    def free(path: str) -> str:
        keys = declared.get(path)
        if (path not in files and keys is None) or (keys is not None and keys <= ours):
            return path
        folder, name = path.rsplit("/", 1)
        return f"{folder}/dabprp_{name}"

    return free


def model_key(key: str, existing: ExistingKeys) -> str:
    return existing.model or f"{key}_model"


def full_model_name(key: str, existing: ExistingKeys) -> str:
    """The deployed three-level name, from the model resource's own fields (dev mode prefixes UC names)."""
    ref = "${resources.registered_models.%s" % model_key(key, existing)
    return f"{ref}.catalog_name}}.{ref}.schema_name}}.{ref}.name}}"


# Workspace-local groups and the account-level group UC grants need instead (UC knows account groups only).
ACCOUNT_GROUP_FOR = {"users": "account users"}


@record
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
               agent: Any, reuse: dict[str, Reused], existing: ExistingKeys) -> dict[str, Variable]:
    """Only the variables the project lacks; the project's own (under any equivalent name) are reused."""
    dev = envs[0]
    b = project.bundle
    have = {v.name for v in b.variables} if b else set()
    out: dict[str, Variable] = {}

    def add(name: str, description: str, default: str | None = None) -> None:
        out[name] = Variable(name, description, default)

    if "catalog" not in reuse:
        add("catalog", "Unity Catalog catalog of this environment", dev.catalog)
    if "schema" not in reuse:
        add("schema", "schema for the agent model and tables", dev.schema)
    if "model_name" not in reuse and not existing.model:
        add(model_variable(reuse, have), "registered model name (without catalog and schema)", model_name)
    # only literal chat endpoints: one computed at run time cannot be known statically (never `default: None`)
    endpoints = sorted({name for e in project.python.endpoints("chat") if (name := literal_str(e.endpoint))})
    for cfg in project.configs:
        named = {v.value for v in cfg.llm_endpoints
                 if isinstance(v.value, str) and v.value and v not in cfg.placeholders}
        endpoints += sorted(named - set(endpoints))
    if endpoints and "llm_endpoint" not in reuse:
        add("llm_endpoint", "LLM serving endpoint the agent calls", endpoints[0])
    add("secret_scope", "secret scope of this environment", dev.secret_scope)
    # no lookup here: a top-level lookup is resolved in every target, dev included; production targets set it
    if "deployer" not in reuse:
        add("deployer_sp", "application ID of the deployment service principal; set (looked up by name) in each "
            "target that deploys as it, empty elsewhere", "")
    add("approver_group", "group allowed to approve model versions", settings.approver_group)
    add("consumer_group", "group that may view and query", settings.consumer_group)
    add("admin_group", "platform administrators", settings.admin_group)
    add("notification_email", "where failures are sent", settings.notification_email)
    return {k: v for k, v in out.items() if k not in have}


def model_variable(reuse: dict[str, Reused], have: set[str]) -> str:
    """The variable naming the agent's model: the project's own, else `model_name`, else (the project has a
    `model_name` of another model, see `AgentProfile.found`) `agent_model_name`."""
    if "model_name" in reuse:
        return reuse["model_name"].variable
    return "agent_model_name" if "model_name" in have else "model_name"


def names_for(reuse: dict[str, Reused], added: tuple[str, ...], have: set[str]) -> BundleNames:
    return BundleNames(**{role: reuse[role].variable for role in ("catalog", "schema") if role in reuse},
                       model_name=model_variable(reuse, have), added=added)


def _pipeline_variables(jobs: tuple[PlannedJob, ...], mode: ServingMode, existing: ExistingKeys,
                        have: set[str]) -> dict[str, Variable]:
    """Variables the planned tasks consume that only the pipeline needs."""
    out: dict[str, Variable] = {}
    values = [p.value for j in jobs for t in j.tasks for p in t.params]
    if any("${var.approval_required}" in v for v in values):
        out["approval_required"] = Variable("approval_required", "`true`: a model version needs the approval tag "
                                            "before it is deployed (set per target)", "false")
    if any("${var.agent_file}" in v for v in values):
        out["agent_file"] = Variable("agent_file", "the agent's Python file (models-from-code), relative to the "
                                     "bundle root: not found in the project; the build fails until it is set", "")
    if mode.kind == "bundle-endpoint":
        # no default: a deploy without the champion fails ("no value assigned to required variable") instead of
        # serving whatever a default says
        out["serving_version"] = Variable("serving_version", "model version the bundle's endpoint serves, no "
                                          "default: every bundle command passes the champion (`--var "
                                          "serving_version=N`, N from `deploy.py --champion`); only the rollout "
                                          "changes it")
    return {k: v for k, v in out.items() if k not in have}


def bundle_files(project: Project, settings: Settings, name: str, key: str, model_name: str,
                envs: tuple[Environment, ...], jobs: tuple[PlannedJob, ...], mode: ServingMode, agent: Any,
                existing: ExistingKeys, reuse: dict[str, Reused], folder: str,
                include_covered: bool, free: Callable[[str], str]) -> tuple[tuple[BundleFile, ...], NamePlan]:
    """The plan's bundle documents, and the names of the project's workspace-unique resources per environment;
    `free` (`free_paths`) places the plan's model and serving files."""
    have = {v.name for v in project.bundle.variables} if project.bundle else set()
    variables = _variables(project, settings, model_name, envs, agent, reuse, existing)
    variables.update(_pipeline_variables(jobs, mode, existing, have))
    names = names_for(reuse, tuple(variables), have)
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
    jobs_by_file: dict[str, list[Resource]] = {}
    titles: dict[str, str | Text] = {}
    env_vars = environment_variables(jobs)
    for deps, var in env_vars.items():
        if var not in have:
            variables[var] = Variable(var, "serverless job environment: the pinned packages its tasks import",
                                      (JobEnvironment(deps),))
    job_permissions = (Permission("CAN_MANAGE_RUN", group_name="${var.approver_group}"),
                       Permission("CAN_VIEW", group_name="${var.consumer_group}"))
    for job in jobs:
        if not job.reused:
            short = (job.role or job.key).replace("_", "-")
            jobs_by_file.setdefault(job.file, []).append(JobResource(
                job.key, f"{name}-{short}-${{bundle.target}}", stages, email, env_vars.get(job.dependencies),
                job_permissions))
            titles.setdefault(job.file, JOB_TITLES.get(job.role, job.purpose))
    resources: list[Resource] = []
    if not existing.model and mode.serves_from_model:
        resources.append(RegisteredModel(
            mkey, cat, sch, names.ref("model_name"), f"{agent.framework or 'the'} agent of {name}",
            (UCGrant(consumers, ("EXECUTE",)), UCGrant("${var.approver_group}", ("EXECUTE", "APPLY_TAG")))))
    if not existing.experiment:
        # under the target's root path: a folder that exists when the deploy creates the experiment (MLflow
        # creates no parent folder) and that the deploying principal owns
        resources.append(Experiment(experiment_key, f"${{workspace.root_path}}/{key}", (
            Permission("CAN_READ", group_name="${var.consumer_group}"),
            Permission("CAN_MANAGE", group_name="${var.admin_group}"))))
    if not existing.scope:
        resources.append(SecretScope(f"{key}_secrets", "${var.secret_scope}",
                                     (Permission("MANAGE", group_name="${var.admin_group}"),)))
    deployer = "${var.%s}" % (reuse["deployer"].variable if "deployer" in reuse else "deployer_sp")
    deploy_job = next((j for j in jobs if j.role == "deployment" and not j.reused), None)
    plans_model = any(r.kind == "registered_models" for r in resources)
    deployer_edits = _deployer_edits(existing, mkey, f"{key}_secrets", deploy_job.key if deploy_job else None,
                                     deployer, plans_model)
    serving_kind = {"bundle-endpoint": "model-serving", "app-agent": "apps"}.get(mode.kind)
    serving_exists = existing.app if mode.kind == "app-agent" else existing.endpoint
    plans_serving = serving_kind is not None and not serving_exists
    files = {role: free(f"{folder}/{role}.yml") for role in ("model", "serving")}
    ours = [*jobs_by_file, *([files["model"]] if resources else []), *([files["serving"]] if plans_serving else [])]
    glob = f"{folder}/*.yml"
    # a glob that would also pick up a file the bundle does not deploy today: list our files instead
    strangers = [f for f in project.files if include_matches(glob, f) and f not in ours]
    includes = [] if include_covered else [glob] if not strangers else ours
    root_file = project.bundle.root_file if project.bundle else DEFAULT_ROOT_FILE
    app_name = _app_name(name, key, envs, variables, env_values, have) \
        if plans_serving and serving_kind == "apps" else ""
    per_target = name_plan(project, envs, env_values, {k: v.spec() for k, v in variables.items()})
    own_names = {t: tuple(ResourceEdit(kind, rkey, fields=tuple(fields.items()))
                          for kind, items in kinds.items() for rkey, fields in items.items())
                 for t, kinds in per_target.overrides.items()}
    blocks = [BundleFile("Targets and variables", root_file, bundle_name=name,
                         includes=tuple(includes), variables=tuple(variables.values()),
                         targets=planned_targets(envs, variables, env_values, deployer_edits, deployer, own_names))]
    blocks += [BundleFile(titles[f], f, resources=tuple(docs)) for f, docs in jobs_by_file.items()]
    if resources:
        blocks.append(BundleFile(", ".join(filter(None, [
            "Registered model with grants" if plans_model else "",
            "experiment" if not existing.experiment else "",
            "secret scope" if not existing.scope else ""])).capitalize(), files["model"],
            resources=tuple(resources)))
    if plans_serving and serving_kind:
        title, serving = _serving(name, key, full_model_name(key, existing), serving_kind, experiment_key, cat, sch,
                                  folder, app_name)
        blocks.append(BundleFile(title, files["serving"], resources=(serving,)))
    return tuple(blocks), per_target


def _uc_principal(group: str) -> str:
    account = ACCOUNT_GROUP_FOR.get(group)
    return account if account else "${var.consumer_group}"


def _deployer_edits(existing: ExistingKeys, model_key: str, scope_key: str, deploy_key: str | None,
                    deployer: str, plans_model: bool) -> tuple[ResourceEdit, ...]:
    """What references the deployer principal: only in the targets that deploy as it."""
    out: list[ResourceEdit] = []
    if plans_model:
        out.append(ResourceEdit("registered_models", model_key,
                                grants=(UCGrant(deployer, ("MANAGE", "EXECUTE", "APPLY_TAG")),)))
    if not existing.scope:
        out.append(ResourceEdit("secret_scopes", scope_key,
                                permissions=(Permission("READ", service_principal_name=deployer),)))
    if deploy_key:
        out.append(ResourceEdit("jobs", deploy_key, run_as_service_principal=deployer))
    return tuple(out)


def _app_name(name: str, key: str, envs: tuple[Environment, ...], variables: dict[str, Variable],
              env_values: dict[str, dict[str, str]], have: set[str]) -> str:
    """The planned app's name: `<name>-app-${bundle.target}` where that is a valid app name in every target, else a
    variable set per target to `<name>-app-<target>` fitted to the rules (`fit_app_name`)."""
    base = f"{slug(name).replace('_', '-')}-app"
    template = app_name_for_targets(base, [e.name for e in envs])
    if template is not None:
        return template
    var = "app_name" if "app_name" not in have else f"{key}_app_name"
    variables[var] = Variable(var, "name of this environment's Databricks App (lowercase letters, digits and "
                                   f"hyphens, at most {APP_NAME_MAX} characters)", fit_app_name(base, envs[0].name))
    for env in envs[1:]:
        env_values.setdefault(env.name, {})[var] = fit_app_name(base, env.name)
    return "${var.%s}" % var


def _serving(name: str, key: str, model_ref: str, serving: str, experiment_key: str, cat: str, sch: str,
             folder: str, app_name: str = "") -> tuple[str | Text, Resource]:
    experiment_name = "${resources.experiments.%s.name}" % experiment_key
    if serving == "apps":
        return "Databricks App", App(
            f"{key}_app", app_name, f"{name} agent",
            os.path.relpath("app", folder).replace(os.sep, "/"), ("python", "app.py"),
            (("MLFLOW_EXPERIMENT_NAME", experiment_name),),
            (AppSecret("secrets", "${var.secret_scope}", "api-key"),),
            (Permission("CAN_USE", group_name="${var.consumer_group}"),))
    return prose("Serving endpoint with inference tables (bundle-owned; the rollout sets `serving_version`)"), \
        ServingEndpoint(
            f"{key}_endpoint", f"{slug(name).replace('_', '-')}-${{bundle.target}}",
            (ServedEntity("champion", model_ref, "${var.serving_version}", "Small", True,
                          (("MLFLOW_EXPERIMENT_NAME", experiment_name),)),),
            (("champion", 100),), InferenceTable(cat, sch, key),
            (Permission("CAN_QUERY", group_name="${var.consumer_group}"),
             Permission("CAN_MANAGE", group_name="${var.admin_group}")),
            ("${var.notification_email}",))
