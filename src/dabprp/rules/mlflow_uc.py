"""4xx: MLflow logging, Unity Catalog registration and the serving path."""

from __future__ import annotations

from collections.abc import Iterator

from dabprp.facts import Literal, Project, literal_str
from dabprp.findings import Hit, Severity, Stage
from dabprp.knowledge import DOCS
from dabprp.rules import rule
from dabprp.rules.queries import bundle_location, first_call_or_bundle, three_level, uses_uc_registry


@rule("DAB401", "Model not registered to Unity Catalog", severity=Severity.ERROR, stage=Stage.DEPLOY,
      fix="`mlflow.set_registry_uri('databricks-uc')` and register with a `catalog.schema.model` name.",
      docs=(DOCS["uc_models"],))
def not_in_uc(project: Project) -> Iterator[Hit]:
    """Deployment jobs, approvals, grants and aliases need a Unity Catalog model."""
    registers = project.python.calls("mlflow.register_model")
    logs = project.python.calls("mlflow.pyfunc.log_model")
    if not registers:
        if logs:
            yield Hit(logs[0].location, "the model is logged but never registered")
        return
    uc_registry = uses_uc_registry(project)
    for call in registers:
        # a name computed at run time cannot be judged statically
        name = literal_str(call.arguments.get("name") or call.arguments.get("_1"))
        if not uc_registry and name is not None and not three_level(name):
            yield Hit(call.location, f"`register_model` name `{name}` is not a Unity Catalog name")


@rule("DAB402", "No registered_models resource", severity=Severity.WARNING, stage=Stage.DEPLOY,
      fix="Declare the UC model under `resources.registered_models` with catalog/schema variables.",
      docs=(DOCS["uc_models"],))
def no_registered_model_resource(project: Project) -> Iterator[Hit]:
    """A model created by a notebook has no declared owner, grants or per-environment catalog."""
    b = project.bundle
    if b is not None and not b.resources.registered_models and project.python.calls(
            "mlflow.register_model", "mlflow.pyfunc.log_model"):
        yield Hit(bundle_location(project), "the bundle declares no `registered_models` resource")


@rule("DAB403", "Registered model without grants", severity=Severity.WARNING, stage=Stage.SECURITY,
      fix="Grant EXECUTE to consumers, APPLY_TAG to approvers and MANAGE to the deployer principal.",
      docs=(DOCS["deployment_job"],))
def model_without_grants(project: Project) -> Iterator[Hit]:
    """Approvers need APPLY_TAG and the deployment principal MANAGE on the model."""
    b = project.bundle
    for m in b.resources.registered_models if b else ():
        if not m.grants:
            yield Hit(m.location, f"registered model `{m.key}` has no grants")


@rule("DAB404", "No model aliases", severity=Severity.WARNING, stage=Stage.DEPLOY,
      fix="Promote with aliases (`challenger` → `champion`) via `set_registered_model_alias`.",
      docs=(DOCS["uc_models"],))
def no_aliases(project: Project) -> Iterator[Hit]:
    """Without aliases there is no named 'current production version' to roll back to."""
    if not project.python.calls("mlflow.register_model"):
        return
    alias_calls = [c for c in project.python.mlflow_calls if "alias" in c.api and not c.commented_out]
    b = project.bundle
    declared = any(m.aliases for m in b.resources.registered_models) if b else False
    if not alias_calls and not declared:
        yield Hit(project.python.calls("mlflow.register_model")[0].location, "no alias is ever set on the model")


@rule("DAB405", "Deployment job not linked to the model", severity=Severity.WARNING, stage=Stage.DEPLOY,
      fix="Add a post-deploy step calling `MlflowClient().update_registered_model(name, "
          "deployment_job_id=<job id>)`; a bundle has no field for this link.",
      docs=(DOCS["deployment_job"],))
def deploy_job_not_linked(project: Project) -> Iterator[Hit]:
    """Only a linked deployment job runs automatically for each new model version."""
    if not project.python.calls("mlflow.register_model", "mlflow.pyfunc.log_model"):
        return
    linked = any("deployment_job_id" in c.arguments for c in project.python.mlflow_calls
                 if c.api.endswith(("update_registered_model", "create_registered_model")))
    if not linked:
        yield Hit(first_call_or_bundle(project, "mlflow.register_model"),
                  "no code sets the registered model's `deployment_job_id`")


@rule("DAB406", "No pre-deployment validation", severity=Severity.NOTE, stage=Stage.TEST,
      fix="Run `mlflow.models.predict(model_uri, input_data, env_manager='uv')` before deploying.",
      docs=(DOCS["predeploy"],))
def no_predeploy_check(project: Project) -> Iterator[Hit]:
    """A model that fails to load in a clean environment fails only after the endpoint update starts."""
    logs = project.python.calls("mlflow.pyfunc.log_model")
    if logs and not project.python.calls("mlflow.models.predict"):
        yield Hit(logs[0].location, "the logged model is never validated with `mlflow.models.predict`")


@rule("DAB407", "Logged model declares no resources", severity=Severity.WARNING, stage=Stage.SECURITY,
      fix="Pass `resources=` to `log_model` with one `mlflow.models.resources` entry per serving endpoint, index, "
          "space, warehouse or function the agent calls.",
      docs=(DOCS["agents_deploy"],))
def log_model_without_resources(project: Project) -> Iterator[Hit]:
    """Without declared resources the endpoint has no automatic credentials for the LLMs and tools it calls."""
    for call in project.python.calls("mlflow.pyfunc.log_model"):
        if "resources" not in call.arguments and "auth_policy" not in call.arguments:
            yield Hit(call.location, "`log_model` declares no `resources`")


@rule("DAB408", "Unpinned dependencies", severity=Severity.WARNING, stage=Stage.TEST,
      fix="Pin every requirement (`==`) or use a lock file so staging and prod run what was tested.",
      docs=(DOCS["agents_deploy"],))
def unpinned_dependencies(project: Project) -> Iterator[Hit]:
    """A floating version can change between evaluation and deployment."""
    for req in project.repo.requirements:
        if req.pinning != "exact":
            yield Hit(req.location, f"`{req.name}{req.spec}` is not pinned")


@rule("DAB409", "Conflicting dependency versions", severity=Severity.ERROR, stage=Stage.TEST,
      fix="Use one version of each package in requirements, notebooks' `%pip` and `pip_requirements`.",
      docs=(DOCS["agents_deploy"],))
def conflicting_dependencies(project: Project) -> Iterator[Hit]:
    """Different pins of one package mean the served model runs other code than the tests did."""
    pins: dict[str, dict[str, list]] = {}
    for req in project.repo.requirements:
        if req.pinning == "exact":
            pins.setdefault(req.name, {}).setdefault(req.spec[2:], []).append(req.location)
    for call in project.python.calls("mlflow.pyfunc.log_model"):
        pinned = call.arguments.get("pip_requirements")
        items = pinned.value if isinstance(pinned, Literal) and isinstance(pinned.value, tuple) else ()
        for item in items:  # a list computed at run time is not judged
            if isinstance(item, str) and "==" in item:
                name, version = item.split("==", 1)
                pins.setdefault(name.strip().lower().replace("_", "-"), {}).setdefault(
                    version.strip(), []).append(call.location)
    for name, versions in sorted(pins.items()):
        if len(versions) > 1:
            where = sorted(loc for locs in versions.values() for loc in locs)
            yield Hit(where[0], f"`{name}` is pinned to {', '.join(sorted(versions))}", tuple(where))


@rule("DAB410", "Serving path needs a decision", severity=Severity.NOTE, stage=Stage.DEPLOY,
      fix="Choose one owner per endpoint: bundle-managed serving (canaries via traffic_config) or "
          "Databricks Apps (recommended for new agents); do not mix with `agents.deploy`.",
      docs=(DOCS["agents_apps"], DOCS["agents_deploy"]))
def serving_path(project: Project) -> Iterator[Hit]:
    """`agents.deploy` owns its endpoint; a bundle endpoint for the same model would overwrite it."""
    deploys = project.python.calls("databricks.agents.deploy")
    b = project.bundle
    endpoints = b.resources.model_serving_endpoints if b else ()
    if deploys and endpoints:
        yield Hit(deploys[0].location, "both `agents.deploy` and a bundle serving endpoint manage serving",
                  (endpoints[0].location,))
    elif deploys:
        yield Hit(deploys[0].location, "serving is created by `agents.deploy` outside the bundle "
                  "(Model Serving); Databricks recommends Apps for new agents")
