"""Compiled Jinja templates kept in the user's cache directory, so a run does not compile them again.

Compiling the PRP template costs more than rendering it. The cache is an optimisation only: no usable cache
(`dabprp.user_cache`) or a damaged file means the template is compiled as without one."""

from __future__ import annotations

import io
import os
import sys

import jinja2
from jinja2.bccache import Bucket

from dabprp.digest import sha256
from dabprp.user_cache import cache_dir, read_private, write_private
from dabprp.version import __version__


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
        data = None if path is None else read_private(path)
        if data is None:
            return
        try:
            bucket.load_bytecode(io.BytesIO(data))
        except Exception:  # damaged: compile
            bucket.reset()

    def dump_bytecode(self, bucket: Bucket) -> None:
        path = self._path(bucket)
        if path is None:
            return
        out = io.BytesIO()
        bucket.write_bytecode(out)
        write_private(path, out.getvalue())


def template_cache() -> TemplateCache:
    """The cache in the user's cache directory (see `dabprp.user_cache`)."""
    return TemplateCache(cache_dir())
