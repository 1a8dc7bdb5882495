"""Planned file changes: classify (create / update / identical / conflict), show as a diff, write atomically."""

from __future__ import annotations

import contextlib
import difflib
import hashlib
import json
import os
import tempfile
from dataclasses import dataclass

from dabprp.errors import DabprpError

MANIFEST = ".dabprp/scaffold.json"


@dataclass(frozen=True, slots=True)
class FileChange:
    path: str
    new: str
    old: str | None
    kind: str
    """`create`, `update` (our earlier output or an allowed edit), `identical`, `conflict` (user file, kept)."""
    reason: str = ""


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def read_manifest(root: str) -> dict[str, str]:
    try:
        with open(os.path.join(root, MANIFEST), encoding="utf-8") as handle:
            data = json.load(handle)
        return dict(data.get("files", {}))
    except (OSError, ValueError):
        return {}


def classify(root: str, path: str, new: str, force: bool, manifest: dict[str, str],
             user_owned_edit: bool = False) -> FileChange:
    """`user_owned_edit`: a minimal edit of a user file (databricks.yml) that is allowed without --force."""
    full = os.path.join(root, path)
    if not os.path.exists(full):
        return FileChange(path, new, None, "create")
    try:
        with open(full, encoding="utf-8") as handle:
            old = handle.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise DabprpError(path, None, f"cannot read: {exc}") from None
    if old == new:
        return FileChange(path, new, old, "identical")
    if force or user_owned_edit:
        return FileChange(path, new, old, "update", "--force" if force and not user_owned_edit else "")
    if manifest.get(path) == sha(old):
        return FileChange(path, new, old, "update", "regenerated (unchanged since dabprp wrote it)")
    return FileChange(path, new, old, "conflict", "exists and was written or edited by you (use --force)")


def unified_diff(change: FileChange) -> str:
    old = (change.old or "").splitlines(keepends=True)
    new = change.new.splitlines(keepends=True)
    return "".join(difflib.unified_diff(old, new, f"a/{change.path}" if change.old is not None else "/dev/null",
                                        f"b/{change.path}"))


def write_all(root: str, changes: list[FileChange], manifest: dict[str, str],
              manifest_path: str | None = MANIFEST) -> None:
    """Write every create/update through a temp file, then rename them all; on error nothing is renamed.
    The hashes of what was written go to `manifest_path` (None: no manifest)."""
    todo = [c for c in changes if c.kind in ("create", "update")]
    if not todo:
        return
    staged: list[tuple[str, str]] = []
    created_dirs: list[str] = []
    try:
        for change in todo:
            target = os.path.join(root, change.path)
            directory = os.path.dirname(target)
            _makedirs(directory, created_dirs)
            fd, tmp = tempfile.mkstemp(dir=directory, prefix=".dabprp-", suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
                handle.write(change.new)
            staged.append((tmp, target))
        if manifest_path is not None:
            new_manifest = dict(manifest)
            for change in todo:
                new_manifest[change.path] = sha(change.new)
            text = json.dumps({"version": 1, "files": dict(sorted(new_manifest.items()))}, indent=2) + "\n"
            target = os.path.join(root, manifest_path)
            _makedirs(os.path.dirname(target), created_dirs)
            fd, tmp = tempfile.mkstemp(dir=os.path.dirname(target), prefix=".dabprp-", suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
            staged.append((tmp, target))
    except OSError as exc:
        for tmp, _ in staged:
            _remove(tmp)
        for directory in reversed(created_dirs):
            _rmdir(directory)
        raise DabprpError(getattr(exc, "filename", None) or root, None, f"cannot write: {exc.strerror}") from None
    for tmp, target in staged:
        os.replace(tmp, target)


def _makedirs(directory: str, created: list[str]) -> None:
    missing = []
    while directory and not os.path.isdir(directory):
        missing.append(directory)
        directory = os.path.dirname(directory)
    for d in reversed(missing):
        os.mkdir(d)
        created.append(d)


def _remove(path: str) -> None:
    with contextlib.suppress(OSError):
        os.remove(path)


def _rmdir(path: str) -> None:
    with contextlib.suppress(OSError):  # not empty: something else is in it, leave it
        os.rmdir(path)
