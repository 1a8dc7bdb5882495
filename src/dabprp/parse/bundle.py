"""Bundle facts: targets, variables, resources and variable references, each with its location."""

from __future__ import annotations

import os
import re
from typing import Any

from dabprp.facts import (
    App,
    Bundle,
    Experiment,
    Grant,
    Job,
    JobParameter,
    Location,
    OtherResource,
    Permission,
    RegisteredModel,
    Resources,
    RunAs,
    ServedEntity,
    ServingEndpoint,
    Target,
    Task,
    Variable,
    VarRef,
    Workspace,
)
from dabprp.parse.bundle_load import LoadedBundle, effective_tree
from dabprp.parse.yaml_source import LocNode

REF_RE = re.compile(r"\$\{([^}]+)\}")
NOTEBOOK_SUFFIXES = ("", ".py", ".ipynb", ".sql", ".scala", ".r", ".R")
PRINCIPAL_KEYS = (
    ("user_name", "user"), ("service_principal_name", "service_principal"), ("group_name", "group"),
)


def build_bundle(loaded: LoadedBundle, root: str, target: str | None) -> Bundle:
    """Facts of the bundle; resources are those of `target`'s effective configuration."""
    tree, loc = effective_tree(loaded, target)
    variables = _variables(loaded.tree, loaded.loc, target)
    name = _str(_get(tree, "bundle", "name"))
    resources = _resources(tree.get("resources"), _child(loc, "resources"), root)
    refs = _var_refs(tree, loc, name, target, variables)
    return Bundle(
        root_file=loaded.root_file,
        location=loc.at,
        name=name,
        includes=tuple(loaded.includes),
        variables=tuple(variables),
        workspace=_workspace(tree.get("workspace"), _child(loc, "workspace")),
        run_as=_run_as(tree.get("run_as"), _child(loc, "run_as")),
        permissions=_permissions(tree.get("permissions"), _child(loc, "permissions")),
        presets=_dict(tree.get("presets")),
        sync=_dict(tree.get("sync")),
        artifacts=_dict(tree.get("artifacts")),
        targets=tuple(_targets(loaded.tree.get("targets"), _child(loaded.loc, "targets"))),
        selected_target=target,
        resources=resources,
        var_refs=tuple(refs),
        top_level_keys=tuple(str(k) for k in loaded.tree),
        files=tuple(loaded.files),
    )


# ---------------------------------------------------------------- small accessors


def _child(loc: LocNode | None, *keys: Any) -> LocNode:
    node = loc
    for key in keys:
        nxt = node.child(key) if node else None
        if nxt is None:
            return node if node is not None else LocNode(Location("?", 1))
        node = nxt
    assert node is not None
    return node


def _get(tree: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(tree, dict):
            return None
        tree = tree.get(key)
    return tree


def _str(value: Any) -> str | None:
    return None if value is None else str(value)


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _dict(value: Any) -> dict[str, Any]:
    return dict(value) if isinstance(value, dict) else {}


# ---------------------------------------------------------------- top level


def _variables(tree: dict[str, Any], loc: LocNode, target: str | None) -> list[Variable]:
    raw = tree.get("variables")
    if not isinstance(raw, dict):
        return []
    overrides = _get(tree, "targets", target, "variables") if target else None
    overrides = overrides if isinstance(overrides, dict) else {}
    out = []
    for name, spec in raw.items():
        vloc = _child(loc, "variables", name).at
        if not isinstance(spec, dict):
            spec = {"default": spec}
        override = overrides.get(name)
        if isinstance(override, dict) and "default" in override and spec.get("type") != "complex":
            override = override["default"]
        value = override if name in overrides else spec.get("default")
        lookup = spec.get("lookup") if isinstance(spec.get("lookup"), dict) else None
        out.append(
            Variable(
                name=str(name), location=vloc, default=spec.get("default"),
                description=_str(spec.get("description")), lookup=lookup,
                type=_str(spec.get("type")), value=value,
            )
        )
    return out


def _workspace(raw: Any, loc: LocNode) -> Workspace | None:
    if not isinstance(raw, dict):
        return None
    return Workspace(loc.at, _str(raw.get("host")), _str(raw.get("root_path")), _str(raw.get("profile")))


def _run_as(raw: Any, loc: LocNode) -> RunAs | None:
    if not isinstance(raw, dict):
        return None
    for key, kind in PRINCIPAL_KEYS:
        if raw.get(key):
            return RunAs(kind, str(raw[key]), _child(loc, key).at)
    return None


def _permissions(raw: Any, loc: LocNode) -> tuple[Permission, ...]:
    if not isinstance(raw, list):
        return ()
    out = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict):
            continue
        kind, principal = next(
            ((kind, str(item[key])) for key, kind in PRINCIPAL_KEYS if item.get(key)), ("unknown", "")
        )
        out.append(Permission(str(item.get("level")), kind, principal, _child(loc, i).at))
    return tuple(out)


def _targets(raw: Any, loc: LocNode) -> list[Target]:
    if not isinstance(raw, dict):
        return []
    out = []
    for name, spec in raw.items():
        tloc = _child(loc, name)
        spec = spec if isinstance(spec, dict) else {}
        res = spec.get("resources")
        overrides = sorted(
            f"{rtype}.{key}"
            for rtype, items in (res.items() if isinstance(res, dict) else [])
            if isinstance(items, dict)
            for key in items
        )
        variables = spec.get("variables")
        out.append(
            Target(
                name=str(name), location=tloc.at, mode=_str(spec.get("mode")),
                default=spec.get("default") is True,
                workspace=_workspace(spec.get("workspace"), _child(tloc, "workspace")),
                run_as=_run_as(spec.get("run_as"), _child(tloc, "run_as")),
                permissions=_permissions(spec.get("permissions"), _child(tloc, "permissions")),
                presets=_dict(spec.get("presets")),
                variables=dict(variables) if isinstance(variables, dict) else {},
                resource_overrides=tuple(overrides),
            )
        )
    return out


# ---------------------------------------------------------------- resources


def _resources(raw: Any, loc: LocNode, root: str) -> Resources:
    if not isinstance(raw, dict):
        return Resources()
    parts: dict[str, list[Any]] = {k: [] for k in (
        "jobs", "experiments", "registered_models", "models", "model_serving_endpoints", "apps",
        "secret_scopes", "quality_monitors", "other")}
    for rtype, items in raw.items():
        if not isinstance(items, dict):
            continue
        for key, spec in items.items():
            rloc = _child(loc, rtype, key)
            spec = spec if isinstance(spec, dict) else {}
            builder = _BUILDERS.get(rtype)
            if builder is not None:
                parts[rtype].append(builder(str(key), spec, rloc, root))
            else:
                bucket = rtype if rtype in parts else "other"
                name = spec.get("name") or spec.get("title") or spec.get("table_name")
                parts[bucket].append(OtherResource(str(rtype), str(key), rloc.at, _str(name)))
    return Resources(**{k: tuple(v) for k, v in parts.items()})


def _job(key: str, spec: dict[str, Any], loc: LocNode, root: str) -> Job:
    tasks_raw = spec.get("tasks") if isinstance(spec.get("tasks"), list) else []
    tasks = tuple(
        _task(t, _child(loc, "tasks", i), root) for i, t in enumerate(tasks_raw) if isinstance(t, dict)
    )
    params_raw = spec.get("parameters") if isinstance(spec.get("parameters"), list) else []
    params = tuple(
        JobParameter(str(p.get("name")), p.get("default"), _child(loc, "parameters", i).at)
        for i, p in enumerate(params_raw) if isinstance(p, dict)
    )
    health = _get(spec, "health", "rules")
    queue = spec.get("queue")
    return Job(
        key=key, location=loc.at, name=_str(spec.get("name")), tasks=tasks, parameters=params,
        max_concurrent_runs=_int(spec.get("max_concurrent_runs")),
        timeout_seconds=_int(spec.get("timeout_seconds")),
        queue_enabled=queue.get("enabled") if isinstance(queue, dict) else None,
        schedule=spec.get("schedule") if isinstance(spec.get("schedule"), dict) else None,
        trigger=spec.get("trigger") if isinstance(spec.get("trigger"), dict) else None,
        email_notifications=_dict(spec.get("email_notifications")) or None,
        webhook_notifications=_dict(spec.get("webhook_notifications")) or None,
        health_rules=tuple(r for r in health if isinstance(r, dict)) if isinstance(health, list) else (),
        run_as=_run_as(spec.get("run_as"), _child(loc, "run_as")),
        permissions=_permissions(spec.get("permissions"), _child(loc, "permissions")),
        job_clusters=_keys(spec.get("job_clusters"), "job_cluster_key"),
        environments=_keys(spec.get("environments"), "environment_key"),
        tags=_dict(spec.get("tags")),
    )


def _keys(raw: Any, key: str) -> tuple[str, ...]:
    if not isinstance(raw, list):
        return ()
    return tuple(str(i.get(key)) for i in raw if isinstance(i, dict) and i.get(key) is not None)


def _task(spec: dict[str, Any], loc: LocNode, root: str) -> Task:
    ttype = next((k[: -len("_task")] for k in spec if isinstance(k, str) and k.endswith("_task")), "unknown")
    body = spec.get(f"{ttype}_task") if ttype != "unknown" else None
    body = body if isinstance(body, dict) else {}
    target, params = _task_target(ttype, body)
    resolved = None
    if ttype in ("notebook", "spark_python") and isinstance(target, str):
        resolved = _resolve_path(root, loc.at.path, target, ttype == "notebook")
    deps = spec.get("depends_on") if isinstance(spec.get("depends_on"), list) else []
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
        parameters=params, max_retries=_int(spec.get("max_retries")),
        timeout_seconds=_int(spec.get("timeout_seconds")), compute=compute,
        run_if=_str(spec.get("run_if")),
    )


def _task_target(ttype: str, body: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
    if ttype == "notebook":
        return _str(body.get("notebook_path")), _dict(body.get("base_parameters"))
    if ttype == "spark_python":
        params = body.get("parameters")
        return _str(body.get("python_file")), {"args": list(params)} if isinstance(params, list) else {}
    if ttype == "python_wheel":
        named = _dict(body.get("named_parameters"))
        return f"{body.get('package_name')}:{body.get('entry_point')}", named
    if ttype == "run_job":
        return _str(body.get("job_id")), _dict(body.get("job_parameters"))
    if ttype == "condition":
        return f"{body.get('left')} {body.get('op')} {body.get('right')}", {}
    if ttype == "pipeline":
        return _str(body.get("pipeline_id")), {}
    if ttype == "sql":
        for key in ("file", "query", "alert", "dashboard"):
            if isinstance(body.get(key), dict):
                inner = body[key]
                return _str(inner.get("path") or next(iter(inner.values()), None)), {}
        return None, {}
    if ttype == "for_each":
        inner = body.get("task") if isinstance(body.get("task"), dict) else {}
        kind = next((k for k in inner if isinstance(k, str) and k.endswith("_task")), None)
        return f"for_each({body.get('inputs')}) -> {kind}", {}
    return None, {}


def _resolve_path(root: str, declared_in: str, path: str, notebook: bool) -> str | None:
    if "${" in path or path.startswith("/"):
        return None
    base = os.path.dirname(declared_in)
    rel = os.path.normpath(os.path.join(base, path)).replace(os.sep, "/")
    if rel.startswith("../"):
        return None
    for suffix in NOTEBOOK_SUFFIXES if notebook else ("",):
        if os.path.isfile(os.path.join(root, rel + suffix)):
            return rel + suffix
    return None


def _experiment(key: str, spec: dict[str, Any], loc: LocNode, root: str) -> Experiment:
    return Experiment(key, loc.at, _str(spec.get("name")),
                      _permissions(spec.get("permissions"), _child(loc, "permissions")))


def _registered_model(key: str, spec: dict[str, Any], loc: LocNode, root: str) -> RegisteredModel:
    grants_raw = spec.get("grants") if isinstance(spec.get("grants"), list) else []
    grants = tuple(
        Grant(str(g.get("principal")), tuple(str(p) for p in (g.get("privileges") or [])),
              _child(loc, "grants", i).at)
        for i, g in enumerate(grants_raw) if isinstance(g, dict)
    )
    aliases = _keys(spec.get("aliases"), "alias_name")
    return RegisteredModel(key, loc.at, _str(spec.get("catalog_name")), _str(spec.get("schema_name")),
                           _str(spec.get("name")), grants, aliases)


def _serving_endpoint(key: str, spec: dict[str, Any], loc: LocNode, root: str) -> ServingEndpoint:
    config = _dict(spec.get("config"))
    entities_raw = config.get("served_entities") or config.get("served_models") or []
    field = "served_entities" if config.get("served_entities") else "served_models"
    entities = tuple(
        ServedEntity(
            _str(e.get("name")), _str(e.get("entity_name") or e.get("model_name")),
            e.get("entity_version", e.get("model_version")), _child(loc, "config", field, i).at,
            _str(e.get("workload_size")), e.get("scale_to_zero_enabled"), _dict(e.get("environment_vars")),
        )
        for i, e in enumerate(entities_raw if isinstance(entities_raw, list) else [])
        if isinstance(e, dict)
    )
    routes = _get(config, "traffic_config", "routes")
    gateway = _dict(spec.get("ai_gateway")) or None
    inference = bool(_get(gateway, "inference_table_config", "enabled")) or bool(
        _get(config, "auto_capture_config", "enabled"))
    return ServingEndpoint(
        key, loc.at, _str(spec.get("name")), entities,
        tuple(r for r in routes if isinstance(r, dict)) if isinstance(routes, list) else (),
        inference, gateway, _permissions(spec.get("permissions"), _child(loc, "permissions")),
    )


def _app(key: str, spec: dict[str, Any], loc: LocNode, root: str) -> App:
    res = spec.get("resources") if isinstance(spec.get("resources"), list) else []
    names = tuple(
        f"{next((k for k in r if k not in ('name', 'description')), '?')}:{r.get('name')}"
        for r in res if isinstance(r, dict)
    )
    return App(key, loc.at, _str(spec.get("name")), _str(spec.get("source_code_path")), names,
               _permissions(spec.get("permissions"), _child(loc, "permissions")))


_BUILDERS = {
    "jobs": _job,
    "experiments": _experiment,
    "registered_models": _registered_model,
    "model_serving_endpoints": _serving_endpoint,
    "apps": _app,
}


# ---------------------------------------------------------------- variable references


def _var_refs(
    tree: Any, loc: LocNode, name: str | None, target: str | None, variables: list[Variable],
) -> list[VarRef]:
    static = {v.name: v.value for v in variables if v.lookup is None}
    out: list[VarRef] = []

    def visit(value: Any, node: LocNode) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                if k == "targets":
                    continue
                visit(v, node.child(k) or node)
        elif isinstance(value, list):
            for i, v in enumerate(value):
                visit(v, node.child(i) or node)
        elif isinstance(value, str) and "${" in value:
            for match in REF_RE.finditer(value):
                expr = match.group(1).strip()
                resolved, ok = _resolve(expr, static, name, target, tree.get("resources"))
                out.append(VarRef(expr, node.at, resolved if ok else None, ok))

    visit(tree, loc)
    out.sort(key=lambda r: (r.location, r.expression))
    return out


def _resolve(
    expr: str, static: dict[str, Any], name: str | None, target: str | None, resources: Any
) -> tuple[Any, bool]:
    parts = expr.split(".")
    if parts[0] == "resources" and len(parts) == 4 and parts[3] != "id":
        value = _get(resources, parts[1], parts[2], parts[3])
        if isinstance(value, (str, int, float)) and "${" not in str(value):
            return value, True
        return None, False
    if parts[0] == "var" and len(parts) >= 2:
        base = parts[1].split("[")[0]
        if base not in static:
            return None, False
        value = static[base]
        for field in parts[2:]:
            if not isinstance(value, dict) or field not in value:
                return None, False
            value = value[field]
        if value is None or (isinstance(value, str) and "${" in value):
            return None, False
        return value, True
    if expr == "bundle.name" and name:
        return name, True
    if expr == "bundle.target" and target:
        return target, True
    return None, False
