"""Deploy-time `${...}` references of one target resolved as the Databricks CLI does: variables (target value,
default, lookup), `${bundle.*}`, `${workspace.*}` and `${resources.*}` (the last only at deploy: `bundle summary`
leaves them as written)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from dabprp.parse.bundle_load import LoadedBundle, effective_tree
from dabprp.records import record

DEPLOY_REF_RE = re.compile(r"\$\{([A-Za-z0-9_.\-\[\]]+)\}")
# dev mode prefixes these resources' names with `dev_<short_name>_` (reference 2.11)
DEV_PREFIXED = ("registered_models", "model_serving_endpoints")


class Unresolved(ValueError):
    """A reference the CLI could not resolve for this target (deploy would fail)."""


@record
class Deployer:
    """What only the deploy knows: the deploying identity (`${workspace.current_user.*}`) and what a variable's
    `lookup` resolves to (`lookup_prefix` + the variable's name stands for the ID the workspace returns)."""

    user_name: str
    short_name: str
    lookup_prefix: str


@dataclass
class TargetConfig:
    """One target's configuration with every deploy-time reference resolved."""

    target: str
    mode: str
    variables: dict[str, Any]
    raw: dict[str, dict[str, Any]]
    bundle_name: str
    root_path: str
    deployer: Deployer
    ids: dict[str, str] = field(default_factory=dict)

    def keys(self, kind: str) -> list[str]:
        return sorted(self.raw.get(kind) or {})

    def resource(self, kind: str, key: str, summary: bool = False) -> dict[str, Any]:
        """One resource with its deploy-time references resolved (raises Unresolved); `summary`: as `bundle
        summary` prints it, with references to other resources (`${resources.*}`) left as written."""
        spec = resolve_deploy((self.raw.get(kind) or {}).get(key) or {}, self, self.raw, summary=summary)
        if self.mode == "development" and kind in DEV_PREFIXED and isinstance(spec.get("name"), str):
            spec["name"] = f"dev_{self.deployer.short_name}_{spec['name']}"
        return spec


def load_target(loaded: LoadedBundle, target: str, deployer: Deployer) -> TargetConfig:
    """`target` as the CLI resolves it when `deployer` deploys it (an unset `mode` is no mode: no prefixes)."""
    tree, _ = effective_tree(loaded, target)
    targets = loaded.tree.get("targets") or {}
    tconf = targets.get(target) or {}
    mode = str(tconf.get("mode") or "")
    name = str((tree.get("bundle") or {}).get("name") or "bundle")
    variables: dict[str, Any] = {}
    for vname, spec in (tree.get("variables") or {}).items():
        spec = spec if isinstance(spec, dict) else {"default": spec}
        if "lookup" in spec:
            variables[vname] = f"{deployer.lookup_prefix}{vname}"  # a lookup resolves to an ID in the workspace
        elif "default" in spec:
            variables[vname] = spec["default"]
    for vname, value in (tconf.get("variables") or {}).items():
        if isinstance(value, dict) and "lookup" in value:
            variables[vname] = f"{deployer.lookup_prefix}{vname}"
        else:
            variables[vname] = value.get("default") if isinstance(value, dict) and "default" in value else value
    ws = tree.get("workspace") or {}
    root = str(ws.get("root_path") or "~/.bundle/${bundle.name}/${bundle.target}")
    if root == "~" or root.startswith("~/"):  # the CLI expands `~` to the deploying user's home
        root = f"/Workspace/Users/{deployer.user_name}{root[1:]}"
    raw = {k: v for k, v in (tree.get("resources") or {}).items() if isinstance(v, dict)}
    config = TargetConfig(target, mode, variables, raw, name, str(root), deployer)
    for i, (kind, key) in enumerate(sorted((k, r) for k, items in raw.items() for r in items)):
        config.ids[f"{kind}.{key}"] = str(1000 + i)
    config.root_path = str(resolve_deploy(config.root_path, config, raw))
    return config


def resolve_deploy(value: Any, config: TargetConfig, raw: dict[str, Any], depth: int = 0,
                   summary: bool = False) -> Any:
    """`${...}` references resolved at deploy time; run-time `{{...}}` references are left for the run.
    `summary`: only `${bundle.*}`, `${workspace.*}` and `${var.*}`, as the CLI's initialize phase (and so `bundle
    summary`) resolves them; `${resources.*}` stay as written (some are known only once deployed)."""
    if isinstance(value, dict):
        return {k: resolve_deploy(v, config, raw, depth, summary) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve_deploy(v, config, raw, depth, summary) for v in value]
    if not isinstance(value, str) or "${" not in value:
        return value
    if depth > 10:
        raise Unresolved(f"reference cycle in `{value}`")
    whole = DEPLOY_REF_RE.fullmatch(value)
    if whole:
        return _lookup(whole.group(1), config, raw, depth, summary)
    return DEPLOY_REF_RE.sub(lambda m: str(_lookup(m.group(1), config, raw, depth, summary)), value)


def _lookup(ref: str, config: TargetConfig, raw: dict[str, Any], depth: int, summary: bool = False) -> Any:
    parts = ref.split(".")
    if parts[0] == "var" and len(parts) >= 2:
        if parts[1] not in config.variables:
            raise Unresolved(f"no value for variable `{parts[1]}` in target `{config.target}`")
        value: Any = resolve_deploy(config.variables[parts[1]], config, raw, depth + 1, summary)
        for p in parts[2:]:
            value = value[p] if isinstance(value, dict) and p in value else _fail(ref)
        return value
    if parts[0] == "bundle" and parts[1:] in (["target"], ["name"]):
        return config.target if parts[1] == "target" else config.bundle_name
    if parts[0] == "workspace":
        rest = ".".join(parts[1:])
        values = {"current_user.userName": config.deployer.user_name,
                  "current_user.short_name": config.deployer.short_name,
                  "root_path": config.root_path, "file_path": f"{config.root_path}/files",
                  "artifact_path": f"{config.root_path}/artifacts", "state_path": f"{config.root_path}/state",
                  "resource_path": f"{config.root_path}/resources"}
        return values[rest] if rest in values else _fail(ref)
    if parts[0] == "resources" and summary:
        return "${%s}" % ref
    if parts[0] == "resources" and len(parts) == 4:
        kind, key, attr = parts[1:]
        spec = (raw.get(kind) or {}).get(key)
        if attr == "id" and spec is not None:
            return config.ids[f"{kind}.{key}"]
        if not isinstance(spec, dict) or attr not in spec:
            return _fail(ref)
        value = resolve_deploy(spec[attr], config, raw, depth + 1)
        if attr == "name" and config.mode == "development" and kind in DEV_PREFIXED:
            value = f"dev_{config.deployer.short_name}_{value}"
        return value
    return _fail(ref)


def _fail(ref: str) -> Any:
    raise Unresolved(f"cannot resolve `${{{ref}}}`")
