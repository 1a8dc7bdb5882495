"""Scaffold completes exactly the deployment jobs rule DAB203 reports: one definition of "deployment job".
A job parameter overrides the task parameter of the same name (Databricks pushes job parameters down to every
task), so what scaffold adds must leave what each task receives unchanged."""

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
    assert "databricks.yml: deployment job `promote_agent` gets job parameters `model_name` (default ``), " \
           "`model_version` (default ``), `queue.enabled: true`, `max_concurrent_runs: 1`" in result.notes
    jobs = yaml.safe_load((root / "databricks.yml").read_text())["resources"]["jobs"]
    assert jobs["promote_agent"]["parameters"] == [{"name": "model_name", "default": ""},
                                                    {"name": "model_version", "default": ""}]
    assert jobs["promote_agent"]["queue"] == {"enabled": True} and jobs["promote_agent"]["max_concurrent_runs"] == 1
    assert set(jobs["nightly_report"]) == {"name", "tasks"}
    assert [f for f in check(str(root)).findings if f.rule_id == "DAB203"] == []


SELF_BUILDING = """bundle:
  name: builder
variables:
  catalog:
    default: main
  model_name:
    default: support_agent
targets:
  dev:
    default: true
  prod:
    variables:
      catalog: prod
resources:
  jobs:
    agent_deploy_job:
      name: agent-deploy
      max_concurrent_runs: 1
      tasks:
        - task_key: deploy_agent
          notebook_task:
            notebook_path: ./src/deployment.py
            base_parameters:
              catalog: ${var.catalog}
              model_name: ${var.model_name}
"""
SELF_BUILDING_CODE = """import mlflow
from databricks import agents

catalog = dbutils.widgets.get("catalog")
model_name = dbutils.widgets.get("model_name")
info = mlflow.pyfunc.log_model(name="agent", python_model="agent.py")
version = mlflow.register_model(info.model_uri, f"{catalog}.agents.{model_name}")
agents.deploy(f"{catalog}.agents.{model_name}", version.version)
"""
VERSION_TAKER = """bundle:
  name: taker
variables:
  catalog:
    default: main
  model_name:
    default: support_agent
targets:
  dev:
    default: true
  prod:
    variables:
      catalog: prod
      model_name: support_agent_prod
resources:
  jobs:
    agent_deployment:
      name: agent-deployment
      tasks:
        - task_key: approval_check
          notebook_task:
            notebook_path: ./src/approve.py
            base_parameters:
              model_name: ${var.catalog}.agents.${var.model_name}
        - task_key: deploy
          depends_on:
            - task_key: approval_check
          notebook_task:
            notebook_path: ./src/deploy.py
            base_parameters:
              model_name: ${var.catalog}.agents.${var.model_name}
"""
TAKER_CODE = {"src/approve.py": "print('approve')\n",
              "src/deploy.py": "from databricks import agents\n\n"
                               "agents.deploy(dbutils.widgets.get('model_name'),\n"
                               "              dbutils.widgets.get('model_version'))\n"}


def _received(root, job_key: str, target: str) -> dict[str, dict[str, str]]:
    """What each task of the job receives when the job is started without parameters, as the CLI resolves the
    target and the Jobs service pushes job parameters down (a job parameter wins over a task parameter)."""
    from dabprp.parse.bundle_load import load_bundle
    from dabprp.rehearse.resolve import load_target

    config = load_target(load_bundle(str(root)), target)
    job = config.resource("jobs", job_key)
    pushed = {p["name"]: p["default"] for p in job.get("parameters", [])}
    return {t["task_key"]: {**t["notebook_task"].get("base_parameters", {}), **pushed} for t in job["tasks"]}


def test_a_job_that_builds_its_own_version_gets_no_version_parameters(tmp_path):
    root = write_tree(tmp_path / "p", {"databricks.yml": SELF_BUILDING, "src/deployment.py": SELF_BUILDING_CODE})
    assert [f for f in check(str(root)).findings if f.rule_id == "DAB203"] == []
    before = {t: _received(root, "agent_deploy_job", t) for t in ("dev", "prod")}
    result = run_scaffold(str(root))
    assert "databricks.yml: deployment job `agent_deploy_job` gets `queue.enabled: true`" in result.notes
    job = yaml.safe_load((root / "databricks.yml").read_text())["resources"]["jobs"]["agent_deploy_job"]
    assert "parameters" not in job
    assert {t: _received(root, "agent_deploy_job", t) for t in ("dev", "prod")} == before
    assert before["prod"] == {"deploy_agent": {"catalog": "prod", "model_name": "support_agent"}}


def test_version_parameters_default_to_what_the_tasks_pass(tmp_path):
    root = write_tree(tmp_path / "p", {"databricks.yml": VERSION_TAKER, **TAKER_CODE})
    assert [f.message for f in check(str(root)).findings if f.rule_id == "DAB203"] == [
        "deployment job `agent_deployment` lacks job parameters model_name, model_version"]
    before = {t: _received(root, "agent_deployment", t) for t in ("dev", "prod")}
    result = run_scaffold(str(root))
    job = yaml.safe_load((root / "databricks.yml").read_text())["resources"]["jobs"]["agent_deployment"]
    assert job["parameters"] == [{"name": "model_name", "default": "${var.catalog}.agents.${var.model_name}"},
                                 {"name": "model_version", "default": ""}]
    after = {t: _received(root, "agent_deployment", t) for t in ("dev", "prod")}
    for target in ("dev", "prod"):
        for task, params in before[target].items():
            assert after[target][task] == {**params, "model_version": ""}
    assert after["prod"]["deploy"]["model_name"] == "prod.agents.support_agent_prod"
    assert any("`model_name` (default `${var.catalog}.agents.${var.model_name}`)" in n for n in result.notes)
    assert [f for f in check(str(root)).findings if f.rule_id == "DAB203"] == []


def test_tasks_passing_different_values_keep_them(tmp_path):
    bundle = VERSION_TAKER.replace("""            notebook_path: ./src/approve.py
            base_parameters:
              model_name: ${var.catalog}.agents.${var.model_name}""", """            notebook_path: ./src/approve.py
            base_parameters:
              model_name: ${var.model_name}""")
    root = write_tree(tmp_path / "p", {"databricks.yml": bundle, **TAKER_CODE})
    before = _received(root, "agent_deployment", "prod")
    result = run_scaffold(str(root))
    job = yaml.safe_load((root / "databricks.yml").read_text())["resources"]["jobs"]["agent_deployment"]
    assert job["parameters"] == [{"name": "model_version", "default": ""}]
    assert _received(root, "agent_deployment", "prod") == {t: {**p, "model_version": ""} for t, p in before.items()}
    assert any("not model_name: its tasks pass different values a job parameter would override" in n
               for n in result.notes)


def test_diff_shows_the_values_a_modified_job_gets(tmp_path):
    from dabprp.diff import diff

    root = write_tree(tmp_path / "p", {"databricks.yml": VERSION_TAKER, **TAKER_CODE})
    report = diff(str(root))
    change = next(c for c in report.changes if c.target == "dev" and c.what == "jobs.agent_deployment")
    assert change.fields == ("max_concurrent_runs", "parameters", "queue")
    assert change.detail == ('max_concurrent_runs: unset → `1`; parameters: unset → `[{"default": '
                             '"main.agents.support_agent", "name": "model_name"}, {"default": "", "name": '
                             '"model_version"}]`; queue: unset → `{"enabled": true}`')
