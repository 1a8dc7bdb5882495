"""What the plan's bundle would create that the project already has outside it: registered models its code
creates under the name a planned model resolves to in an existing target (a bind before the first deploy), and
the project's own jobs that deploy serving endpoints (a second owner in the targets the plan adds)."""

from __future__ import annotations

from typing import Any

from dabprp.facts import Expr, Job, Literal, Location, MlflowCall, Project, Target
from dabprp.parse.bundle_load import LoadedBundle
from dabprp.parse.bundle_names import UNKNOWN, UNKNOWN_DEPLOYER, same_name_key
from dabprp.parse.bundle_resolve import TargetConfig, Unresolved, load_target, resolve_deploy
from dabprp.plan.bundle_model import BundleFile, RegisteredModel
from dabprp.plan.model import Bind, Code, Environment, Evidence, Migration, parts_of, prose, text
from dabprp.plan.names import located_at
from dabprp.plan.pipeline import own_calls

# Calls that create a registered model, with the argument holding its name (keyword, positional slot).
MODEL_CREATORS = (("mlflow.register_model", "name", "_1"), ("MlflowClient.create_registered_model", "name", "_0"),
                  ("mlflow.MlflowClient.create_registered_model", "name", "_0"))
LOG_AND_REGISTER = "registered_model_name"
MAX_UNKNOWN = 5
"""Calls named one by one when their name is not known statically; the rest are counted."""
# Calls that create or update a serving endpoint outside the bundle.
SERVING_CREATORS = ("databricks.agents.deploy", "mlflow.deployments.create_endpoint")


def model_binds(project: Project, envs: tuple[Environment, ...], blocks: tuple[BundleFile, ...]
                ) -> tuple[tuple[Bind, ...], tuple[Evidence, ...]]:
    """Planned registered models that resolve, in a target that exists, to a name the project's code creates
    (a literal, or built from the parameters a job of the bundle passes it there); and the creating calls whose
    name is not known statically."""
    b = project.bundle
    planned = _planned_models(blocks)
    # a target that already overrides a planned model was written with it (by an earlier scaffold): its first
    # deploy created the model, so only targets without such an override can predate it
    existing = [(e, t) for e in envs if e.exists and not ((t := b.target(e.name)) and any(
        f"registered_models.{key}" in t.resource_overrides for key in planned))] if b else []
    if b is None or not planned or not existing:
        return (), ()
    variables = {v.name: v.spec() for block in blocks for v in block.variables}
    binds: list[Bind] = []
    unknown: dict[Location, Evidence] = {}
    calls = _creating_calls(project)
    for env, target in existing:
        config = _config(project, env, target, variables, planned)
        if config is None:
            continue
        for key in sorted(planned):
            name = _resolved_name(config, key)
            if name is None:
                continue
            for call, value in calls:
                for created, via in _names_created(project, call, value, config, target, unknown):
                    if same_name_key("registered_models", created) == same_name_key("registered_models", name):
                        binds.append(Bind(env.name, "registered_models", key, name, call.location, via))
                        break
                else:
                    continue
                break
    told = [unknown[k] for k in sorted(unknown)]
    if len(told) > MAX_UNKNOWN:
        told = [*told[:MAX_UNKNOWN], Evidence("registered model", f"{len(told) - MAX_UNKNOWN} more calls whose "
                                              "name is not known statically")]
    return tuple(binds), tuple(told)


def bind_command(bind: Bind) -> str:
    return f"databricks bundle deployment bind {bind.key} {bind.name} -t {bind.target}"


def bind_migrations(binds: tuple[Bind, ...]) -> tuple[Migration, ...]:
    """One ordered migration per bind: adopt the object before the first deploy, with what adopting costs."""
    return tuple(Migration(
        b.target,
        text("registered model ", Code(b.key), " resolves to ", Code(b.name), ", which the project already "
             "creates outside the bundle: ", *parts_of(b.via)),
        (prose("Before the first `databricks bundle deploy -t {t}` with this model in the bundle: "
               "`{command}` (it shows what it adopts and asks).", t=b.target, command=bind_command(b)),
         prose("`databricks bundle deploy -t {t}`.", t=b.target)),
        prose("without the bind the first deploy fails (the model already exists). Once bound, the bundle owns the "
              "model: its `grants` replace the model's current grants (a principal granted by hand loses access "
              "unless the bundle lists it), and `databricks bundle destroy -t {t}` deletes the model with its "
              "versions (`databricks bundle deployment unbind {key} -t {t}` first to keep it).",
              t=b.target, key=b.key),
        b.created_at) for b in binds)


def serving_owner_jobs(project: Project) -> tuple[tuple[Job, MlflowCall], ...]:
    """The project's own jobs whose tasks run code that creates or updates a serving endpoint, with that call."""
    b = project.bundle
    if b is None:
        return ()
    calls = own_calls(project, *SERVING_CREATORS)
    out = []
    for job in b.resources.jobs:
        call = next((c for t in job.tasks for c in calls if t.resolved_path and c.location.path == t.resolved_path),
                    None)
        if call is not None:
            out.append((job, call))
    return tuple(out)


def _planned_models(blocks: tuple[BundleFile, ...]) -> dict[str, dict[str, Any]]:
    return {r.key: r.spec() for block in blocks for r in block.resources if isinstance(r, RegisteredModel)}


def _config(project: Project, env: Environment, target: Target | None, variables: dict[str, Any],
            planned: dict[str, dict[str, Any]]) -> TargetConfig | None:
    """The existing target as the CLI resolves it with the planned models added (the deploying identity and
    lookups unknown)."""
    b = project.bundle
    assert b is not None
    declared = {v.name: ({"lookup": v.lookup} if v.lookup else {"default": v.default}) for v in b.variables}
    workspace = {"root_path": env.root_path} if env.root_path else {}
    own: dict[str, Any] = {"variables": dict(target.variables)} if target else {}
    if target and target.mode:
        own["mode"] = target.mode
    tree = {"bundle": {"name": b.name}, "variables": {**variables, **declared}, "workspace": workspace,
            "targets": {env.name: own}, "resources": {"registered_models": planned}}
    try:
        return load_target(LoadedBundle(b.root_file, tree, located_at(tree, b.location)), env.name,
                           UNKNOWN_DEPLOYER)
    except (Unresolved, AttributeError, TypeError, KeyError):
        return None


def _resolved_name(config: TargetConfig, key: str) -> str | None:
    """The three-level name the planned model deploys under; None when the deploy alone knows it (a dev-mode
    prefix with the deploying user's name, a lookup)."""
    try:
        spec = config.resource("registered_models", key)
    except (Unresolved, KeyError, TypeError, IndexError):
        return None
    parts = [spec.get(f) for f in ("catalog_name", "schema_name", "name")]
    if not all(isinstance(p, str) and p and UNKNOWN not in p for p in parts):
        return None
    return ".".join(str(p) for p in parts)


def _creating_calls(project: Project) -> list[tuple[MlflowCall, Any]]:
    """The project's calls that create a registered model, with the value of the name they give it."""
    out: list[tuple[MlflowCall, Any]] = []
    for api, keyword, slot in MODEL_CREATORS:
        for call in own_calls(project, api):
            value = call.arguments.get(keyword, call.arguments.get(slot))
            if value is not None:
                out.append((call, value))
    generated = project.python.generated_paths()
    for call in project.python.mlflow_calls:
        if call.api.endswith(".log_model") and not call.commented_out and call.location.path not in generated \
                and LOG_AND_REGISTER in call.arguments:
            out.append((call, call.arguments[LOG_AND_REGISTER]))
    return sorted(out, key=lambda cv: cv[0].location)


def _names_created(project: Project, call: MlflowCall, value: Any, config: TargetConfig, target: Target | None,
                   unknown: dict[Location, Evidence]) -> list[tuple[str, Any]]:
    """The names `call` creates in this target, each with how it is known; a name not known statically is
    recorded in `unknown` (with why) instead."""
    if isinstance(value, Literal) and isinstance(value.value, str):
        return [(value.value, text(Code(_api(call)), f" at {call.location} names it literally"))]
    if not (isinstance(value, Expr) and value.template):
        source = value.source if isinstance(value, Expr) else "not given"
        unknown[call.location] = Evidence("registered model", prose(
            "the name `{source}` is computed at run time: whether a planned model already exists under it is not "
            "known statically", source=source), call.location)
        return []
    b = project.bundle
    assert b is not None
    runners = [(job, task) for job in b.resources.jobs for task in job.tasks
               if task.resolved_path == call.location.path]
    out: list[tuple[str, Any]] = []
    for job, task in runners:
        # the job's facts are the selected target's configuration: another target may change its parameters
        overridden = target is not None and target.name != b.selected_target \
            and f"jobs.{job.key}" in target.resource_overrides
        params = {p.name: p.default for p in job.parameters}
        passed = {**task.parameters, **params}  # a job parameter overrides the task parameter of the same name
        values: list[str] = []
        missing = ""
        for kind, part in value.template:
            raw = part if kind == "text" else passed.get(part)
            resolved = _resolve(raw, config) if kind == "param" else part
            if resolved is None:
                missing = part
                break
            values.append(resolved)
        if overridden or missing:
            why = f"target `{config.target}` overrides job `{job.key}`" if overridden else \
                f"job `{job.key}` passes no known value for parameter `{missing}`"
            unknown.setdefault(call.location, Evidence("registered model", prose(
                "the name `{source}` is built from task parameters, and {why}: whether a planned model already "
                "exists under it is not known statically", source=value.source, why=why), call.location))
            continue
        shown: list[str | Code] = []
        for i, (param, resolved) in enumerate(_param_values(value.template, passed, config)):
            shown += [", " if i else "", Code(f"{param}={resolved}")]
        out.append(("".join(values), text(Code(_api(call)), f" at {call.location}, run by job ", Code(job.key),
                                         " with ", *shown)))
    if not runners:
        unknown.setdefault(call.location, Evidence("registered model", prose(
            "the name `{source}` is built from task parameters and no top-level job of the bundle runs this file "
            "(jobs a target defines are not read): whether a planned model already exists under it is not known "
            "statically", source=value.source), call.location))
    return out


def _param_values(template: tuple[tuple[str, str], ...], passed: dict[str, Any],
                  config: TargetConfig) -> list[tuple[str, str]]:
    seen = dict.fromkeys(part for kind, part in template if kind == "param")
    return [(part, _resolve(passed.get(part), config) or "?") for part in seen]


def _resolve(raw: Any, config: TargetConfig) -> str | None:
    if not isinstance(raw, str):
        return None
    try:
        value = resolve_deploy(raw, config, config.raw)
    except (Unresolved, KeyError, TypeError, IndexError):
        return None
    return value if isinstance(value, str) and UNKNOWN not in value and "{{" not in value else None


def _api(call: MlflowCall) -> str:
    return call.api.rsplit(".", 2)[-1] if call.api.startswith("mlflow.MlflowClient") else call.api.rsplit(".", 1)[-1]


def second_owner_migrations(project: Project, envs: tuple[Environment, ...]) -> tuple[Migration, ...]:
    """The project's own top-level jobs that deploy an endpoint, deployed by every production target after the
    first existing one too: a second owner of the endpoint there (no evaluation, approval or canary). Moving the
    definition under the first existing target keeps it there unchanged; the plan does not edit it in."""
    b = project.bundle
    home = next((e.name for e in envs if e.exists), None)
    added = [e.name for e in envs if e.name != home and e.mode == "production"]
    if b is None or home is None or not added:
        return ()
    where = ", ".join(f"`{t}`" for t in added)
    home_target = b.target(home)
    # a job the first target defines (or overrides) may be its own: only a job untouched there is surely top-level
    own = set(home_target.resource_overrides) if home_target else set()
    out = []
    for job, call in serving_owner_jobs(project):
        if f"jobs.{job.key}" in own:
            continue
        out.append(Migration(
            home,
            prose("job `{key}` calls `{api}` ({call}); defined at top level, it is also deployed to "
                  + where + ", where running it is a second owner of the serving endpoint that skips evaluation, "
                  "approval and the canary" + (_run_as_clause(job, where) if job.run_as else ""), key=job.key,
                  api=call.api.removeprefix("databricks."), call=call.location),
            (prose("Move the job's definition from `resources.jobs.{key}` to `targets.{home}.resources.jobs.{key}`, "
                   "unchanged (same key, same body).", key=job.key, home=home),
             prose("`dabprp diff --base HEAD` (the committed bundle against the edit): `{home}` shows no change to "
                   "`jobs.{key}` (the key stays, so the deployed job keeps its ID and run history) and "
                   + where + " no longer create it.",
                   home=home, key=job.key),
             prose("Until then, do not run `{key}` in " + where + ".", key=job.key)),
            prose("none in `{home}`. A target already deployed with the job deletes it on its next deploy."
                  + ("" if job.run_as else " Alternative: keep it in every target and retire it once the deployment "
                     "job owns the endpoint."), home=home),
            job.location))
    return tuple(out)



def _run_as_clause(job: Job, where: str) -> str:
    """Why the job's own `run_as` makes the first deploy of the other targets fail (braces escaped for prose)."""
    assert job.run_as is not None
    who = job.run_as.principal.replace("{", "{{").replace("}", "}}")
    return (f"; it also runs as {job.run_as.kind.replace('_', ' ')} `{who}`, which the deploying service principal "
            f"may not set, so the first deploy of {where} fails until it moves")


def run_as_migrations(project: Project, envs: tuple[Environment, ...], deployer: str) -> tuple[Migration, ...]:
    """The project's top-level jobs that run as another identity than the deployer, deployed by production
    targets after the first existing one: a deploying service principal may not set another identity's `run_as`,
    and a target cannot override it (the CLI merges the target's `run_as` into the job's, keeping `user_name`:
    both set is an error). Moving the job's `run_as` under the first target keeps that target unchanged."""
    b = project.bundle
    home = next((e.name for e in envs if e.exists), None)
    others = [e.name for e in envs if e.name != home and e.mode == "production"]
    if b is None or home is None or not others:
        return ()
    home_target = b.target(home)
    own = set(home_target.resource_overrides) if home_target else set()
    owners = {job.key for job, _ in serving_owner_jobs(project)}
    jobs = [j for j in b.resources.jobs if j.run_as is not None and f"jobs.{j.key}" not in own
            and j.key not in owners and not (j.run_as.kind == "service_principal" and j.run_as.principal == deployer)]
    where = ", ".join(f"`{t}`" for t in others)
    return tuple(Migration(
        home,
        prose("job `{key}` runs as {kind} `{who}` in every target; in " + where + " the deploying service "
              "principal may not set that `run_as`, and a target cannot replace it (the CLI merges the target's "
              "`run_as` into the job's, so both identities would be set): the first deploy of " + where + " fails",
              key=job.key, kind=job.run_as.kind.replace("_", " "), who=job.run_as.principal),
        (prose("Before the first deploy of " + where + ": move `run_as` from `resources.jobs.{key}` to "
               "`targets.{home}.resources.jobs.{key}.run_as`, unchanged.", key=job.key, home=home),
         prose("`dabprp diff --base HEAD`: `{home}` shows no change (the job resolves as before there); in "
               + where + " the job runs as the target's `run_as`, the deployer `{deployer}`.", home=home,
               deployer=deployer)),
        prose("none in `{home}`; elsewhere the job runs as the deploying service principal, which needs access to "
              "what the job reads and writes.", home=home),
        job.location) for job in jobs if job.run_as is not None)
