"""DAB401 judges the registered model name only when it is known statically (typed call arguments)."""

from __future__ import annotations

import pytest

from dabprp.analyze import analyze
from dabprp.rules import run_rules
from tests.conftest import write_tree


@pytest.mark.parametrize(("code", "expected"), [
    ("mlflow.register_model('runs:/x/m', 'my_model')\n", [("a.py", 3, "`register_model` name `my_model` is not a "
                                                                      "Unity Catalog name")]),
    # a constant folds: its value is judged
    ("NAME = 'my_model'\nmlflow.register_model('runs:/x/m', name=NAME)\n",
     [("a.py", 4, "`register_model` name `my_model` is not a Unity Catalog name")]),
    ("NAME = 'c.s.my_model'\nmlflow.register_model('runs:/x/m', NAME)\n", []),
    # computed at run time: not judged (the summary `<model_name>` was taken for a non-UC name)
    ("def reg(model_name):\n    mlflow.register_model('runs:/x/m', model_name)\n", []),
    # the UC registry set from a constant
    ("URI = 'databricks-uc'\nmlflow.set_registry_uri(URI)\nmlflow.register_model('runs:/x/m', 'my_model')\n", []),
])
def test_register_name_is_judged_only_when_known(tmp_path, code, expected):
    root = write_tree(tmp_path / "p", {"a.py": "import mlflow\n\n" + code})
    found = [(f.location.path, f.location.line, f.message) for f in run_rules(analyze(str(root)))
             if f.rule_id == "DAB401"]
    assert found == expected
