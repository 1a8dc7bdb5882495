"""`status` marks a roadmap task done only on positive evidence that its deliverable exists."""

from __future__ import annotations

import json

from click.testing import CliRunner

from dabprp.cli import main
from tests.conftest import FIXTURES, copy_project, write_tree


def status_items(project) -> dict[str, dict]:
    runner = CliRunner()
    assert runner.invoke(main, ["generate", str(project)]).exit_code == 0
    result = runner.invoke(main, ["status", str(project), "--format", "json"])
    return {i["id"]: i for i in json.loads(result.stdout)["items"] if i["kind"] == "task"}


def test_nothing_built_means_nothing_done(tmp_path):
    project = copy_project(FIXTURES / "no-bundle", tmp_path / "no-bundle")
    items = status_items(project)
    # only the pinned requirements exist; before, six tasks were `done` because their rules were silent
    assert [(i, item["evidence"]) for i, item in sorted(items.items()) if item["state"] == "done"] == [
        ("T07", ["2 requirements pinned exactly"])]
    monitoring = items["T16"]
    assert (monitoring["state"], monitoring["evidence"]) == (
        "open", ["no evidence in the project that the deliverable exists"])


def test_a_built_deliverable_is_done_with_its_evidence(tmp_path):
    project = write_tree(tmp_path / "p", {
        "databricks.yml": "bundle:\n  name: p\ntargets:\n  dev:\n    mode: development\n    default: true\n",
        "agent.py": ("import mlflow\nfrom mlflow.pyfunc import ChatAgent\nmlflow.langchain.autolog()\n"
                     "class A(ChatAgent):\n    pass\n"),
        "requirements.txt": "mlflow==3.1.0\n",
        "tests/test_agent.py": "def test_a():\n    assert True\n",
    })
    items = status_items(project)
    assert (items["T05"]["state"], items["T05"]["evidence"][0]) == ("open", "DAB201 at databricks.yml:1")
    assert (items["T07"]["state"], items["T07"]["evidence"]) == ("done", ["1 requirements pinned exactly"])
    assert items["T16"]["state"] == "open"
