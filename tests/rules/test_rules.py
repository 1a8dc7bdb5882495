"""Table-driven rule tests: (rule, project where it fires with path and line, project where it is silent)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from dabprp.analyze import analyze
from dabprp.cli import main
from dabprp.parse.bundle_load import load_bundle
from dabprp.rules import registry, run_rules
from dabprp.rules.bundle_view import target_views, targets_to_check
from tests.conftest import EXAMPLE, FIXTURES

EX = str(EXAMPLE)
RAG = str(FIXTURES / "rag-apps")
MULTI = str(FIXTURES / "multi-target")

# rule id → (project where it fires, expected (path, line), project where it is silent)
CASES = {
    "DAB101": (EX, ("databricks.yml", 58), MULTI),
    "DAB102": (EX, ("databricks.yml", 58), MULTI),
    "DAB103": (EX, ("databricks.yml", 58), MULTI),
    "DAB915": (EX, ("databricks.yml", 58), MULTI),
    "DAB106": (EX, ("databricks.yml", 19), MULTI),
    "DAB201": (EX, ("databricks.yml", 1), None),
    "DAB208": (EX, ("databricks.yml", 28), MULTI),
    "DAB210": (EX, ("databricks.yml", 28), None),
    "DAB301": (EX, ("databricks.yml", 41), MULTI),
    "DAB302": (EX, ("databricks.yml", 58), MULTI),
    "DAB303": (EX, ("databricks.yml", 1), RAG),
    "DAB304": (EX, ("src/deployment.py", 86), RAG),
    "DAB402": (EX, ("databricks.yml", 1), RAG),
    "DAB404": (EX, ("src/deployment.py", 73), None),
    "DAB406": (RAG, ("agent/log_agent.py", 14), EX),
    "DAB408": (EX, ("requirements.txt", 1), RAG),
    "DAB502": (EX, ("src/evaluation.py", 41), RAG),
    "DAB504": (EX, ("data/evals/eval-questions.json", 1), None),
    "DAB506": (EX, ("src/evaluation.py", 41), RAG),
    "DAB601": (EX, ("src/multiagent_genie.py", 25), RAG),
    "DAB602": (EX, ("src/multiagent_genie.py", 135), RAG),
    "DAB603": (EX, ("src/deployment.py", 82), MULTI),
    "DAB604": (EX, ("src/deployment.py", 82), RAG),
    "DAB701": (EX, ("src/configs.yaml", 8), RAG),
    "DAB703": (RAG, ("agent/agent.py", 21), EX),
    "DAB801": (EX, ("tests/", 1), RAG),
    "DAB802": (EX, (".github/workflows/", 1), RAG),
    "DAB803": (RAG, (".github/workflows/ci.yml", 1), EX),
}


def fired(path: str, rule_id: str) -> list[tuple[str, int]]:
    """Where `rule_id` fires: rules over the facts and over every target's effective bundle."""
    found = run_rules(analyze(path), views=target_views(path, load_bundle(path), targets_to_check(
        load_bundle(path), None, True))) if load_bundle(path) else run_rules(analyze(path))
    return [(f.location.path, f.location.line) for f in found if f.rule_id == rule_id]


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_rule_fires_and_stays_silent(rule_id):
    fires_in, where, silent_in = CASES[rule_id]
    assert where in fired(fires_in, rule_id)
    if silent_in:
        assert fired(silent_in, rule_id) == []


INLINE = {
    "DAB100": ({"agent.py": "x = 1\n"}, ("databricks.yml", 1)),
    "DAB104": ({"databricks.yml": "bundle: {name: x}\ntargets:\n  a: {}\n  b: {}\n"}, ("databricks.yml", 3)),
    "DAB205": ({"databricks.yml": "bundle: {name: x}\nresources:\n  jobs:\n    j:\n      tasks:\n"
                "        - task_key: Approval_Check\n          max_retries: 2\n"}, ("databricks.yml", 6)),
    "DAB212": ({"databricks.yml": "bundle: {name: x}\nresources:\n  jobs:\n    j:\n      tasks:\n"
                "        - task_key: t\n          notebook_task: {notebook_path: ./missing}\n"}, ("databricks.yml", 7)),
    "DAB213": ({"databricks.yml": "bundle: {name: x}\nresources:\n  jobs:\n    j:\n      tasks:\n"
                "        - task_key: deploy\n"}, ("databricks.yml", 1)),
    "DAB202": ({"databricks.yml": "bundle: {name: x}\nresources:\n  jobs:\n    j:\n      tasks:\n"
                "        - task_key: train\n"}, ("databricks.yml", 1)),
    "DAB203": ({"databricks.yml": "bundle: {name: x}\nresources:\n  jobs:\n    deploy_job:\n      tasks:\n"
                "        - task_key: approval_check\n"}, ("databricks.yml", 4)),
    "DAB204": ({"databricks.yml": "bundle: {name: x}\nresources:\n  jobs:\n    deploy_job:\n      name: d\n"},
               ("databricks.yml", 4)),
    "DAB206": ({"databricks.yml": "bundle: {name: x}\nresources:\n  jobs:\n    j:\n      tasks:\n"
                "        - task_key: a\n"}, ("databricks.yml", 6)),
    "DAB207": ({"databricks.yml": "bundle: {name: x}\nresources:\n  jobs:\n    j:\n      name: j\n"},
               ("databricks.yml", 4)),
    "DAB209": ({"databricks.yml": "bundle: {name: x}\nresources:\n  jobs:\n    j:\n      name: j\n"},
               ("databricks.yml", 4)),
    "DAB211": ({"databricks.yml": "bundle: {name: x}\nresources:\n  jobs:\n    deploy_job:\n      name: d\n"},
               ("databricks.yml", 4)),
    "DAB307": ({"databricks.yml": "bundle: {name: x}\n",
                "a.py": "token = dbutils.secrets.get(scope='s', key='k')\n"}, ("a.py", 1)),
    "DAB403": ({"databricks.yml": "bundle: {name: x}\nresources:\n  registered_models:\n    m:\n"
                "      name: m\n"}, ("databricks.yml", 4)),
    "DAB405": ({"a.py": "import mlflow\nmlflow.register_model('runs:/x/m', 'c.s.m')\n"}, ("a.py", 2)),
    "DAB407": ({"a.py": "import mlflow\nmlflow.pyfunc.log_model(name='m', python_model='agent.py')\n"},
               ("a.py", 2)),
    "DAB410": ({"a.py": "from databricks import agents\nagents.deploy('c.s.m', 1)\n"}, ("a.py", 2)),
    "DAB505": ({"data/evals/e.jsonl": "".join('{"inputs": {"question": "What was revenue in 20%02d?"}}\n' % i
                                              for i in range(10)),
                "agent.py": "import asyncio\nasync def run(qs):\n    return await asyncio.gather(*qs)\n"},
               ("data/evals/e.jsonl", 1)),
    "DAB305": ({"a.py": 'password = "s3cr3t-value"\n'}, ("a.py", 1)),
    "DAB306": ({".env": "TOKEN=x\n"}, (".env", 1)),
    "DAB401": ({"a.py": "import mlflow\nmlflow.register_model('runs:/x/m', 'my_model')\n"}, ("a.py", 2)),
    "DAB409": ({"requirements.txt": "mlflow==3.1\n", "requirements-dev.txt": "mlflow==3.2\n"},
               ("requirements-dev.txt", 1)),
    "DAB501": ({"a.py": "from mlflow.pyfunc import ResponsesAgent\nclass A(ResponsesAgent):\n  pass\n"}, ("a.py", 2)),
    "DAB503": ({"a.py": "x = 1\n"}, ("data/evals/eval-questions.json", 1)),
    "DAB702": ({"a.py": "from langgraph.graph import StateGraph\ng = StateGraph(dict)\ng.add_node('s', f)\n"
                "g.set_entry_point('s')\ng.add_node('w', w)\ng.add_edge('w', 's')\n"}, ("a.py", 2)),
    "DAB704": ({"a.py": "from langgraph.graph import StateGraph\ng = StateGraph(dict)\n"}, ("a.py", 2)),
}


SILENT = {
    # a deployment job that logs and registers the model itself is not started for a version
    "DAB203": {"databricks.yml": "bundle: {name: x}\nresources:\n  jobs:\n    deploy_job:\n      tasks:\n"
               "        - task_key: deploy\n          spark_python_task: {python_file: ./deploy.py}\n",
               "deploy.py": "import mlflow\nfrom databricks import agents\nv = mlflow.register_model('runs:/r/m', "
                            "'c.s.m')\nagents.deploy('c.s.m', v.version)\n"},
    "DAB202": {"databricks.yml": "bundle: {name: x}\nresources:\n  jobs:\n    j:\n      tasks:\n"
               "        - task_key: evaluate\n"},
    "DAB204": {"databricks.yml": "bundle: {name: x}\nresources:\n  jobs:\n    deploy_job:\n"
               "      max_concurrent_runs: 1\n"},
    "DAB206": {"databricks.yml": "bundle: {name: x}\nresources:\n  jobs:\n    j:\n      tasks:\n"
               "        - task_key: a\n          max_retries: 2\n"},
    "DAB207": {"databricks.yml": "bundle: {name: x}\nresources:\n  jobs:\n    j:\n      timeout_seconds: 60\n"},
    "DAB209": {"databricks.yml": "bundle: {name: x}\nresources:\n  jobs:\n    j:\n      health:\n        rules:\n"
               "          - {metric: RUN_DURATION_SECONDS, op: GREATER_THAN, value: 60}\n"},
    "DAB211": {"databricks.yml": "bundle: {name: x}\nresources:\n  jobs:\n    deploy_job:\n"
               "      queue: {enabled: true}\n"},
    "DAB307": {"databricks.yml": "bundle: {name: x}\nresources:\n  secret_scopes:\n    s: {name: s}\n",
               "a.py": "token = dbutils.secrets.get(scope='s', key='k')\n"},
    "DAB403": {"databricks.yml": "bundle: {name: x}\nresources:\n  registered_models:\n    m:\n      name: m\n"
               "      grants:\n        - {principal: users, privileges: [EXECUTE]}\n"},
    "DAB405": {"a.py": "import mlflow\nmlflow.register_model('runs:/x/m', 'c.s.m')\n"
               "mlflow.MlflowClient().update_registered_model('c.s.m', deployment_job_id='1')\n"},
    "DAB407": {"a.py": "import mlflow\nmlflow.pyfunc.log_model(name='m', python_model='agent.py', resources=[])\n"},
    "DAB410": {"a.py": "x = 1\n"},
    "DAB505": {"data/evals/e.jsonl": "".join('{"inputs": {"question": "Compare A and B in 20%02d"}}\n' % i
                                             for i in range(10)),
               "agent.py": "import asyncio\nasync def run(qs):\n    return await asyncio.gather(*qs)\n"},
    "DAB213": {"databricks.yml": "bundle: {name: x}\nresources:\n  jobs:\n    j:\n      tasks:\n"
               "        - task_key: load_test\n"},
    "DAB501": {"a.py": "import mlflow\nmlflow.genai.evaluate(data=[], scorers=[])\n"},
    "DAB100": {"databricks.yml": "bundle: {name: x}\n"},
    "DAB503": {"data/evals/e.json": '[{"inputs": {"question": "a"}}]'},
    "DAB401": {"a.py": "import mlflow\nmlflow.register_model('runs:/x/m', 'c.s.my_model')\n"},
}


@pytest.mark.parametrize("rule_id", sorted(INLINE))
def test_inline_rule_cases(rule_id, tree):
    files, where = INLINE[rule_id]
    root = tree(files)
    assert where in fired(str(root), rule_id)
    silent = {f"other/{k}": v for k, v in SILENT.get(rule_id, {"ok.py": "x = 1\n"}).items()}
    clean = tree(silent)
    assert fired(str(clean / "other"), rule_id) == []


# IDs whose firing and silent cases live with the engine feature they belong to
ENGINE_TESTED = {
    "DAB000": "test_a_rule_that_raises_becomes_an_internal_error_finding",
    "DAB002": "tests/test_check.py::test_inline_suppression_yaml_and_python_and_unused",
    "DAB900": "tests/validate/test_validate.py::test_schema_error_in_included_file_and_target_override",
    "DAB920": "tests/validate/test_validate.py::test_valid_bundles_pass_and_broken_fails",
    "DAB921": "tests/test_report.py::test_unparseable_source_is_reported_and_skipped_files_are_not",
}


def test_every_rule_has_a_firing_and_a_silent_case():
    from tests.validate.test_validate import CASES as BUNDLE_CASES

    covered = set(CASES) | set(INLINE) | set(BUNDLE_CASES) | set(ENGINE_TESTED)
    assert sorted(set(registry()) - covered) == []


def test_registry_has_at_least_30_documented_rules():
    rules = registry()
    assert len(rules) >= 30
    for r in rules.values():
        assert r.rationale and r.fix, r.id
        # a CLI check refers to the bundle schema and the CLI itself, an engine finding to dabprp
        assert r.docs or r.cli_check or r.id in ENGINE_TESTED, r.id
        assert r.id.startswith("DAB") and len(r.id) == 6


def test_rules_cli_lists_and_explains():
    runner = CliRunner()
    result = runner.invoke(main, ["rules"])
    assert result.exit_code == 0 and "DAB101" in result.stdout
    result = runner.invoke(main, ["rules", "DAB205"])
    assert result.exit_code == 0 and "max_retries: 0" in result.stdout
    result = runner.invoke(main, ["rules", "DAB999"])
    assert result.exit_code == 2


def test_ignored_rules_from_settings(tree):
    root = tree({"agent.py": "x = 1\n", ".dabprp.yaml": "ignore: [DAB100, DAB8]\n"})
    from dabprp.api import run

    ids = {f.rule_id for f in run(str(root)).report.findings}
    assert "DAB100" not in ids and "DAB801" not in ids and "DAB503" in ids


def test_a_rule_that_raises_becomes_an_internal_error_finding(monkeypatch):
    import dataclasses

    import dabprp.rules as rules_module

    broken = dataclasses.replace(registry()["DAB101"], check=lambda project: 1 / 0)
    monkeypatch.setattr(rules_module, "_REGISTRY", [{**registry(), "DAB101": broken}])
    found = [f for f in run_rules(analyze(EX)) if f.rule_id == "DAB000"]
    assert len(found) == 1 and "rule DAB101 failed: ZeroDivisionError" in found[0].message


def test_no_rule_crashes_on_any_project_or_corpus_bundle():
    from tests.conftest import CORPUS

    projects = [EX, RAG, MULTI, str(FIXTURES / "broken"), str(FIXTURES / "never-execute")]
    if CORPUS.is_dir():
        projects += sorted(str(p) for p in CORPUS.iterdir() if p.is_dir())
    from dabprp.api import run
    from dabprp.report import Scope

    for project in projects:
        found = run(project, Scope(all_targets=True)).report.findings
        assert not [f for f in found if f.rule_id == "DAB000"], project
