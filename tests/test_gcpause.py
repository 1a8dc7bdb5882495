"""The collector pause around a run: cyclic garbage is still freed across many runs (memory stays flat in a
long-lived process), and the collector is left as it was."""

from __future__ import annotations

import gc

from dabprp import gcpause


def cycles(count: int) -> None:
    for _ in range(count):
        node: list[object] = []
        node.append(node)


def test_cyclic_garbage_of_many_paused_runs_is_collected(monkeypatch):
    gc.collect()
    baseline = len(gc.get_objects(generation=2))
    monkeypatch.setattr(gcpause, "MAX_OLD_OBJECTS", baseline + 20_000)
    peak = 0
    for _ in range(100):  # 500,000 cyclic objects in all, 5,000 a run
        with gcpause.paused_gc():
            cycles(5_000)
        peak = max(peak, len(gc.get_objects(generation=2)))
    assert peak <= baseline + 20_000 + 5_000


def test_the_collector_is_left_as_it_was():
    assert gc.isenabled()
    with gcpause.paused_gc():
        assert not gc.isenabled()
        with gcpause.paused_gc():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with gcpause.paused_gc():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
