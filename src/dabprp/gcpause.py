"""The garbage collector paused while a project is analyzed: the fact trees are large and acyclic, and
collections triggered by their allocations would scan them again and again (superlinear time)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

MIN_UNSCANNED = 1_000_000
"""Objects moved to the oldest generation unscanned (see `paused_gc`) before a full collection is due."""


class _Unscanned:
    """Process-wide bookkeeping of `paused_gc` (the collector's own state is process-wide too): objects moved to
    the oldest generation without a scan since the last full collection, and that generation's size then."""

    count = 0
    old_after_collection = 0


@contextmanager
def paused_gc() -> Iterator[None]:
    """Disable automatic collection inside the block; re-enabled on exit (nested blocks are fine).
    Usable as a decorator. Reference counting still frees everything acyclic at once.

    On exit what the block allocated moves to the oldest generation unscanned (freeze, then unfreeze: two
    list splices), instead of being scanned by the first young collection after the block, which would
    visit every object of a large fact tree once more (a tenth of `validate` on a 1,000-job bundle). Once the
    objects moved so exceed MIN_UNSCANNED and a quarter of what the oldest generation held after the last
    full collection (the collector's own rule), a full collection runs: a long-lived process (the MCP server,
    a monorepo worker) still frees cyclic garbage, in amortized linear time."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            allocated = max(gc.get_count()[0], 0)
            gc.freeze()
            gc.unfreeze()
            _Unscanned.count += allocated
            if _Unscanned.count > max(MIN_UNSCANNED, _Unscanned.old_after_collection // 4):
                gc.collect()
                _Unscanned.count = 0
                _Unscanned.old_after_collection = len(gc.get_objects(generation=2))
            gc.enable()
