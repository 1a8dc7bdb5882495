"""dabprp's folder in the user's cache directory: private files read and written whole, or not at all.

What is kept there (compiled templates, schema verdicts) only saves work. A folder that is missing,
unwritable, not the user's own or writable by others, or a file that is damaged, means "no cache", and
nothing is reported. `DABPRP_CACHE_DIR` names the folder; set empty, nothing is kept."""

from __future__ import annotations

import contextlib
import os
import stat
import sys
from collections.abc import Mapping

CACHE_ENV = "DABPRP_CACHE_DIR"


def cache_dir(environ: Mapping[str, str] | None = None) -> str | None:
    """`DABPRP_CACHE_DIR` (empty: None), else the platform's user cache directory plus `dabprp`: `XDG_CACHE_HOME`
    (absolute) or `~/.cache` on Linux, `~/Library/Caches` on macOS, `%LOCALAPPDATA%` on Windows."""
    env = os.environ if environ is None else environ
    if CACHE_ENV in env:
        return env[CACHE_ENV] or None
    if sys.platform == "win32":
        base = env.get("LOCALAPPDATA", "")
        return os.path.join(base, "dabprp", "Cache") if os.path.isabs(base) else None
    xdg = env.get("XDG_CACHE_HOME", "")
    if os.path.isabs(xdg) and sys.platform != "darwin":
        return os.path.join(xdg, "dabprp")
    home = os.path.expanduser("~")
    if not os.path.isabs(home):
        return None
    return os.path.join(home, "Library", "Caches", "dabprp") if sys.platform == "darwin" else \
        os.path.join(home, ".cache", "dabprp")


def private(st: os.stat_result) -> bool:
    """The user's own, and not writable by group or others (what is loaded from it is trusted)."""
    if not hasattr(os, "geteuid"):
        return True
    return st.st_uid == os.geteuid() and not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def read_private(path: str) -> bytes | None:
    """The content of `path` when it and its folder are private, else None (also when missing or unreadable)."""
    try:
        if not private(os.stat(os.path.dirname(path))):
            return None
        with open(path, "rb") as f:
            if not private(os.fstat(f.fileno())):
                return None
            return f.read()
    except (OSError, ValueError):
        return None


def write_private(path: str, data: bytes) -> None:
    """Replace `path` whole (a temporary file in the same private folder, then a rename), or do nothing."""
    folder = os.path.dirname(path)
    try:
        import tempfile  # only to write

        os.makedirs(folder, mode=0o700, exist_ok=True)
        if not private(os.stat(folder)):
            return
        fd, temp = tempfile.mkstemp(dir=folder, prefix=".", suffix=".tmp")
    except (OSError, ValueError):
        return
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(temp, path)  # whole or not at all, also with another run writing the same file
    except Exception:
        with contextlib.suppress(OSError):
            os.unlink(temp)
