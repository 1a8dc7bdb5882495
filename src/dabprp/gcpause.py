"""The garbage collector paused while a project is analyzed: the fact trees are large and acyclic, and
collections triggered by their allocations would scan them again and again (superlinear time)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

MAX_OLD_OBJECTS = 1_000_000
"""Objects in the oldest generation above which leaving `paused_gc` runs a full collection."""


@contextmanager
def paused_gc() -> Iterator[None]:
    """Disable automatic collection inside the block; re-enabled on exit (nested blocks are fine).
    Usable as a decorator. Reference counting still frees everything acyclic at once.

    On exit what the block allocated moves to the oldest generation unscanned (freeze, then unfreeze: two
    list splices), instead of being scanned by the first young collection after the block, which would
    visit every object of a large fact tree once more (a tenth of `validate` on a 1,000-job bundle). Once the
    oldest generation holds more than MAX_OLD_OBJECTS, a full collection runs, so a long-lived process (the
    MCP server, a monorepo worker) still frees cyclic garbage and its memory stays flat."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.freeze()
            gc.unfreeze()
            if len(gc.get_objects(generation=2)) > MAX_OLD_OBJECTS:
                gc.collect()
            gc.enable()
