"""A scaffolded project gets no finding caused by dabprp's own files: nothing located in a file scaffold wrote,
and no finding that was not there before the scaffold."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from dabprp.api import check, scaffold
from dabprp.report import Scope
from tests.conftest import EXAMPLE, FIXTURES, copy_project

SCAFFOLDABLE = sorted(p.name for p in FIXTURES.iterdir() if p.is_dir() and p.name != "broken")


def findings(path: Path) -> list[tuple[str, str, str]]:
    return [(f.rule_id, f.location.path, f.message) for f in check(str(path), Scope(all_targets=True)).findings]


def per_file(found: list[tuple[str, str, str]]) -> Counter[tuple[str, str]]:
    """How often each rule fires in each file (a message may change when scaffold adds targets)."""
    return Counter((rule, path) for rule, path, _ in found)


@pytest.mark.parametrize("name", ["multiagent-genie", *SCAFFOLDABLE])
def test_scaffold_adds_no_finding(name, tmp_path):
    project = copy_project(EXAMPLE if name == "multiagent-genie" else FIXTURES / name, tmp_path / name)
    before = findings(project)
    result = scaffold(str(project))
    created = {c.path for c in result.of("create")}
    assert "src/stages/deploy.py" in created or "src/stages/build.py" in created
    after = findings(project)
    assert sorted(f for f in after if f[1] in created) == []
    assert sorted((per_file(after) - per_file(before)).elements()) == []


def test_build_logs_with_the_projects_declared_resources(tmp_path):
    project = copy_project(EXAMPLE, tmp_path / "example")
    scaffold(str(project))
    text = (project / "src" / "stages" / "build.py").read_text()
    assert "# What the serving endpoint gets credentials for, as the project's own `log_model` at " \
           "src/deployment.py:47\n" in text
    entries = ("    ('DatabricksServingEndpoint', {'endpoint_name': {'config_key': "
               "'agent_configs.llm.endpoint_name'}}),",
               "    ('DatabricksGenieSpace', {'genie_space_id': {'config_key': 'databricks_configs.genie_space_id'}}),",
               "    ('DatabricksSQLWarehouse', {'warehouse_id': {'config_key': "
               "'databricks_configs.sql_warehouse_id'}}),")
    assert "RESOURCES: tuple[tuple[str, dict[str, dict[str, Any]]], ...] = (\n" + "\n".join(entries) + "\n)\n" in text
    assert "            resources=declared_resources(config),\n" in text
