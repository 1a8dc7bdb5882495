"""The garbage collector paused while a project is analyzed: the fact trees are large and acyclic, and
collections triggered by their allocations would scan them again and again (superlinear time)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused_gc() -> Iterator[None]:
    """Disable automatic collection inside the block; re-enabled on exit (nested blocks are fine).
    Usable as a decorator. Reference counting still frees everything acyclic at once."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
