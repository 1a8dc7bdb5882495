"""Planned file changes: classify (create / update / identical / conflict), show as a diff, write atomically."""

from __future__ import annotations

import contextlib
import difflib
import json
import os
import stat

from dabprp.confined_io import commit, discard, is_inside, open_regular, stage
from dabprp.digest import sha256
from dabprp.errors import DabprpError
from dabprp.limits import load_json
from dabprp.parse.secrets import redact_text
from dabprp.records import record

MANIFEST = ".dabprp/scaffold.json"


@record
class FileChange:
    path: str
    new: str
    old: str | None
    kind: str
    """`create`, `update` (our earlier output or an allowed edit), `identical`, `conflict` (user file, kept)."""
    reason: str = ""


def sha(text: str) -> str:
    return sha256(text.encode()).hexdigest()


def read_manifest(root: str) -> dict[str, str]:
    """Hashes of the files scaffold wrote; a missing or damaged manifest (wrong types, not JSON) is empty, so
    every existing file counts as the user's. Only a regular file inside the root is read."""
    refused = refusal(root, MANIFEST)
    if refused:
        raise DabprpError(MANIFEST, None, refused)
    try:
        fd = open_regular(os.path.join(root, MANIFEST), MANIFEST)
    except FileNotFoundError:
        return {}
    try:
        with os.fdopen(fd, "rb") as handle:
            data = load_json(handle.read().decode("utf-8"))
    except (OSError, ValueError):
        return {}
    files = data.get("files") if isinstance(data, dict) else None
    if not isinstance(files, dict):
        return {}
    return {k: v for k, v in files.items() if isinstance(k, str) and isinstance(v, str)}


def refusal(root: str, path: str) -> str | None:
    """Why `path` (relative to `root`) may not be read or replaced: a folder on the way that is a symbolic
    link leaving the root, the file itself being a link or not a regular file. None when it may."""
    full = os.path.join(root, path)
    if not is_inside(os.path.realpath(root), os.path.realpath(os.path.dirname(full))):
        return "a folder on the way is a symbolic link that leaves the project root; not followed"
    try:
        mode = os.lstat(full).st_mode
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise DabprpError(path, None, f"cannot read: {exc.strerror or exc}") from None
    if stat.S_ISLNK(mode):
        return "is a symbolic link; not followed"
    if not stat.S_ISREG(mode):
        return "not a regular file; not read or replaced"
    return None


def classify(root: str, path: str, new: str, force: bool, manifest: dict[str, str],
             user_owned_edit: bool = False) -> FileChange:
    """`user_owned_edit`: a minimal edit of a user file (databricks.yml) that is allowed without --force.
    Links, non-regular files and paths through links that leave the root are conflicts, even with --force."""
    refused = refusal(root, path)
    if refused:
        return FileChange(path, new, None, "conflict", refused)
    full = os.path.join(root, path)
    try:
        fd = open_regular(full, path)
    except FileNotFoundError:
        return FileChange(path, new, None, "create")
    try:
        with os.fdopen(fd, "rb") as handle:
            old = handle.read().decode("utf-8")
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
    """The change as a unified diff, for display: credentials in either side are redacted."""
    old = redact_text(change.path, change.old or "").splitlines(keepends=True)
    new = redact_text(change.path, change.new).splitlines(keepends=True)
    return "".join(difflib.unified_diff(old, new, f"a/{change.path}" if change.old is not None else "/dev/null",
                                        f"b/{change.path}"))


def write_all(root: str, changes: list[FileChange], manifest: dict[str, str],
              manifest_path: str | None = MANIFEST) -> None:
    """Stage every create/update as a synced temp file beside its target, then rename them all; on an error
    while staging nothing is renamed and no temp file or new folder is left. Each file is the old or the new
    one at every moment (a kill between renames leaves some old, some new, none half-written). The hashes of
    what was written go to `manifest_path` (None: no manifest), renamed first, so a re-run after such a kill
    recognises every file already renamed as dabprp's."""
    todo = [c for c in changes if c.kind in ("create", "update")]
    if not todo:
        return
    staged: list[tuple[str, str]] = []
    created_dirs: list[str] = []
    try:
        if manifest_path is not None:
            refused = refusal(root, manifest_path)
            if refused:
                raise DabprpError(manifest_path, None, refused)
            new_manifest = {**manifest, **{c.path: sha(c.new) for c in todo}}
            text = json.dumps({"version": 1, "files": dict(sorted(new_manifest.items()))}, indent=2) + "\n"
            target = os.path.join(root, manifest_path)
            _makedirs(os.path.dirname(target), created_dirs)
            staged.append((stage(target, text.encode("utf-8")), target))
        for change in todo:
            refused = refusal(root, change.path)
            if refused:
                raise DabprpError(change.path, None, refused)
            target = os.path.join(root, change.path)
            _makedirs(os.path.dirname(target), created_dirs)
            staged.append((stage(target, change.new.encode("utf-8")), target))
    except (OSError, DabprpError) as exc:
        for tmp, _ in staged:
            discard(tmp)
        for directory in reversed(created_dirs):
            _rmdir(directory)
        if isinstance(exc, DabprpError):
            raise
        raise DabprpError(getattr(exc, "filename", None) or root, None, f"cannot write: {exc.strerror}") from None
    for tmp, target in staged:
        commit(tmp, target)


def _makedirs(directory: str, created: list[str]) -> None:
    missing = []
    while directory and not os.path.isdir(directory):
        missing.append(directory)
        directory = os.path.dirname(directory)
    for d in reversed(missing):
        os.mkdir(d)
        created.append(d)


def _rmdir(path: str) -> None:
    with contextlib.suppress(OSError):  # not empty: something else is in it, leave it
        os.rmdir(path)
