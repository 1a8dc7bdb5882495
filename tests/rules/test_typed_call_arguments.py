"""Rules decide on typed call arguments (`MlflowCall.arguments`), not on display summaries: a literal list is
judged item by item, a list computed at run time is not judged, and an argument's presence is its key."""

from __future__ import annotations

from dabprp.analyze import analyze
from dabprp.rules import run_rules
from tests.conftest import write_tree


def findings(root, rule_id):
    return sorted((f.location.path, f.location.line, f.message) for f in run_rules(analyze(str(root)))
                  if f.rule_id == rule_id)


def test_pip_requirements_literal_items_are_judged_computed_lists_are_not(tmp_path):
    root = write_tree(tmp_path, {
        "requirements.txt": "mlflow==3.1\n",
        "a.py": "import mlflow\n"
                "mlflow.pyfunc.log_model(name='m', python_model='a.py', pip_requirements=['mlflow==3.2', 'x'])\n"
                "mlflow.pyfunc.log_model(name='m', python_model='a.py', pip_requirements=load_pins())\n",
    })
    assert findings(root, "DAB409") == [("a.py", 2, "`mlflow` is pinned to 3.1, 3.2")]


def test_declared_resources_and_deployment_link_are_read_from_argument_keys(tmp_path):
    root = write_tree(tmp_path, {
        "a.py": "import mlflow\nfrom mlflow import MlflowClient\n"
                "mlflow.pyfunc.log_model(name='m', python_model='a.py', resources=declared())\n"
                "v = mlflow.register_model('runs:/r/m', 'c.s.m')\n"
                "MlflowClient().update_registered_model('c.s.m', deployment_job_id=job_id())\n",
    })
    assert findings(root, "DAB407") == [] and findings(root, "DAB405") == []
    bare = write_tree(tmp_path / "bare", {
        "a.py": "import mlflow\nmlflow.pyfunc.log_model(name='m', python_model='a.py')\n"
                "v = mlflow.register_model('runs:/r/m', 'c.s.m')\n",
    })
    assert [r[:2] for r in findings(bare, "DAB407")] == [("a.py", 2)]
    assert [r[:2] for r in findings(bare, "DAB405")] == [("a.py", 3)]
