"""A large project's PRP summarises its inventories: bounded size, the most relevant items, exact counts of what
was left out. The projects are built as the benchmark builds them (`benchmarks/bench.py`), smaller."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType

import pytest

from dabprp.api import generate, plan
from dabprp.render.inventory import LIMIT
from tests.conftest import ROOT

MAX_PRP_BYTES = 100_000


def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("dabprp_bench", ROOT / "benchmarks" / "bench.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def python_projects(tmp_path_factory) -> dict[int, Path]:
    base = tmp_path_factory.mktemp("large")
    make = bench().make_python_project
    return {n: make(base, n) for n in (120, 360)}


def test_many_python_files_give_a_bounded_prp_that_counts_what_it_left_out(python_projects):
    small, large = (generate(str(python_projects[n]))[0] for n in (120, 360))
    assert len(large.encode()) < MAX_PRP_BYTES
    # three times the files, the same PRP but for the counts of what was left out
    assert abs(len(large) - len(small)) < 200 and large.count("\n") == small.count("\n")
    built, _ = plan(str(python_projects[360]))
    graphs = [e for e in built.current_state if e.label == "agent graph"]
    helpers = built.agent.temporal_helpers
    assert len(graphs) == 121 and len(helpers) == 242  # the example's agent module and 120 copies
    rows = re.findall(r"^\| agent graph \| (.*?) \| (.*?) \|$", large, re.M)
    assert len(rows) == LIMIT + 1
    assert rows[-1] == (f"… and {len(graphs) - LIMIT} more (full list: `dabprp analyze --format json`)", "-")
    assert rows[0] == ("4 nodes (supervisor, genie, parallel_executor, final_answer), entry `supervisor`",
                       "`src/multiagent_genie.py:132`")  # the file nearest the root first
    assert large.count("\n- Temporal helper `") == LIMIT
    note = re.search(r"^This project's inventory is large: .*$", large, re.M).group(0)  # type: ignore[union-attr]
    assert f"Left out: {len(graphs) - LIMIT} `agent graph` rows of the current state, " in note
    assert f", {len(helpers) - LIMIT} temporal helpers, " in note
    assert note.endswith("(full list: `dabprp analyze --format json`).")


def test_a_small_project_lists_everything():
    from tests.conftest import EXAMPLE

    text = generate(str(EXAMPLE))[0]
    assert "This project's inventory is large" not in text and "more (full list:" not in text


def test_a_thousand_job_bundle_gives_a_bounded_prp(tmp_path):
    root = bench().make_jobs_bundle(tmp_path, 300)
    text = generate(str(root))[0]
    assert len(text.encode()) < MAX_PRP_BYTES
    current = text.split("### 1.2 Current state", 1)[1].split("###", 1)[0]
    rows = re.findall(r"^\| job \| (.*?) \| (.*?) \|$", current, re.M)
    assert rows[:2] == [("`job_0`: `t0`, `t1`, `t2`, `t3`, `t4`, `t5`, `t6`, `t7`, `t8`, `t9`",
                         "`resources/jobs_000.yml:3`"),
                        ("`job_1`: `t0`, `t1`, `t2`, `t3`, `t4`, `t5`, `t6`, `t7`, `t8`, `t9`",
                         "`resources/jobs_000.yml:66`")]
    assert rows[-1] == (f"… and {300 - LIMIT} more (full list: `dabprp analyze --format json`)", "-")
    assert len(rows) == LIMIT + 1
