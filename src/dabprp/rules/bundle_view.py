"""What bundle rules look at: one target's effective tree with locations, built from the one bundle load."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import field
from typing import Any, cast

from dabprp.confined_io import is_inside
from dabprp.errors import DabprpError
from dabprp.facts import Location
from dabprp.findings import Hit
from dabprp.parse.bundle_load import LoadedBundle, effective_tree
from dabprp.parse.bundle_values import as_dict, as_list
from dabprp.parse.yaml_source import LocNode
from dabprp.records import record

NOTEBOOK_SUFFIXES = ("", ".py", ".ipynb", ".sql", ".scala", ".r", ".R")
REF_RE = re.compile(r"\$\{([^${}]+)\}")  # `$` excluded: linear on text full of `${`


@record
class TargetView:
    """The effective configuration of `target` (None: the bundle without any target applied)."""

    root: str
    loaded: LoadedBundle
    target: str | None
    tree: dict[str, Any]
    loc: LocNode
    first: bool = True
    """The first view of a run: bundle-wide parts (the `targets` section) are checked on it only."""
    schema_cache: dict[Any, Any] = field(default_factory=dict, compare=False)
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

    def job_hits(self, check: Callable[[TargetView, Any, dict[str, Any]], Iterable[Hit]]) -> list[Hit]:
        """`check(view, key, spec)` (a module-level function) over every job of this target (`key` as written
        in the YAML), each job object checked once per run: targets share the jobs they do not override (the
        same spec and location objects), so only a target's own overrides cost anything. `check` may read only
        the job (its spec, its locations) and what is the same for every target."""
        return self.per_job(check)

    def per_job(self, compute: Callable[[TargetView, Any, dict[str, Any]], Iterable[Any]]) -> list[Any]:
        """`compute(view, key, spec)` over every job of this target, concatenated; computed once per job object
        (see `job_hits`): the first view's jobs once, then per target only the jobs it overrides or adds."""
        if "job_base" not in self.memo:
            self.memo["job_base"] = (self, _job_items(self))
        base_view, base = self.memo["job_base"]
        skip, changed = self._job_delta(base)
        cache = self.memo.setdefault(("per_job", compute), {})
        if "base" not in cache:
            found = ((k, list(compute(base_view, k, spec))) for k, (spec, _) in base.items())
            cache["base"] = [(k, items) for k, items in found if items]
        out = [item for k, found in cache["base"] if k not in skip for item in found]
        for key, (spec, node) in changed.items():
            entry = cache.get((key, id(spec), id(node)))
            if entry is None:  # the entry keeps spec and node alive, so their ids are not reused
                entry = cache[(key, id(spec), id(node))] = (spec, node, list(compute(self, key, spec)))
            out.extend(entry[2])
        return out

    def _job_delta(self, base: dict[Any, tuple[Any, Any]]) -> tuple[set[Any], dict[Any, tuple[Any, Any]]]:
        """(keys of the first view's jobs that this target changes or lacks, this target's changed or new jobs)."""
        key = ("job_delta", self.target)
        if key not in self.memo:
            mine = _job_items(self)
            changed = {k: v for k, v in mine.items() if k not in base or base[k][0] is not v[0]
                       or base[k][1] is not v[1]}
            self.memo[key] = ({k for k in base if k not in mine or k in changed}, changed)
        return cast(tuple[set[Any], dict[Any, tuple[Any, Any]]], self.memo[key])

    def job_references(self, key: Any, spec: dict[str, Any]) -> list[tuple[tuple[Any, ...], str]]:
        """(path, text inside `${...}`) of every reference in job `key`, extracted once per job object."""
        cache = self.memo.setdefault("job_references", {})
        entry = cache.get((key, id(spec)))
        if entry is None:  # the entry keeps spec alive, so its id is not reused
            found = [(p, m.group(1)) for p, t in walk_strings(spec, ("resources", "jobs", key)) if "${" in t
                     for m in REF_RE.finditer(t)]
            entry = cache[(key, id(spec))] = (spec, found)
        return list(entry[1])

    def other_references(self) -> Iterator[tuple[tuple[Any, ...], str]]:
        """(path, text inside `${...}`) of every reference outside the jobs (see `job_references`). The
        `targets` section is the same object in every target's view: its references are collected once."""
        for key, value in self.tree.items():
            if key == "targets":
                continue
            if key == "resources" and isinstance(value, dict):
                for kind, items in value.items():
                    if kind == "jobs" and isinstance(items, dict):
                        # the jobs that are mappings are covered by `job_references`; a job written as a
                        # string (`${...}`) is not
                        yield from _references(({k: v for k, v in items.items() if not isinstance(v, dict)}),
                                               ("resources", "jobs"))
                    else:
                        yield from _references(items, ("resources", kind))
                continue
            yield from _references(value, (key,))
        targets = self.tree.get("targets")
        if targets is None:
            return
        cached = self.memo.get("targets_references")
        if cached is None or cached[0] is not targets:
            cached = (targets, list(_references(targets, ("targets",))))
            self.memo["targets_references"] = cached
        yield from cached[1]


def _job_items(view: TargetView) -> dict[Any, tuple[Any, Any]]:
    """{job key: (spec, location node)} of the view's jobs that are mappings."""
    node = view.loc.find(("resources", "jobs"))
    kids = node.kids if node is not None and isinstance(node.kids, dict) else {}
    return {k: (spec, kids.get(k)) for k, spec in view.resources("jobs").items() if isinstance(spec, dict)}


def _references(value: Any, path: tuple[Any, ...]) -> Iterator[tuple[tuple[Any, ...], str]]:
    for p, text in walk_strings(value, path):
        if "${" in text:
            for match in REF_RE.finditer(text):
                yield p, match.group(1)


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
    defaults = [str(n) for n, spec in targets.items() if as_dict(spec).get("default") is True]
    if defaults:
        return [defaults[0]]
    return [names[0]] if len(names) == 1 else [None]


def release_views(views: tuple[TargetView, ...]) -> None:
    """Forget the answers the views of one run shared (their `memo` holds the first view, a reference cycle):
    the run's trees are then freed as soon as the run drops them, not at the next full collection."""
    for view in views:
        view.memo.clear()
        view.schema_cache.clear()


def target_views(root: str, loaded: LoadedBundle, names: list[str | None]) -> tuple[TargetView, ...]:
    cache: dict[Any, Any] = {}
    memo: dict[Any, Any] = {}
    views = []
    for i, name in enumerate(names):
        tree, loc = effective_tree(loaded, name)
        views.append(TargetView(root, loaded, name, tree, loc, i == 0, cache, memo))
    return tuple(views)
