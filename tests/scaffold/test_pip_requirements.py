"""The build stage pins the project's own `pip_requirements` only when every item is known statically."""

from __future__ import annotations

import pytest

from dabprp.api import plan
from dabprp.scaffold.files import stage_files
from dabprp.settings import Settings
from tests.conftest import write_tree

AGENT = '''import mlflow

MLFLOW = "mlflow==3.1.0"


def log(version):
    mlflow.pyfunc.log_model(name="agent", python_model="agent.py", pip_requirements={pins})
'''


@pytest.mark.parametrize(("pins", "expected"), [
    ('[MLFLOW, "pydantic==2.7.0"]', "PIP_REQUIREMENTS: tuple[str, ...] | None = ('mlflow==3.1.0', 'pydantic==2.7.0',)"),
    # before typed values, the f-string's text `langgraph=={version}` was taken as a literal requirement
    ('["mlflow==3.1.0", f"langgraph=={version}"]', "PIP_REQUIREMENTS: tuple[str, ...] | None = None"),
])
def test_build_stage_pins_only_static_requirements(tmp_path, pins, expected):
    root = write_tree(tmp_path / "p", {"databricks.yml": "bundle:\n  name: pins\n",
                                       "src/deploy.py": AGENT.replace("{pins}", pins)})
    built, project = plan(str(root))
    build = stage_files(built, project, Settings())["src/stages/build.py"]
    assert [line for line in build.splitlines() if line.startswith("PIP_REQUIREMENTS")] == [expected]
