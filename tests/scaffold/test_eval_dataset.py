"""A project without an evaluation dataset: the generated Evaluation stage stops in one line naming the file to
create and its format (no version passes without evaluation), and the PRP says so where evaluation is planned. A
project with a dataset gets neither."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from dabprp.api import generate
from tests.conftest import EXAMPLE, FIXTURES
from tests.scaffold.conftest import load_stage, scaffolded_copies

FORMAT = ('a JSON list of records such as [{"inputs": {"question": "a question"}, "expectations": '
          '{"expected_facts": ["a fact the answer must state"]}}] (or .jsonl, one record a line; or .csv with a '
          "`question` column)")
PRP_TEXT = ("**No evaluation dataset in the project.** The Evaluation task reads `data/evals/eval-questions.json` "
            "(to create); until that file exists the task fails at once and no version is deployed. Create it as a "
            'JSON list of records such as `[{"inputs": {"question": "a question"}, "expectations": '
            '{"expected_facts": ["a fact the answer must state"]}}]` (or JSON Lines, one record a line; or CSV '
            "with a `question` column), with questions across every route and question kind.")
T10 = ("- [ ] **T10** (0.5 d) Create the evaluation dataset (the project has none: the Evaluation task fails until "
       "it exists), covering every route and question kind. Files: `data/evals/eval-questions.json`. Closes: "
       "DAB503, DAB504, DAB505.")
WITHOUT = ("notebooks", "agent-hierarchy")


@pytest.fixture(scope="module")
def without_dataset(tmp_path_factory) -> dict[str, Path]:
    return scaffolded_copies(tmp_path_factory, WITHOUT, "nodata")


@pytest.mark.parametrize("name", WITHOUT)
def test_evaluation_without_a_dataset_stops_in_one_line(without_dataset, name):
    project = without_dataset[name]
    assert not (project / "data" / "evals" / "eval-questions.json").exists()
    done = subprocess.run([sys.executable, "src/stages/evaluate.py", "--model-name", "c.s.m", "--model-version", "1"],
                          cwd=project, capture_output=True, text=True, timeout=120)
    assert (done.returncode, done.stdout) == (2, "")
    missing = "no evaluation dataset: data/evals/eval-questions.json does not exist"
    assert done.stderr == f"{missing}; create it as {FORMAT}\n"


def test_the_format_the_stage_names_is_the_one_it_reads(without_dataset, tmp_path):
    evaluate = load_stage(without_dataset["notebooks"], "evaluate")
    records = [{"inputs": {"question": "a question"}, "expectations": {"expected_facts": ["a fact"]}}]
    (tmp_path / "eval.json").write_text(json.dumps(records))
    (tmp_path / "eval.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    (tmp_path / "eval.csv").write_text("question,expected_response\na question,a fact\n")
    assert evaluate.load_dataset(tmp_path / "eval.json") == records
    assert evaluate.load_dataset(tmp_path / "eval.jsonl") == records
    assert evaluate.load_dataset(tmp_path / "eval.csv") == [
        {"inputs": {"question": "a question"}, "expectations": {"expected_response": "a fact"}}]
    # with the file in place the stage goes on (here to its own argument check: no model, no agent file)
    with pytest.raises(SystemExit) as caught:
        evaluate.main(["--dataset", str(tmp_path / "eval.json")])
    assert caught.value.code == 2


@pytest.mark.parametrize("name", WITHOUT)
def test_prp_says_where_evaluation_is_planned_that_there_is_no_dataset(name):
    text, _ = generate(str(FIXTURES / name))
    evaluate = text.split("### 3.2 Evaluate\n", 1)[1]
    assert evaluate.startswith(PRP_TEXT + "\n\n| check |")
    assert T10 in text.splitlines()


def test_a_project_with_a_dataset_is_told_nothing(scaffolded_example):
    stage = (scaffolded_example / "src" / "stages" / "evaluate.py").read_text()
    assert "DATASET_FORMAT" not in stage and "no evaluation dataset" not in stage
    assert 'DATASET = "data/evals/eval-questions.json"\n' in stage  # the example's own dataset
    assert (scaffolded_example / "data" / "evals" / "eval-questions.json").is_file()
    text, _ = generate(str(EXAMPLE))
    assert "No evaluation dataset" not in text
    assert "- [ ] **T10** (0.5 d) Grow the evaluation dataset across every route and question kind." in text
