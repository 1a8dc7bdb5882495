"""What validate checks look at: one target's effective tree with locations, plus the whole bundle."""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from dabprp.confined_io import is_inside
from dabprp.facts import Location
from dabprp.parse.bundle_load import LoadedBundle
from dabprp.parse.yaml_source import LocNode


@dataclass(frozen=True, slots=True)
class TargetView:
    root: str
    loaded: LoadedBundle
    target: str | None
    tree: dict[str, Any]
    loc: LocNode

    def node(self, *path: Any) -> LocNode | None:
        return self.loc.find(path)

    def at(self, *path: Any) -> Location:
        return self.loc.locate(path)

    def jobs(self) -> Iterator[tuple[str, dict[str, Any]]]:
        jobs = (self.tree.get("resources") or {}).get("jobs") if isinstance(self.tree.get("resources"), dict) else None
        if isinstance(jobs, dict):
            for key, spec in jobs.items():
                if isinstance(spec, dict):
                    yield str(key), spec

    def targets(self) -> dict[str, Any]:
        targets = self.loaded.tree.get("targets")
        return targets if isinstance(targets, dict) else {}

    def exists(self, declared_in: str, path: str, notebook: bool) -> bool:
        """Whether `path` exists inside the project. A path that leaves the root (by `..` or through a link) is
        never looked at, so validation reveals nothing outside the project: it counts as present."""
        return path_exists(self.root, os.path.dirname(declared_in), path, notebook)


@functools.lru_cache(maxsize=4096)
def path_exists(root: str, base: str, path: str, notebook: bool) -> bool:
    """`TargetView.exists`, remembered: a thousand tasks naming one file look it up once. `validate` clears
    the memory when it starts, so a long-lived process sees the file system as it is."""
    full = os.path.normpath(os.path.join(root, base, path))
    real_root = os.path.realpath(root)
    if not is_inside(os.path.abspath(root), os.path.abspath(full)) or not is_inside(
            real_root, os.path.realpath(os.path.dirname(full))):
        return True
    suffixes = ("", ".py", ".ipynb", ".sql", ".scala", ".r", ".R") if notebook else ("",)
    return any(os.path.lexists(full + s) and is_inside(real_root, os.path.realpath(full + s)) for s in suffixes)


def walk_strings(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], str]]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield from walk_strings(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from walk_strings(v, (*path, i))
    elif isinstance(value, str):
        yield path, value
