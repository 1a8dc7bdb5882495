"""Scaffold completes exactly the deployment jobs rule DAB203 reports: one definition of "deployment job"."""

from __future__ import annotations

import yaml

from dabprp.api import check
from dabprp.api import scaffold as run_scaffold
from tests.conftest import write_tree

BUNDLE = """bundle:
  name: promoter
targets:
  dev:
    mode: development
    default: true
resources:
  jobs:
    promote_agent:
      name: promote-agent
      tasks:
        - task_key: push
          spark_python_task:
            python_file: src/promote.py
    nightly_report:
      name: nightly-report
      tasks:
        - task_key: report
          spark_python_task:
            python_file: src/report.py
"""
PROMOTE = """from databricks import agents

agents.deploy("main.agents.promoter", 3)
"""


def test_a_job_that_deploys_in_code_gets_the_deployment_job_keys(tmp_path):
    root = write_tree(tmp_path / "p", {"databricks.yml": BUNDLE, "src/promote.py": PROMOTE,
                                       "src/report.py": "print('report')\n"})
    before = [(f.rule_id, f.location.path, f.location.line, f.message) for f in check(str(root)).findings
              if f.rule_id == "DAB203"]
    assert before == [("DAB203", "databricks.yml", 9,
                       "deployment job `promote_agent` lacks job parameters model_name, model_version")]
    result = run_scaffold(str(root))
    assert any("`promote_agent` gets the missing model_name/model_version parameters" in n for n in result.notes)
    jobs = yaml.safe_load((root / "databricks.yml").read_text())["resources"]["jobs"]
    assert jobs["promote_agent"]["parameters"] == [{"name": "model_name", "default": ""},
                                                    {"name": "model_version", "default": ""}]
    assert jobs["promote_agent"]["queue"] == {"enabled": True} and jobs["promote_agent"]["max_concurrent_runs"] == 1
    assert set(jobs["nightly_report"]) == {"name", "tasks"}
    assert [f for f in check(str(root)).findings if f.rule_id == "DAB203"] == []
