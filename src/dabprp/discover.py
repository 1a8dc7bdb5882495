"""List the files of a project worth reading: sorted, root-relative, no vendored or build output."""

from __future__ import annotations

import os

from dabprp.limits import MAX_FILE_BYTES, MAX_FILES
from dabprp.records import record

SKIP_DIRS = frozenset(
    {
        ".git", ".hg", ".svn", ".venv", "venv", "env", ".env", "node_modules", "__pycache__",
        ".mypy_cache", ".pytest_cache", ".ruff_cache", ".tox", ".nox", "build", "dist",
        ".databricks", ".idea", ".vscode", "site-packages", ".eggs", "PRPs",
    }
)


@record
class Discovered:
    files: tuple[str, ...]
    """Root-relative POSIX paths of readable regular files, sorted."""
    skipped: tuple[tuple[str, str], ...]
    """(path, reason) for files left out: too large, links leaving the root."""


def discover(root: str) -> Discovered:
    """Walk `root` without following links that leave it."""
    real_root = os.path.realpath(root)
    files: list[str] = []
    skipped: list[tuple[str, str]] = []
    over: list[str] = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(
            d for d in dirnames if d not in SKIP_DIRS and not d.endswith(".egg-info")
        )
        rel_dir = os.path.relpath(dirpath, root)
        for name in sorted(filenames):
            abs_path = os.path.join(dirpath, name)
            rel = name if rel_dir == "." else f"{rel_dir}/{name}".replace(os.sep, "/")
            if os.path.islink(abs_path):
                target = os.path.realpath(abs_path)
                if not (target == real_root or target.startswith(real_root + os.sep)):
                    skipped.append((rel, "symbolic link leaves the project root"))
                    continue
            try:
                size = os.stat(abs_path).st_size
            except OSError:
                skipped.append((rel, "unreadable"))
                continue
            if not os.path.isfile(abs_path):
                continue
            if size > MAX_FILE_BYTES:
                skipped.append((rel, f"larger than {MAX_FILE_BYTES} bytes"))
                continue
            if len(files) >= MAX_FILES:
                over.append(rel)
                continue
            files.append(rel)
    if over:
        skipped.append((min(over), f"{len(over)} files beyond the limit of {MAX_FILES} files per project"))
    return Discovered(tuple(sorted(files)), tuple(sorted(skipped)))
