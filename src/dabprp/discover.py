"""List the files of a project worth reading: sorted, root-relative, no vendored or build output."""

from __future__ import annotations

import os
from dataclasses import dataclass

SKIP_DIRS = frozenset(
    {
        ".git", ".hg", ".svn", ".venv", "venv", "env", ".env", "node_modules", "__pycache__",
        ".mypy_cache", ".pytest_cache", ".ruff_cache", ".tox", ".nox", "build", "dist",
        ".databricks", ".idea", ".vscode", "site-packages", ".eggs", "PRPs",
    }
)
MAX_FILE_BYTES = 5_000_000


@dataclass(frozen=True, slots=True)
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
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(
            d for d in dirnames if d not in SKIP_DIRS and not d.endswith(".egg-info")
        )
        rel_dir = os.path.relpath(dirpath, root)
        for name in filenames:
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
            files.append(rel)
    return Discovered(tuple(sorted(files)), tuple(sorted(skipped)))
