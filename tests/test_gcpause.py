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
    monkeypatch.setattr(gcpause, "MIN_UNSCANNED", 20_000)
    monkeypatch.setattr(gcpause._Unscanned, "count", 0)
    monkeypatch.setattr(gcpause._Unscanned, "old_after_collection", 0)
    peak = 0
    for _ in range(100):  # 500,000 cyclic objects in all, 5,000 a run
        with gcpause.paused_gc():
            cycles(5_000)
        peak = max(peak, len(gc.get_objects(generation=2)))
    # due past 20,000 unscanned objects and a quarter of the old generation (the collector's rule), one run more
    assert peak <= baseline + 25_000 + (baseline + 25_000) // 4 < baseline + 500_000


def test_live_objects_do_not_make_every_run_a_full_collection(monkeypatch):
    monkeypatch.setattr(gcpause, "MIN_UNSCANNED", 20_000)
    monkeypatch.setattr(gcpause._Unscanned, "count", 0)
    monkeypatch.setattr(gcpause._Unscanned, "old_after_collection", 0)
    kept: list[object] = []
    collections = gc.get_stats()[2]["collections"]
    for _ in range(100):  # a caller that keeps every result: 1,000,000 live objects in the end
        with gcpause.paused_gc():
            kept.extend([] for _ in range(10_000))
    # full collections only when the unscanned objects exceed a quarter of the old generation: a few, not 100
    assert gc.get_stats()[2]["collections"] - collections <= 12


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


def test_a_run_leaves_no_reference_cycle_of_its_own(tree):
    """A run's trees (facts, locations, ASTs, per-run memos) are freed by reference counting as soon as the run
    drops them: nothing of dabprp's is left for the collector (a cycle made each full collection of a
    1,000-job bundle cost half a second). MLflow-free commands only; third-party caches are warmed first."""
    from dabprp import api
    from tests.conftest import EXAMPLE

    jobs = "".join(f"    j{i}:\n      tasks:\n" + "".join(
        f"        - task_key: t{t}\n          spark_python_task: {{python_file: ./main.py}}\n"
        + (f"          depends_on: [{{task_key: t{t - 1}}}]\n" if t else "") for t in range(3)) for i in range(4))
    bundle = tree({"databricks.yml": "bundle:\n  name: b\ntargets:\n  dev: {mode: development, default: true}\n"
                                     "  prod: {mode: production}\nresources:\n  jobs:\n" + jobs,
                   "main.py": "import mlflow\nmlflow.set_experiment('/Shared/x')\n"})
    runs = {"check": lambda: api.check(str(EXAMPLE)), "analyze": lambda: api.run(str(EXAMPLE)),
            "validate": lambda: api.validate(str(bundle), all_targets=True),
            "check jobs": lambda: api.check(str(bundle))}
    for name, run in runs.items():
        run()
        gc.collect()
        gc.set_debug(gc.DEBUG_SAVEALL)
        try:
            run()
            found = gc.collect()
            kinds = sorted({type(o).__qualname__ for o in gc.garbage})
        finally:
            gc.set_debug(0)
            gc.garbage.clear()
        assert (name, found, kinds) == (name, 0, [])
