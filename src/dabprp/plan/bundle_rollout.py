"""A bundle-owned endpoint's rollout: the served version is a bundle variable, changed only by `bundle deploy`."""

from __future__ import annotations

from dabprp.facts import Project
from dabprp.plan.model import BundleRollout, PlannedTask, ServingMode, TaskParam, prose
from dabprp.plan.pipeline import DEFAULT_SOAK_SECONDS, MIN_CANARY_REQUESTS, SERVING_UPDATE_SECONDS, STAGES_DIR

VARIABLE = "serving_version"
PLAN_ENTITY = "champion"
"""The served entity of the endpoint the plan defines (`resources.py`)."""


def bundle_rollout(project: Project, mode: ServingMode, plan_endpoint_key: str) -> BundleRollout | None:
    """How the rollout changes the served version of the bundle's endpoint, or None when the bundle does not
    own the endpoint. The project's endpoint keeps its entity; a literal `entity_version` becomes the variable
    (default: that literal, so the next deploy serves what is served today)."""
    if mode.kind != "bundle-endpoint":
        return None
    b = project.bundle
    endpoint = next((e for e in (b.resources.model_serving_endpoints if b else ()) if e.key == mode.endpoint_key),
                    None)
    if endpoint is None:
        return BundleRollout(plan_endpoint_key, PLAN_ENTITY, VARIABLE, "1", None, None)
    routes = {str(r.get("served_entity_name")): r.get("traffic_percentage") for r in endpoint.traffic}
    entity = max(endpoint.served_entities, key=lambda e: (routes.get(str(e.name)) or 0), default=None)
    if entity is None or not entity.name:
        return None
    version = entity.entity_version
    literal = not (isinstance(version, str) and "${" in version)
    return BundleRollout(endpoint.key, entity.name, VARIABLE, str(version) if literal else "1",
                         entity.location if literal else None, None if literal else str(version))


def rollout_step(rollout: BundleRollout, soak_param: TaskParam) -> PlannedTask:
    """The CI step (it needs the bundle's folder and the Databricks CLI, which a job task has not)."""
    return PlannedTask("rollout", f"{STAGES_DIR}/deploy.py", (), 0,
                       prose("switch the served version with `bundle deploy --var`, probe and soak, redeploy the "
                             "previous on failure"), (
                           TaskParam("--target", "${bundle.target}"),
                           TaskParam("--endpoint-key", rollout.endpoint_key),
                           TaskParam("--entity", rollout.entity), TaskParam("--variable", rollout.variable),
                           TaskParam("--soak-seconds", str(DEFAULT_SOAK_SECONDS)), soak_param,
                           TaskParam("--min-requests", str(MIN_CANARY_REQUESTS)),
                           TaskParam("--probe-requests", str(MIN_CANARY_REQUESTS))),
                       timeout=DEFAULT_SOAK_SECONDS + 3 * SERVING_UPDATE_SECONDS)
