"""Bundle facts: targets, variables, resources and variable references, each with its location."""

from __future__ import annotations

import re
from typing import Any

from dabprp.facts import (
    Bundle,
    Target,
    Variable,
    VarRef,
)
from dabprp.parse.bundle_load import LoadedBundle, effective_tree
from dabprp.parse.bundle_names import deployed_names
from dabprp.parse.bundle_resources import resources as build_resources
from dabprp.parse.bundle_values import as_dict, as_str, child, get, permissions, run_as, workspace
from dabprp.parse.yaml_source import LocNode

REF_RE = re.compile(r"\$\{([^${}]+)\}")  # `$` excluded: linear on text full of `${`


def build_bundle(loaded: LoadedBundle, root: str, target: str | None, with_refs: bool = True) -> Bundle:
    """Facts of the bundle; resources are those of `target`'s effective configuration. `with_refs=False`
    leaves out the `${...}` references (`var_refs`: facts for `analyze`, not read by any check)."""
    tree, loc = effective_tree(loaded, target)
    variables = _variables(loaded.tree, loaded.loc, target)
    name = as_str(get(tree, "bundle", "name"))
    resources = build_resources(tree.get("resources"), child(loc, "resources"), root)
    refs = _var_refs(tree, loc, name, target, variables) if with_refs else []
    return Bundle(
        root_file=loaded.root_file,
        location=loc.at,
        name=name,
        includes=tuple(loaded.includes),
        variables=tuple(variables),
        workspace=workspace(tree.get("workspace"), child(loc, "workspace")),
        run_as=run_as(tree.get("run_as"), child(loc, "run_as")),
        permissions=permissions(tree.get("permissions"), child(loc, "permissions")),
        presets=as_dict(tree.get("presets")),
        sync=as_dict(tree.get("sync")),
        artifacts=as_dict(tree.get("artifacts")),
        targets=tuple(_targets(loaded.tree.get("targets"), child(loaded.loc, "targets"))),
        selected_target=target,
        resources=resources,
        var_refs=tuple(refs),
        top_level_keys=tuple(str(k) for k in loaded.tree),
        files=tuple(loaded.files),
        hardcoded_secrets=tuple(sorted(loaded.secrets, key=lambda s: s.location)),
        deployed_names=tuple(deployed_names(loaded)),
        name_location=child(loc, "bundle", "name").at if name is not None else None,
    )


# ---------------------------------------------------------------- small accessors


# ---------------------------------------------------------------- top level


def _variables(tree: dict[str, Any], loc: LocNode, target: str | None) -> list[Variable]:
    raw = tree.get("variables")
    if not isinstance(raw, dict):
        return []
    overrides = get(tree, "targets", target, "variables") if target else None
    overrides = overrides if isinstance(overrides, dict) else {}
    out = []
    for name, spec in raw.items():
        vloc = child(loc, "variables", name).at
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
                description=as_str(spec.get("description")), lookup=lookup,
                type=as_str(spec.get("type")), value=value,
            )
        )
    return out


def _targets(raw: Any, loc: LocNode) -> list[Target]:
    if not isinstance(raw, dict):
        return []
    out = []
    for name, spec in raw.items():
        tloc = child(loc, name)
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
                name=str(name), location=tloc.at, mode=as_str(spec.get("mode")),
                default=spec.get("default") is True,
                workspace=workspace(spec.get("workspace"), child(tloc, "workspace")),
                run_as=run_as(spec.get("run_as"), child(tloc, "run_as")),
                permissions=permissions(spec.get("permissions"), child(tloc, "permissions")),
                presets=as_dict(spec.get("presets")),
                variables=dict(variables) if isinstance(variables, dict) else {},
                resource_overrides=tuple(overrides),
            )
        )
    return out


# ---------------------------------------------------------------- resources


# ---------------------------------------------------------------- variable references


def _var_refs(
    tree: Any, loc: LocNode, name: str | None, target: str | None, variables: list[Variable],
) -> list[VarRef]:
    static = {v.name: v.value for v in variables if v.lookup is None}
    out: list[VarRef] = []
    # an explicit stack, not a recursive closure (whose reference cycle would keep the facts for the collector)
    stack: list[tuple[Any, LocNode]] = [(tree, loc)]
    while stack:
        value, node = stack.pop()
        if isinstance(value, dict):
            stack.extend((v, node.child(k) or node) for k, v in value.items() if k != "targets")
        elif isinstance(value, list):
            stack.extend((v, node.child(i) or node) for i, v in enumerate(value))
        elif isinstance(value, str) and "${" in value:
            for match in REF_RE.finditer(value):
                expr = match.group(1).strip()
                resolved, ok = _resolve(expr, static, name, target, tree.get("resources"))
                out.append(VarRef(expr, node.at, resolved if ok else None, ok))
    out.sort(key=lambda r: (r.location, r.expression))
    return out


def _resolve(
    expr: str, static: dict[str, Any], name: str | None, target: str | None, resources: Any
) -> tuple[Any, bool]:
    parts = expr.split(".")
    if parts[0] == "resources" and len(parts) == 4 and parts[3] != "id":
        value = get(resources, parts[1], parts[2], parts[3])
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
