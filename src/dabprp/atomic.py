"""Atomic file writes: a temp file in the destination's directory, then a rename (never half-written)."""

from __future__ import annotations

import os
import tempfile

from dabprp.errors import DabprpError


def write_text_atomic(path: str, text: str) -> None:
    """Write `text` to `path` through a temp file and `os.replace`; DabprpError when that fails."""
    directory = os.path.dirname(os.path.abspath(path))
    try:
        os.makedirs(directory, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".dabprp-", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
                handle.write(text)
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
    except OSError as exc:
        raise DabprpError(path, None, f"cannot write: {exc.strerror or exc}") from None
