"""dabprp's own scaffolded files are no evidence about the project's agent: after `dabprp scaffold` the PRP's
claims about parallelism, tools and where evaluation lives still come from the project's code only."""

from __future__ import annotations

import re

import pytest

from dabprp.api import generate, scaffold
from tests.conftest import FIXTURES, copy_project

STAGE_CITATION = re.compile(r"`src/stages/\w+\.py:\d+`")


@pytest.mark.parametrize("name", ["rag-apps", "app-agent", "agent-hierarchy"])
def test_a_scaffolded_project_cites_no_stage_file_as_agent_evidence(name, tmp_path):
    project = copy_project(FIXTURES / name, tmp_path / name)
    before, _ = generate(str(project))
    scaffold(str(project))
    assert any(p.name == "loadtest.py" for p in (project / "src" / "stages").iterdir())
    after, _ = generate(str(project))
    for claim in ("Integration tests (staging workspace", "Parallel execution", "Scalability and performance",
                  "to move into the stage code", "Temporal helper", "Tools:", "parallel queries"):
        cited = [line for line in after.splitlines() if claim in line and STAGE_CITATION.search(line)]
        assert cited == [], cited
        # the same claims as before scaffold, from the project's own files
        assert [line for line in after.splitlines() if claim in line and "`src/stages/" not in line] == \
            [line for line in before.splitlines() if claim in line]
    # the current state still lists the stage code, marked as dabprp's
    assert all("(dabprp's stage code)" in line for line in after.splitlines()
               if line.startswith("| ") and STAGE_CITATION.search(line) and "`mlflow." in line)


def test_rag_apps_after_scaffold_exact_claims(tmp_path):
    project = copy_project(FIXTURES / "rag-apps", tmp_path / "rag-apps")
    scaffold(str(project))
    text, _ = generate(str(project))
    assert ("- Integration tests (staging workspace, marked `integration`) for `VectorSearchRetrieverTool` "
            "(`agent/agent.py:12`): one real call each, asserting shape and latency.") in text
    assert ("- Scalability and performance requirements: p95 ≤ 10000 ms and error rate ≤ 0.01 at 5× expected "
            "concurrency in staging.") in text
    assert [line for line in text.splitlines() if "to move into the stage code" in line] == [
        "| `agent/log_agent.py:14` | `mlflow.pyfunc.log_model` to move into the stage code |"]
    assert "| evaluation | `mlflow.genai.evaluate` (dabprp's stage code) | `src/stages/evaluate.py:387` |" in text
