"""What a bundle deploys per target: resources with variables resolved, and where the deployment state lives."""

from __future__ import annotations

import re
from dataclasses import field
from typing import Any

from dabprp.diff.sources import BundleFiles
from dabprp.errors import DabprpError
from dabprp.facts import Location
from dabprp.parse.bundle_load import ROOT_FILES, LoadedBundle, effective_tree
from dabprp.parse.bundle_merge import merge
from dabprp.parse.yaml_source import LocNode, parse_yaml
from dabprp.plan.includes import expand
from dabprp.records import record

DEFAULT_ROOT_PATH = "~/.bundle/${bundle.name}/${bundle.target}"
REF = re.compile(r"\$\{([A-Za-z0-9_.\-\[\]]+)\}")


@record
class TargetState:
    """One target as deployed: its resources by (type, key), and the state location."""

    name: str
    mode: str | None
    resources: dict[tuple[str, str], Any]
    locations: dict[tuple[str, str], Location]
    state: dict[str, str | None]
    location: Location
    settings: dict[str, Any] = field(default_factory=dict)
    """Target-wide `run_as`, `permissions` and `presets`: each applies to every resource."""
    deployable: bool = True
    """False without `bundle.name`: the CLI refuses to deploy it, so it has no state that could move."""


@record
class Deployed:
    label: str
    root_file: str | None
    targets: dict[str, TargetState] = field(default_factory=dict)
    implicit: bool = False
    """The bundle has no targets: its one target is the implicit `default`."""
    default_target: str | None = None
    """The target `bundle deploy` uses without `-t` (`default: true`, or the only one)."""


def load(files: BundleFiles) -> LoadedBundle | None:
    """The bundle in `files` (root file + includes, merged), or None when there is no root file."""
    paths = files.paths()
    root_file = next((name for name in ROOT_FILES if name in paths), None)
    if root_file is None:
        return None
    doc = parse_yaml(files.read(root_file) or "", root_file)
    tree = doc.value if doc.value is not None else {}
    if not isinstance(tree, dict):
        raise DabprpError(root_file, 1, "bundle root must be a mapping")
    loaded = LoadedBundle(root_file, tree, doc.loc, files=[root_file])
    patterns = [p for p in tree.get("include") or [] if isinstance(p, str)]
    for _, matched in expand(patterns, [p for p in paths if p != root_file]):
        for rel in matched:
            text = files.read(rel)
            if text is None:
                continue
            part = parse_yaml(text, rel)
            if isinstance(part.value, dict):
                loaded.files.append(rel)
                loaded.tree, loaded.loc = merge(loaded.tree, loaded.loc, part.value, part.loc)
    return loaded


def deployed(files: BundleFiles) -> Deployed:
    loaded = load(files)
    if loaded is None:
        return Deployed(files.label, None)
    targets = _mapping(loaded.tree.get("targets"))
    names = [str(t) for t in targets] or ["default"]
    out = {}
    for name in names:
        tree, loc = effective_tree(loaded, name if name in targets else None)
        out[name] = _target_state(loaded, name, tree, loc)
    chosen = [n for n in names if _mapping(targets.get(n)).get("default") is True]
    default = chosen[0] if chosen else names[0] if len(names) == 1 else None
    return Deployed(files.label, loaded.root_file, out, implicit=not targets, default_target=default)


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _target_state(loaded: LoadedBundle, name: str, tree: dict[str, Any], loc: LocNode) -> TargetState:
    targets = _mapping(loaded.tree.get("targets"))
    spec = _mapping(targets.get(name))
    bundle = _mapping(tree.get("bundle"))
    context = {"bundle.name": bundle.get("name"), "bundle.target": name}
    context.update({f"var.{k}": v for k, v in _variables(loaded.tree, spec).items()})
    workspace = _mapping(tree.get("workspace"))
    root_path = resolve(workspace.get("root_path") or DEFAULT_ROOT_PATH, context)
    context["workspace.root_path"] = root_path
    resources: dict[tuple[str, str], Any] = {}
    locations: dict[tuple[str, str], Location] = {}
    for rtype, items in _mapping(tree.get("resources")).items():
        for key, body in _mapping(items).items():
            resources[(str(rtype), str(key))] = resolve(body, context)
            locations[(str(rtype), str(key))] = loc.locate(("resources", rtype, key))
    # state_path defaults to <root_path>/state; kept None when implicit, so a root move is reported once
    state = {"host": resolve(workspace.get("host"), context), "root_path": root_path,
             "state_path": resolve(workspace.get("state_path"), context)}
    settings = {k: resolve(tree.get(k), context) for k in ("run_as", "permissions", "presets")}
    where = loaded.loc.locate(("targets", name)) if name in targets else loaded.loc.at
    return TargetState(name, spec.get("mode"), resources, locations, state, where, settings,
                       deployable=bool(bundle.get("name")))


def _variables(tree: dict[str, Any], target: dict[str, Any]) -> dict[str, Any]:
    """Each variable's value in the target: its override, else its default; a lookup stands for itself."""
    declared = _mapping(tree.get("variables"))
    overrides = _mapping(target.get("variables"))
    out = {}
    for name, spec in declared.items():
        spec = spec if isinstance(spec, dict) else {"default": spec}
        lookup = {"lookup": spec["lookup"]} if isinstance(spec.get("lookup"), dict) else None
        value = overrides[name] if name in overrides else spec.get("default", lookup)
        if isinstance(value, dict) and spec.get("type") != "complex":
            if isinstance(value.get("lookup"), dict):
                value = "lookup " + ", ".join(f"{k} `{v}`" for k, v in sorted(value["lookup"].items()))
            elif "default" in value:
                value = value["default"]
        out[str(name)] = value
    return out


def resolve(value: Any, context: dict[str, Any]) -> Any:
    """`value` with `${var.*}`, `${bundle.name|target}` and `${workspace.root_path}` substituted; other references
    stay as written."""
    if isinstance(value, dict):
        return {k: resolve(v, context) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v, context) for v in value]
    if not isinstance(value, str) or "${" not in value:
        return value
    whole = REF.fullmatch(value)
    if whole and whole.group(1) in context and not isinstance(context[whole.group(1)], str):
        return context[whole.group(1)]
    for _ in range(5):  # a variable's value may reference another one
        new = REF.sub(lambda m: str(context[m.group(1)]) if m.group(1) in context and context[m.group(1)]
                      is not None else m.group(0), value)
        if new == value:
            break
        value = new
    return value
