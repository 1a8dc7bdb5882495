"""The name each workspace-unique resource deploys under in each target, resolved as the Databricks CLI does
(variables, target overrides, `${bundle.*}`, `${workspace.*}`, name prefixes), and the workspace it goes to."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from typing import Any

from dabprp.facts import DeployedName
from dabprp.knowledge import CASE_INSENSITIVE_NAMES, WORKSPACE_UNIQUE_NAMES
from dabprp.parse.bundle_load import LoadedBundle, effective_tree
from dabprp.parse.bundle_resolve import Deployer, TargetConfig, Unresolved, load_target, resolve_deploy
from dabprp.parse.bundle_values import as_dict

UNKNOWN = "\x00"
"""Stands for what only the deploy knows (the deploying identity, a lookup's ID): a name holding it is unknown."""
UNKNOWN_DEPLOYER = Deployer(UNKNOWN, UNKNOWN, UNKNOWN)


def deployed_names(loaded: LoadedBundle) -> Iterator[DeployedName]:
    """Every workspace-unique resource of every target (the implicit `default` when the bundle has none)."""
    names: list[str | None] = [str(t) for t in as_dict(loaded.tree.get("targets"))]
    for target in names or [None]:
        yield from _target_names(loaded, target)


def _target_names(loaded: LoadedBundle, target: str | None) -> Iterator[DeployedName]:
    tree, loc = effective_tree(loaded, target)
    resources = as_dict(tree.get("resources"))
    if not any(isinstance(resources.get(kind), dict) and resources[kind] for kind in WORKSPACE_UNIQUE_NAMES):
        return
    config = _config(loaded, target)
    own = as_dict(as_dict(as_dict(loaded.tree.get("targets")).get(target)).get("resources")) if target else {}
    workspace = workspace_of(as_dict(tree.get("workspace")))
    prefix = _prefix(tree, config)
    for kind, (fields, style) in WORKSPACE_UNIQUE_NAMES.items():
        for key, spec in as_dict(resources.get(kind)).items():
            if not isinstance(spec, dict):
                continue
            set_here = [f for f in fields if f in as_dict(as_dict(own.get(kind)).get(key))]
            where = loc.locate(("resources", kind, key, (set_here or fields)[-1]))
            name = _name(kind, spec, fields, style, prefix, config)
            yield DeployedName(target or "default", kind, str(key), name, workspace, where, bool(set_here))


def _config(loaded: LoadedBundle, target: str | None) -> TargetConfig | None:
    if target is None:  # a bundle without targets deploys as `default`, with the top-level configuration
        tree = dict(loaded.tree, targets={"default": {}})
        loaded = LoadedBundle(loaded.root_file, tree, loaded.loc)
    try:
        return load_target(loaded, target or "default", UNKNOWN_DEPLOYER)
    except (Unresolved, AttributeError, TypeError):  # a root_path the CLI could not resolve either
        return None


def _prefix(tree: dict[str, Any], config: TargetConfig | None) -> str | None:
    """`presets.name_prefix` as resolved (development mode: `[dev <short_name>] ` unless set); None: unknown."""
    raw = as_dict(tree.get("presets")).get("name_prefix")
    if raw is None:
        return f"[dev {UNKNOWN}] " if config is not None and config.mode == "development" else ""
    value = _resolved(raw, config)
    return value if isinstance(value, str) else None


def _name(kind: str, spec: dict[str, Any], fields: tuple[str, ...], style: str, prefix: str | None,
          config: TargetConfig | None) -> str | None:
    parts = [_resolved(spec.get(f), config) for f in fields]
    if prefix is None or not all(isinstance(p, str) and p and UNKNOWN not in p for p in parts):
        return None
    *scope, last = [str(p) for p in parts]
    if prefix and style != "none":
        if style == "unknown" or UNKNOWN in prefix:
            return None
        last = _prefixed(last, prefix, style)
    return ".".join([*scope, last])


def same_name_key(kind: str, name: str) -> str:
    """What two names of `kind` must share to name one object: `/Workspace/Users/x` and `/Users/x/` are one
    experiment; Unity Catalog names ignore case."""
    if kind == "experiments":
        name = name.rstrip("/").removeprefix("/Workspace")
    return name.lower() if kind in CASE_INSENSITIVE_NAMES else name


def _prefixed(name: str, prefix: str, style: str) -> str:
    if style == "last_part":
        folder, base = posixpath.split(name)
        return f"{folder}/{prefix}{base}" if folder else prefix + base
    if style == "normalized":  # the CLI's normalizePrefix: `[dev jane] ` -> `dev_jane_`
        bare = prefix.replace("[", "").strip(" ")
        return re.sub(r"[^\w]+", "_", bare.replace("]", "")).lower() + ("_" if bare.endswith("]") else "") + name
    return prefix + name if style == "plain" else name


def _resolved(value: Any, config: TargetConfig | None) -> Any:
    if config is None or not isinstance(value, str):
        return value if isinstance(value, str) and "${" not in value else None
    try:
        return resolve_deploy(value, config, config.raw)
    except (Unresolved, KeyError, TypeError, IndexError):
        return None


def workspace_of(workspace: dict[str, Any]) -> str | None:
    """The workspace a target deploys to: its host (lower case, without scheme and trailing slash), else its
    profile; None when neither is set (the CLI's environment decides)."""
    host, profile = workspace.get("host"), workspace.get("profile")
    if isinstance(host, str) and host.strip() and "${" not in host:
        return re.sub(r"^[a-z]+://", "", host.strip().lower()).rstrip("/")
    if isinstance(profile, str) and profile.strip() and "${" not in profile:
        return f"profile {profile.strip()}"
    return None


