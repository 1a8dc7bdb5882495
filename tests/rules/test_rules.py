"""Table-driven rule tests: (rule, project where it fires with path and line, project where it is silent)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from dabprp.analyze import analyze
from dabprp.cli import main
from dabprp.rules import registry, run_rules
from tests.conftest import EXAMPLE, FIXTURES

EX = str(EXAMPLE)
RAG = str(FIXTURES / "rag-apps")
MULTI = str(FIXTURES / "multi-target")

# rule id → (project where it fires, expected (path, line), project where it is silent)
CASES = {
    "DAB101": (EX, ("databricks.yml", 58), MULTI),
    "DAB102": (EX, ("databricks.yml", 58), MULTI),
    "DAB103": (EX, ("databricks.yml", 58), MULTI),
    "DAB105": (EX, ("databricks.yml", 58), MULTI),
    "DAB106": (EX, ("databricks.yml", 19), MULTI),
    "DAB201": (EX, ("databricks.yml", 1), None),
    "DAB203": (EX, ("databricks.yml", 28), RAG),
    "DAB208": (EX, ("databricks.yml", 28), MULTI),
    "DAB210": (EX, ("databricks.yml", 28), None),
    "DAB301": (EX, ("databricks.yml", 41), MULTI),
    "DAB302": (EX, ("databricks.yml", 58), MULTI),
    "DAB303": (EX, ("databricks.yml", 1), RAG),
    "DAB304": (EX, ("src/deployment.py", 82), RAG),
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
    return [(f.location.path, f.location.line) for f in run_rules(analyze(path)) if f.rule_id == rule_id]


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
                "        - task_key: t\n          notebook_task: {notebook_path: ./missing}\n"}, ("databricks.yml", 6)),
    "DAB213": ({"databricks.yml": "bundle: {name: x}\nresources:\n  jobs:\n    j:\n      tasks:\n"
                "        - task_key: deploy\n"}, ("databricks.yml", 1)),
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


def test_registry_has_at_least_30_documented_rules():
    rules = registry()
    assert len(rules) >= 30
    for r in rules.values():
        assert r.rationale and r.fix and r.docs, r.id
        assert r.id.startswith("DAB") and len(r.id) == 6


def test_rules_cli_lists_and_explains():
    runner = CliRunner()
    result = runner.invoke(main, ["rules"])
    assert result.exit_code == 0 and "DAB101" in result.stdout
    result = runner.invoke(main, ["rules", "DAB205"])
    assert result.exit_code == 0 and "max_retries: 0" in result.stdout
    result = runner.invoke(main, ["rules", "DAB999"])
    assert result.exit_code == 2


def test_disabled_rules_from_settings(tree):
    root = tree({"agent.py": "x = 1\n", ".dabprp.yaml": "disabled_rules: [DAB100, DAB8]\n"})
    from dabprp.api import findings

    ids = {f.rule_id for f in findings(analyze(str(root)), str(root))}
    assert "DAB100" not in ids and "DAB801" not in ids and "DAB503" in ids
