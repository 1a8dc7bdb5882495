"""The plan's own bundle files never land on a file that declares the project's resources (scaffold would keep
that file, and the plan's resources would be declared nowhere)."""

from __future__ import annotations

from dabprp.api import plan, scaffold


def test_the_plan_s_files_go_beside_a_project_file_of_the_same_name(tree):
    root = tree({
        "databricks.yml": "bundle:\n  name: helper\ninclude:\n  - resources/*.yml\n",
        "resources/serving.yml": "resources:\n  jobs:\n    nightly:\n      name: nightly\n",
        "resources/test_job.yml": "resources:\n  jobs:\n    smoke:\n      name: smoke\n",
        "resources/model.yml": "",  # the project's file, though it declares nothing: scaffold would keep it
        "agent.py": "import mlflow\nmlflow.langchain.autolog()\n",
    })
    built, _ = plan(str(root))
    assert sorted(b.file for b in built.bundle_files) == [
        "databricks.yml", "resources/build_job.yml", "resources/dabprp_model.yml", "resources/dabprp_serving.yml",
        "resources/dabprp_test_job.yml", "resources/deployment_job.yml", "resources/link_job.yml",
        "resources/load_test_job.yml"]
    scaffold(str(root), force=True)
    assert (root / "resources/serving.yml").read_text() == "resources:\n  jobs:\n    nightly:\n      name: nightly\n"
    assert "model_serving_endpoints:\n    helper_endpoint:" in (root / "resources/dabprp_serving.yml").read_text()
    assert "helper_tests:" in (root / "resources/dabprp_test_job.yml").read_text()
    assert "smoke:" in (root / "resources/test_job.yml").read_text()
    assert (root / "resources/model.yml").read_text() == ""
    again = scaffold(str(root))
    assert {c.kind for c in again.changes} == {"identical"}  # the plan's files are its own on a second run
