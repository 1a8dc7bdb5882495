"""Names of workspace-unique resources per environment: targets the plan adds get their own name where the
project's name would collide with another target on the same workspace; existing targets keep theirs."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from typing import Any

from dabprp.digest import sha256
from dabprp.facts import DeployedName, Location, Project
from dabprp.knowledge import APP_NAME_MAX, app_name_problem
from dabprp.parse.bundle_load import LoadedBundle
from dabprp.parse.bundle_names import deployed_names, same_name_key
from dabprp.parse.yaml_source import LocNode
from dabprp.plan.model import Environment, ResourceNames, TargetName
from dabprp.records import record

# How a target the plan adds names a resource of its own: (field, value from the name the target would deploy).
# An experiment goes under the target's root path: a folder that exists when the deploy creates the experiment
# (MLflow creates no parent folder) and that the deploying principal owns; the others get the target's name.
# An app's name has few characters and a short limit: where `<name>-<target>` is no valid app name, the target's
# name is written out, fitted (`fit_app_name`).
OWN_NAME: dict[str, tuple[str, Callable[[str, str], str]]] = {
    "experiments": ("name", lambda resolved, _: "${workspace.root_path}/" + posixpath.basename(resolved)),
    "apps": ("name", lambda resolved, target: resolved + "-${bundle.target}"
             if app_name_problem(f"{resolved}-{target}") is None else fit_app_name(resolved, target)),
    "model_serving_endpoints": ("name", lambda resolved, _: resolved + "-${bundle.target}"),
    "secret_scopes": ("name", lambda resolved, _: resolved + "-${bundle.target}"),
    "models": ("name", lambda resolved, _: resolved + "-${bundle.target}"),
    "registered_models": ("name", lambda resolved, _: resolved.rsplit(".", 1)[-1] + "_${bundle.target}"),
}
TARGET_HASH = 6
"""Hex digits of a target name's hash that stand for the part of it cut from an app name."""


def app_name_part(text: str) -> str:
    """`text` in app-name characters: lower case, every run of other characters one hyphen, none at the ends."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def fit_app_name(base: str, target: str) -> str:
    """`<base>-<target>` as a valid app name (`app_name_problem` is None), the same for the same input: the target
    part is kept whole and the base cut to fit, unless the target part alone takes more than half of the limit;
    then it is cut too and ends in a hash of the whole target name, so targets cut alike stay apart."""
    suffix = app_name_part(target)
    half = APP_NAME_MAX // 2
    if len(suffix) > half:
        digest = sha256(target.encode()).hexdigest()[:TARGET_HASH]
        suffix = f"{suffix[:half - TARGET_HASH - 1].rstrip('-')}-{digest}"
    prefix = app_name_part(base)[:APP_NAME_MAX - len(suffix) - 1].rstrip("-")
    return f"{prefix}-{suffix}" if prefix else suffix


def app_name_for_targets(base: str, targets: Sequence[str]) -> str | None:
    """`<base>-${bundle.target}` when it is a valid app name in every one of `targets`, else None (a target's name
    has characters an app name cannot have, or the name would be too long somewhere)."""
    template = f"{app_name_part(base)}-${{bundle.target}}"
    if not targets or any(app_name_problem(template.replace("${bundle.target}", t)) for t in targets):
        return None
    return template


@record
class NamePlan:
    overrides: dict[str, dict[str, dict[str, dict[str, str]]]]
    """Per added target: {type: {key: {field: value}}} to write under `targets.<t>.resources`."""
    resources: tuple[ResourceNames, ...]


def name_plan(project: Project, envs: tuple[Environment, ...], env_values: dict[str, dict[str, Any]],
              variables: dict[str, dict[str, Any]]) -> NamePlan:
    """Names of the project's workspace-unique resources in every environment, with the overrides the targets
    the plan adds need. `env_values`/`variables`: the per-target values and new variables the plan writes."""
    b = project.bundle
    if b is None:
        return NamePlan({}, ())
    implicit = next((e.name for e in envs if e.implicit), None)  # the bundle's `default` target, written out
    existing = [n for n in b.deployed_names if n.target in {t.name for t in b.targets}] if b.targets else [
        replace(n, target=implicit) for n in b.deployed_names if implicit]
    specs = _top_level_specs(project, {(n.kind, n.key): n.location for n in existing if not n.overridden})
    if not specs:
        return NamePlan({}, ())
    added = [e for e in envs if not e.exists]
    before = {e.name: _names(project, e, env_values, variables, specs, {}) for e in added}
    overrides: dict[str, dict[str, dict[str, dict[str, str]]]] = {}
    for env in added:
        others = existing + [n for t, found in before.items() if t != env.name for n in found]
        for n in before[env.name]:
            if n.name is not None and n.kind in OWN_NAME and _collides(n, others):
                field, own = OWN_NAME[n.kind]
                overrides.setdefault(env.name, {}).setdefault(n.kind, {})[n.key] = {field: own(n.name, env.name)}
            elif n.name is not None and n.kind == "apps" and app_name_problem(n.name):
                # no valid app name in this target (`x-${bundle.target}` with its name): a fitted one of its own
                fitted = fit_app_name(n.name.removesuffix(env.name), env.name)
                overrides.setdefault(env.name, {}).setdefault(n.kind, {})[n.key] = {"name": fitted}
    after = {e.name: _names(project, e, env_values, variables, specs, overrides.get(e.name, {})) for e in added}
    order = [e.name for e in envs]
    return NamePlan(overrides, _resources(existing, after, overrides, specs,
                                          lambda t: (order.index(t) if t in order else len(order), t)))


def _collides(name: DeployedName, others: Iterable[DeployedName]) -> bool:
    """Another target deploys the same name to the same workspace (two targets without a host or profile: the
    one the CLI is configured for, taken as the same)."""
    key = same_name_key(name.kind, name.name) if name.name is not None else None
    return key is not None and any(o.target != name.target and o.kind == name.kind and o.name is not None
                                   and same_name_key(o.kind, o.name) == key and o.workspace == name.workspace
                                   for o in others)


def _top_level_specs(project: Project, written_at: dict[tuple[str, str], Location]
                     ) -> dict[str, dict[str, tuple[dict[str, Any], Location]]]:
    """The name fields of the project's workspace-unique resources as written at the top level, with where the
    name is written (`written_at`, else the resource)."""
    b = project.bundle
    if b is None:
        return {}
    r = b.resources
    out: dict[str, dict[str, tuple[dict[str, Any], Location]]] = {}
    for kind, items in (("experiments", r.experiments), ("apps", r.apps),
                        ("model_serving_endpoints", r.model_serving_endpoints), ("secret_scopes", r.secret_scopes),
                        ("models", r.models)):
        for item in items:
            if item.name is not None:
                out.setdefault(kind, {})[item.key] = ({"name": item.name},
                                                      written_at.get((kind, item.key), item.location))
    for m in r.registered_models:
        out.setdefault("registered_models", {})[m.key] = (
            {"catalog_name": m.catalog, "schema_name": m.schema, "name": m.name},
            written_at.get(("registered_models", m.key), m.location))
    return out


def _names(project: Project, env: Environment, env_values: dict[str, dict[str, Any]],
           variables: dict[str, dict[str, Any]], specs: dict[str, dict[str, tuple[dict[str, Any], Location]]],
           own: dict[str, dict[str, dict[str, str]]]) -> list[DeployedName]:
    """The names `env` (a target the plan adds) deploys, resolved as the CLI will once the plan is written."""
    b = project.bundle
    assert b is not None
    declared = {v.name: ({"lookup": v.lookup} if v.lookup else {"default": v.default}) for v in b.variables}
    ws = b.workspace
    workspace = {k: v for k, v in (("host", ws.host if ws else None), ("profile", ws.profile if ws else None),
                                   ("root_path", env.root_path)) if v}
    target: dict[str, Any] = {"mode": env.mode, "variables": dict(env_values.get(env.name, {}))}
    if own:
        target["resources"] = own
    tree = {"bundle": {"name": b.name}, "variables": {**variables, **declared}, "workspace": workspace,
            "presets": dict(b.presets), "targets": {env.name: target},
            "resources": {kind: {key: dict(spec) for key, (spec, _) in items.items()} for kind, items in specs.items()}}
    found = deployed_names(LoadedBundle(b.root_file, tree, located_at(tree, b.location)))
    return [DeployedName(n.target, n.kind, n.key, n.name, n.workspace, specs[n.kind][n.key][1],
                         n.key in own.get(n.kind, {})) for n in found]


def located_at(value: Any, at: Location) -> LocNode:
    """Locations for a tree the plan builds (one place for all): target overrides merge onto it as onto a file."""
    if isinstance(value, dict):
        return LocNode(at, {k: located_at(v, at) for k, v in value.items()})
    if isinstance(value, list):
        return LocNode(at, [located_at(v, at) for v in value])
    return LocNode(at)


def _resources(existing: list[DeployedName], added: dict[str, list[DeployedName]],
               overrides: dict[str, dict[str, dict[str, dict[str, str]]]],
               specs: dict[str, dict[str, tuple[dict[str, Any], Location]]],
               order: Callable[[str], tuple[int, str]]) -> tuple[ResourceNames, ...]:
    out = []
    for kind, items in specs.items():
        for key, (_, location) in sorted(items.items()):
            mine = [n for n in existing if (n.kind, n.key) == (kind, key)]
            new = [n for found in added.values() for n in found if (n.kind, n.key) == (kind, key)]
            names = tuple(TargetName(n.target, n.name, n.location if not n.overridden or n in mine else None,
                                     n in new and n.overridden)
                          for n in sorted([*mine, *new], key=lambda n: order(n.target)))
            shared = tuple(sorted({n.target for n in mine if n.name is not None and _collides(n, mine)}))
            written = next((f"{field}: {value}" for t in sorted(overrides) for field, value in
                            overrides[t].get(kind, {}).get(key, {}).items()), "")
            out.append(ResourceNames(kind, key, location, names, shared, bool(written), written))
    return tuple(out)
