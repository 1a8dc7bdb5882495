"""What bundle rules look at: one target's effective tree with locations, built from the one bundle load."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from dabprp.confined_io import is_inside
from dabprp.errors import DabprpError
from dabprp.facts import Location
from dabprp.parse.bundle_load import LoadedBundle, effective_tree
from dabprp.parse.bundle_values import as_dict, as_list
from dabprp.parse.yaml_source import LocNode

NOTEBOOK_SUFFIXES = ("", ".py", ".ipynb", ".sql", ".scala", ".r", ".R")


@dataclass(frozen=True, slots=True)
class TargetView:
    """The effective configuration of `target` (None: the bundle without any target applied)."""

    root: str
    loaded: LoadedBundle
    target: str | None
    tree: dict[str, Any]
    loc: LocNode
    first: bool = True
    """The first view of a run: bundle-wide parts (the `targets` section) are checked on it only."""
    schema_cache: dict[int, Any] = field(default_factory=dict, compare=False)
    """Schema results per resource object, shared by the views of one run (targets share resources)."""
    memo: dict[Any, Any] = field(default_factory=dict, compare=False)
    """Answers shared by the views of one run (file lookups, the strings of the `targets` section)."""

    def node(self, *path: Any) -> LocNode | None:
        return self.loc.find(path)

    def at(self, *path: Any) -> Location:
        return self.loc.locate(path)

    def resources(self, kind: str) -> dict[str, Any]:
        return as_dict(as_dict(self.tree.get("resources")).get(kind))

    def jobs(self) -> Iterator[tuple[str, dict[str, Any]]]:
        for key, spec in self.resources("jobs").items():
            if isinstance(spec, dict):
                yield str(key), spec

    def targets(self) -> dict[str, Any]:
        return as_dict(self.loaded.tree.get("targets"))

    def target_spec(self) -> dict[str, Any]:
        """This target's own section under `targets` ({} for the bundle without a target)."""
        return as_dict(self.targets().get(self.target)) if self.target else {}

    def exists(self, declared_in: str, path: str, notebook: bool) -> bool:
        """`path`, relative to the YAML file that declares it, exists (notebooks may drop the extension).
        A path that leaves the root (by `..` or through a link) is never looked at, so validation reveals
        nothing outside the project: it counts as present."""
        key = ("exists", os.path.dirname(declared_in), path, notebook)
        if key not in self.memo:  # a thousand tasks naming one file look it up once per run
            self.memo[key] = _path_exists(self.root, key[1], path, notebook)
        return bool(self.memo[key])

    def reference_strings(self) -> Iterator[tuple[tuple[Any, ...], str]]:
        """The strings of the effective tree that contain `${`, with their paths. The `targets` section is the
        same object in every target's view, so its strings are collected once per run, not once per target."""
        for key, value in self.tree.items():
            if key != "targets":
                yield from ((p, t) for p, t in walk_strings(value, (key,)) if "${" in t)
        targets = self.tree.get("targets")
        if targets is None:
            return
        cached = self.memo.get("targets_strings")
        if cached is None or cached[0] is not targets:
            cached = (targets, [(p, t) for p, t in walk_strings(targets, ("targets",)) if "${" in t])
            self.memo["targets_strings"] = cached
        yield from cached[1]


def _path_exists(root: str, base: str, path: str, notebook: bool) -> bool:
    full = os.path.normpath(os.path.join(root, base, path))
    real_root = os.path.realpath(root)
    if not is_inside(os.path.abspath(root), os.path.abspath(full)) or not is_inside(
            real_root, os.path.realpath(os.path.dirname(full))):
        return True
    return any(os.path.lexists(full + s) and is_inside(real_root, os.path.realpath(full + s))
               for s in (NOTEBOOK_SUFFIXES if notebook else ("",)))


def tasks_of(spec: dict[str, Any]) -> list[tuple[int, dict[str, Any]]]:
    """(index, task) of a job's tasks that are mappings."""
    return [(i, t) for i, t in enumerate(as_list(spec.get("tasks"))) if isinstance(t, dict)]


def walk_strings(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], str]]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield from walk_strings(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from walk_strings(v, (*path, i))
    elif isinstance(value, str):
        yield path, value


def targets_to_check(loaded: LoadedBundle, target: str | None, all_targets: bool) -> list[str | None]:
    """Every target, the named one, the default one, the only one, or None (the bundle without a target)."""
    targets = as_dict(loaded.tree.get("targets"))
    names: list[str | None] = [str(n) for n in targets]
    if all_targets:
        return names or [None]
    if target is not None:
        if target not in names:
            raise DabprpError(loaded.root_file, loaded.loc.locate(("targets",)).line,
                              f"no target named `{target}` (targets: {', '.join(str(n) for n in names) or 'none'})")
        return [target]
    defaults = [n for n in names if n is not None and as_dict(targets[n]).get("default") is True]
    if defaults:
        return [defaults[0]]
    return [names[0]] if len(names) == 1 else [None]


def target_views(root: str, loaded: LoadedBundle, names: list[str | None]) -> tuple[TargetView, ...]:
    cache: dict[int, Any] = {}
    memo: dict[Any, Any] = {}
    views = []
    for i, name in enumerate(names):
        tree, loc = effective_tree(loaded, name)
        views.append(TargetView(root, loaded, name, tree, loc, i == 0, cache, memo))
    return tuple(views)
