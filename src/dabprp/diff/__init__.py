"""`dabprp diff`: what an edit does to the deployed resources of each target, like a plan before apply."""

from __future__ import annotations

import os

from dabprp.diff.compare import Change, DiffReport, compare
from dabprp.diff.deployed import Deployed, deployed
from dabprp.diff.sources import BundleFiles, GitRef, Overlay, WorkingTree
from dabprp.errors import DabprpError


def diff(path: str, base: str | None = None, target: str | None = None) -> DiffReport:
    """With `base` (a git ref): the bundle committed there vs the working tree. Without: the working tree vs
    what `dabprp scaffold` would make of it (computed in memory, nothing is written)."""
    if not os.path.isdir(path):
        raise DabprpError(path, None, "no such directory")
    tree = WorkingTree(path)
    head: BundleFiles
    binds: dict[tuple[str, str], str] = {}
    if base is None:
        old: BundleFiles = tree
        files, binds = _scaffolded(path)
        head = Overlay(tree, files)
    else:
        old, head = GitRef(path, base), tree
    before, after = deployed(old), deployed(head)
    if after.root_file is None and before.root_file is None:
        raise DabprpError(path, None, "no bundle here (databricks.yml)" + (f" nor at {base}" if base else ""))
    return compare(before, after, _targets(target, before, after), binds)


def _targets(target: str | None, before: Deployed, after: Deployed) -> tuple[str, ...] | None:
    if target is None:
        return None
    known = set(before.targets) | set(after.targets)
    if target not in known:
        raise DabprpError(after.root_file or before.root_file or ".", None,
                          f"no target named `{target}` (targets: {', '.join(sorted(map(str, known))) or 'none'})")
    return (target,)


def _scaffolded(path: str) -> tuple[dict[str, str], dict[tuple[str, str], str]]:
    """The files scaffold would write, and per (target, `type.key`) the bind a resource it adds needs first."""
    from dabprp.api import scaffold
    from dabprp.plan.existing_objects import bind_command

    result = scaffold(path, dry_run=True)
    binds = {(b.target, f"{b.kind}.{b.key}"): f"already exists outside the bundle ({b.created_at}): "
             f"`{bind_command(b)}` before the first deploy" for b in result.binds}
    return {c.path: c.new for c in result.changes if c.kind in ("create", "update")}, binds


__all__ = ["Change", "DiffReport", "diff"]
