"""A bundle-owned endpoint's rollout: the served version is a bundle variable, changed only by `bundle deploy`."""

from __future__ import annotations

import shlex

from dabprp.facts import Bundle, Project
from dabprp.plan.model import (
    BundleRollout,
    Environment,
    Migration,
    PlannedTask,
    ServingMode,
    TaskParam,
    parts_of,
    prose,
    text,
)
from dabprp.plan.pipeline import DEFAULT_SOAK_SECONDS, MIN_CANARY_REQUESTS, SERVING_UPDATE_SECONDS, STAGES_DIR

VARIABLE = "serving_version"
PLAN_ENTITY = "champion"
"""The served entity of the endpoint the plan defines (`resources.py`)."""


def bundle_rollout(project: Project, mode: ServingMode, plan_endpoint_key: str) -> BundleRollout | None:
    """How the rollout changes the served version of the bundle's endpoint, or None when the bundle does not
    own the endpoint. The project's endpoint keeps its entity; a literal `entity_version` becomes the variable,
    which has no default (a deploy without the champion fails instead of serving some version)."""
    if mode.kind != "bundle-endpoint":
        return None
    b = project.bundle
    endpoint = next((e for e in (b.resources.model_serving_endpoints if b else ()) if e.key == mode.endpoint_key),
                    None)
    if endpoint is None:
        return BundleRollout(plan_endpoint_key, PLAN_ENTITY, VARIABLE, None, None, None)
    routes = {str(r.get("served_entity_name")): r.get("traffic_percentage") for r in endpoint.traffic}
    entity = max(endpoint.served_entities, key=lambda e: (routes.get(str(e.name)) or 0), default=None)
    if entity is None or not entity.name:
        return None
    version = entity.entity_version
    literal = not (isinstance(version, str) and "${" in version)
    return BundleRollout(endpoint.key, entity.name, VARIABLE, str(version) if literal else None,
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


def stage_command(rollout: BundleRollout, target: str, mode: str = "") -> str:
    """`deploy.py` for `target` in `mode` (`--champion`, `--deploy`; none: the rollout), as a shell command."""
    argv = ["python", f"{STAGES_DIR}/deploy.py", "--target", target, "--endpoint-key", rollout.endpoint_key,
            "--entity", rollout.entity, "--variable", rollout.variable, *([mode] if mode else [])]
    return " ".join(shlex.quote(a) for a in argv)


def champion_env(rollout: BundleRollout, target: str) -> str:
    """The shell line that hands `target`'s champion to every later bundle command (the variable has no default)."""
    return f"export BUNDLE_VAR_{rollout.variable}=$({stage_command(rollout, target, '--champion')})"


def bootstrap(rollout: BundleRollout, envs: tuple[Environment, ...], roles: dict[str, str],
              bundle: Bundle | None) -> Migration:
    """The first deploy with the version variable: it serves the champion, else what the endpoint serves today;
    where the bundle creates the endpoint, the model has no version to serve yet. Located at its target's own
    line; before scaffold adds that target, at the endpoint whose version it sets (if the project has one)."""
    first = envs[1].name if len(envs) > 1 else envs[0].name
    target = bundle.target(first) if bundle else None
    location = target.location if target else rollout.edit_at
    runs = tuple(prose("`databricks bundle run -t {t} {job}`" + note, t=first, job=roles[role])
                 for role, note in (("link", " (MLflow starts the deployment job for each new version)."),
                                    ("build", ": builds and registers the model's first version; the deployment job "
                                              "evaluates it and, approved, gives it the alias `challenger`."))
                 if role in roles)
    today = prose(" (the bundle says `{v}` today)", v=rollout.served_today) if rollout.served_today else ""
    own = rollout.edit_at is not None or rollout.current_ref is not None  # the project's endpoint, maybe deployed
    return Migration(
        first, prose("first deploy with `{v}`, which has no default: the endpoint `{k}` keeps the version it serves; "
                     "where the bundle creates the endpoint, the model has no version yet" if own else
                     "first deploy: the bundle creates the model and the endpoint `{k}` that serves its version "
                     "(`{v}`, no default), but the model has no version yet", k=rollout.endpoint_key,
                     v=rollout.variable),
        (text(*parts_of(prose("`{cmd}`: prints the `champion` alias, else the version the endpoint serves today",
                              cmd=champion_env(rollout, first))), *parts_of(today),
              *parts_of(prose(", else `0` (no version yet; 0 is no model version, so a deploy that would serve it "
                              "fails at the endpoint)."))),
         prose("`{cmd}`: deploys the bundle serving that version; with `0`, every resource but the endpoint "
               "(`databricks bundle deploy --select`, direct engine only). Where it printed a version, stop here.",
               cmd=stage_command(rollout, first, "--deploy")),
         *runs,
         prose("`{cmd}`: `bundle deploy --var {v}=N` with the approved version creates the endpoint, then probes "
               "and soaks it (with no earlier version, a failure leaves the endpoint on the failed version, "
               "tagged as rolled back and never made the champion).",
               cmd=stage_command(rollout, first), v=rollout.variable),
         prose("Every later deploy: `{cmd}` (the champion, else the version the endpoint serves today). Each "
               "other target the same way, with its name; the CI workflow scaffold writes runs these steps.",
               cmd=stage_command(rollout, first, "--deploy"))),
        prose("none: no resource is moved or recreated; where the bundle creates the endpoint, the target has none "
              "until a version is approved."),
        location)
