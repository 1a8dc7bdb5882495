"""Resource facts of a bundle: jobs and tasks, experiments, models, serving endpoints, apps, others."""

from __future__ import annotations

import os
from typing import Any

from dabprp.confined_io import is_inside
from dabprp.facts import (
    App,
    Experiment,
    Grant,
    Job,
    JobParameter,
    OtherResource,
    RegisteredModel,
    Resources,
    ServedEntity,
    ServingEndpoint,
    Task,
)
from dabprp.parse.bundle_values import as_dict, as_int, as_list, as_str, child, get, permissions, run_as
from dabprp.parse.yaml_source import LocNode

NOTEBOOK_SUFFIXES = ("", ".py", ".ipynb", ".sql", ".scala", ".r", ".R")


def resources(raw: Any, loc: LocNode, root: str) -> Resources:
    if not isinstance(raw, dict):
        return Resources()
    files = _Files(root)
    parts: dict[str, list[Any]] = {k: [] for k in (
        "jobs", "experiments", "registered_models", "models", "model_serving_endpoints", "apps",
        "secret_scopes", "quality_monitors", "other")}
    for rtype, items in raw.items():
        if not isinstance(items, dict):
            continue
        for key, spec in items.items():
            rloc = child(loc, rtype, key)
            spec = spec if isinstance(spec, dict) else {}
            builder = _BUILDERS.get(rtype)
            if builder is not None:
                parts[rtype].append(builder(str(key), spec, rloc, files))
            else:
                bucket = rtype if rtype in parts else "other"
                name = spec.get("name") or spec.get("title") or spec.get("table_name")
                parts[bucket].append(OtherResource(str(rtype), str(key), rloc.at, as_str(name)))
    return Resources(**{k: tuple(v) for k, v in parts.items()})


def _job(key: str, spec: dict[str, Any], loc: LocNode, files: _Files) -> Job:
    tasks_raw = as_list(spec.get("tasks"))
    tasks = tuple(
        _task(t, child(loc, "tasks", i), files) for i, t in enumerate(tasks_raw) if isinstance(t, dict)
    )
    params_raw = as_list(spec.get("parameters"))
    params = tuple(
        JobParameter(str(p.get("name")), p.get("default"), child(loc, "parameters", i).at)
        for i, p in enumerate(params_raw) if isinstance(p, dict)
    )
    health = get(spec, "health", "rules")
    queue = spec.get("queue")
    return Job(
        key=key, location=loc.at, name=as_str(spec.get("name")), tasks=tasks, parameters=params,
        max_concurrent_runs=as_int(spec.get("max_concurrent_runs")),
        timeout_seconds=as_int(spec.get("timeout_seconds")),
        queue_enabled=queue.get("enabled") if isinstance(queue, dict) else None,
        schedule=spec.get("schedule") if isinstance(spec.get("schedule"), dict) else None,
        trigger=spec.get("trigger") if isinstance(spec.get("trigger"), dict) else None,
        email_notifications=as_dict(spec.get("email_notifications")) or None,
        webhook_notifications=as_dict(spec.get("webhook_notifications")) or None,
        health_rules=tuple(r for r in health if isinstance(r, dict)) if isinstance(health, list) else (),
        run_as=run_as(spec.get("run_as"), child(loc, "run_as")),
        permissions=permissions(spec.get("permissions"), child(loc, "permissions")),
        job_clusters=_keys(spec.get("job_clusters"), "job_cluster_key"),
        environments=_keys(spec.get("environments"), "environment_key"),
        tags=as_dict(spec.get("tags")),
    )


def _keys(raw: Any, key: str) -> tuple[str, ...]:
    if not isinstance(raw, list):
        return ()
    return tuple(str(i.get(key)) for i in raw if isinstance(i, dict) and i.get(key) is not None)


def _task(spec: dict[str, Any], loc: LocNode, files: _Files) -> Task:
    ttype = next((k[: -len("_task")] for k in spec if isinstance(k, str) and k.endswith("_task")), "unknown")
    body = spec.get(f"{ttype}_task") if ttype != "unknown" else None
    body = body if isinstance(body, dict) else {}
    target, params = _task_target(ttype, body)
    resolved = None
    if ttype in ("notebook", "spark_python") and isinstance(target, str):
        resolved = files.resolve(loc.at.path, target, ttype == "notebook")
    deps = as_list(spec.get("depends_on"))
    compute = next(
        (f"{k}:{spec[k]}" if isinstance(spec[k], str) else k
         for k in ("environment_key", "job_cluster_key", "existing_cluster_id", "new_cluster")
         if spec.get(k) is not None),
        "serverless",
    )
    return Task(
        task_key=str(spec.get("task_key")), type=ttype, location=loc.at, target=target,
        resolved_path=resolved,
        depends_on=tuple(str(d.get("task_key")) for d in deps if isinstance(d, dict)),
        parameters=params, max_retries=as_int(spec.get("max_retries")),
        timeout_seconds=as_int(spec.get("timeout_seconds")), compute=compute,
        run_if=as_str(spec.get("run_if")),
    )


def _task_target(ttype: str, body: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
    if ttype == "notebook":
        return as_str(body.get("notebook_path")), as_dict(body.get("base_parameters"))
    if ttype == "spark_python":
        params = body.get("parameters")
        return as_str(body.get("python_file")), {"args": list(params)} if isinstance(params, list) else {}
    if ttype == "python_wheel":
        named = as_dict(body.get("named_parameters"))
        return f"{body.get('package_name')}:{body.get('entry_point')}", named
    if ttype == "run_job":
        return as_str(body.get("job_id")), as_dict(body.get("job_parameters"))
    if ttype == "condition":
        return f"{body.get('left')} {body.get('op')} {body.get('right')}", {}
    if ttype == "pipeline":
        return as_str(body.get("pipeline_id")), {}
    if ttype == "sql":
        for key in ("file", "query", "alert", "dashboard"):
            if isinstance(body.get(key), dict):
                inner = body[key]
                return as_str(inner.get("path") or next(iter(inner.values()), None)), {}
        return None, {}
    if ttype == "for_each":
        inner = as_dict(body.get("task"))
        kind = next((k for k in inner if isinstance(k, str) and k.endswith("_task")), None)
        return f"for_each({body.get('inputs')}) -> {kind}", {}
    return None, {}


class _Files:
    """The project's files as task paths name them, each path looked up once per bundle read (a thousand
    tasks naming one notebook cost one lookup)."""

    def __init__(self, root: str) -> None:
        self.root = root
        self.real_root = os.path.realpath(root)
        self._seen: dict[tuple[str, str, bool], str | None] = {}

    def resolve(self, declared_in: str, path: str, notebook: bool) -> str | None:
        """The root-relative file `path` (relative to the YAML file declaring it) names, None when it is a
        variable, absolute, outside the root or missing (notebooks may drop their extension)."""
        key = (os.path.dirname(declared_in), path, notebook)
        if key not in self._seen:
            self._seen[key] = _resolve_path(self.root, self.real_root, key[0], path, notebook)
        return self._seen[key]


def _resolve_path(root: str, real_root: str, base: str, path: str, notebook: bool) -> str | None:
    """A file inside the root, also after links are followed (a link out of the project is not a project file,
    and whether its target exists is not looked at)."""
    if "${" in path or path.startswith("/"):
        return None
    rel = os.path.normpath(os.path.join(base, path)).replace(os.sep, "/")
    if rel == ".." or rel.startswith("../"):
        return None
    for suffix in NOTEBOOK_SUFFIXES if notebook else ("",):
        full = os.path.join(root, rel + suffix)
        if os.path.lexists(full) and is_inside(real_root, os.path.realpath(full)) and os.path.isfile(full):
            return rel + suffix
    return None


def _experiment(key: str, spec: dict[str, Any], loc: LocNode, files: _Files) -> Experiment:
    return Experiment(key, loc.at, as_str(spec.get("name")),
                      permissions(spec.get("permissions"), child(loc, "permissions")))


def _registered_model(key: str, spec: dict[str, Any], loc: LocNode, files: _Files) -> RegisteredModel:
    grants_raw = as_list(spec.get("grants"))
    grants = tuple(
        Grant(str(g.get("principal")), tuple(str(p) for p in (g.get("privileges") or [])),
              child(loc, "grants", i).at)
        for i, g in enumerate(grants_raw) if isinstance(g, dict)
    )
    aliases = _keys(spec.get("aliases"), "alias_name")
    return RegisteredModel(key, loc.at, as_str(spec.get("catalog_name")), as_str(spec.get("schema_name")),
                           as_str(spec.get("name")), grants, aliases)


def _serving_endpoint(key: str, spec: dict[str, Any], loc: LocNode, files: _Files) -> ServingEndpoint:
    config = as_dict(spec.get("config"))
    entities_raw = config.get("served_entities") or config.get("served_models") or []
    field = "served_entities" if config.get("served_entities") else "served_models"
    entities = tuple(
        ServedEntity(
            as_str(e.get("name")), as_str(e.get("entity_name") or e.get("model_name")),
            e.get("entity_version", e.get("model_version")), child(loc, "config", field, i).at,
            as_str(e.get("workload_size")), e.get("scale_to_zero_enabled"), as_dict(e.get("environment_vars")),
        )
        for i, e in enumerate(entities_raw if isinstance(entities_raw, list) else [])
        if isinstance(e, dict)
    )
    routes = get(config, "traffic_config", "routes")
    gateway = as_dict(spec.get("ai_gateway")) or None
    inference = bool(get(gateway, "inference_table_config", "enabled")) or bool(
        get(config, "auto_capture_config", "enabled"))
    return ServingEndpoint(
        key, loc.at, as_str(spec.get("name")), entities,
        tuple(r for r in routes if isinstance(r, dict)) if isinstance(routes, list) else (),
        inference, gateway, permissions(spec.get("permissions"), child(loc, "permissions")),
    )


def _app(key: str, spec: dict[str, Any], loc: LocNode, files: _Files) -> App:
    res = as_list(spec.get("resources"))
    names = tuple(
        f"{next((k for k in r if k not in ('name', 'description')), '?')}:{r.get('name')}"
        for r in res if isinstance(r, dict)
    )
    return App(key, loc.at, as_str(spec.get("name")), as_str(spec.get("source_code_path")), names,
               permissions(spec.get("permissions"), child(loc, "permissions")))


_BUILDERS = {
    "jobs": _job,
    "experiments": _experiment,
    "registered_models": _registered_model,
    "model_serving_endpoints": _serving_endpoint,
    "apps": _app,
}
