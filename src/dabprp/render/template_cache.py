"""Compiled Jinja templates kept in the user's cache directory, so a run does not compile them again.

Compiling the PRP template costs more than rendering it. The cache is an optimisation only: a directory that
is missing, unwritable, not the user's own or writable by others, or a file that is damaged, means the template
is compiled as without a cache, and nothing is reported. `DABPRP_CACHE_DIR` names the directory; set empty, no
cache is kept."""

from __future__ import annotations

import contextlib
import os
import stat
import sys
from collections.abc import Mapping

import jinja2
from jinja2.bccache import Bucket

from dabprp.digest import sha256
from dabprp.version import __version__

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


def _private(st: os.stat_result) -> bool:
    """The user's own, and not writable by group or others (what is loaded from it runs as code)."""
    if not hasattr(os, "geteuid"):
        return True
    return st.st_uid == os.geteuid() and not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


class TemplateCache(jinja2.BytecodeCache):
    """Compiled templates as files under `directory`, one per template, environment and version."""

    def __init__(self, directory: str | None) -> None:
        self.directory = directory

    def _path(self, bucket: Bucket) -> str | None:
        if self.directory is None:
            return None
        # what the compiled code depends on besides the template source (jinja checks that): versions and
        # the environment's syntax and output options
        env = bucket.environment
        options = (__version__, jinja2.__version__, sys.implementation.cache_tag, env.block_start_string,
                   env.block_end_string, env.variable_start_string, env.variable_end_string,
                   env.comment_start_string, env.comment_end_string, env.line_statement_prefix,
                   env.line_comment_prefix, env.trim_blocks, env.lstrip_blocks, env.newline_sequence,
                   env.keep_trailing_newline, repr(env.autoescape), env.optimized, env.is_async,
                   env.finalize is not None, getattr(env.finalize, "jinja_pass_arg", None),
                   tuple(sorted(env.extensions)), bucket.key)
        name = sha256(repr(options).encode()).hexdigest()[:40]
        return os.path.join(self.directory, "templates", f"{name}.jinja")

    def load_bytecode(self, bucket: Bucket) -> None:
        path = self._path(bucket)
        if path is None:
            return
        try:
            if not _private(os.stat(os.path.dirname(path))):
                return
            with open(path, "rb") as f:
                if not _private(os.fstat(f.fileno())):
                    return
                bucket.load_bytecode(f)
        except Exception:  # missing, unreadable or damaged: compile
            bucket.reset()

    def dump_bytecode(self, bucket: Bucket) -> None:
        path = self._path(bucket)
        if path is None:
            return
        folder = os.path.dirname(path)
        try:
            import tempfile  # only to write

            os.makedirs(folder, mode=0o700, exist_ok=True)
            if not _private(os.stat(folder)):
                return
            fd, temp = tempfile.mkstemp(dir=folder, prefix=".", suffix=".tmp")
        except OSError:
            return
        try:
            with os.fdopen(fd, "wb") as f:
                bucket.write_bytecode(f)
            os.replace(temp, path)  # whole or not at all, also with another run writing the same file
        except Exception:
            with contextlib.suppress(OSError):
                os.unlink(temp)


def template_cache() -> TemplateCache:
    """The cache in the user's cache directory (see the module docstring)."""
    return TemplateCache(cache_dir())
