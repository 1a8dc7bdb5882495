"""Each migration of a deployed target is located at that target's own line, never the bundle's first lines."""

from __future__ import annotations

from dabprp.api import generate, plan, scaffold
from tests.conftest import FIXTURES, copy_project

BUNDLE = """\
# A bundle whose targets sit far below its header.
bundle:
  name: far_targets

variables:
  catalog_name:
    description: catalog

targets:
  dev:
    mode: development
    default: true

  staging:
    variables:
      catalog_name: staging

  prod:
    variables:
      catalog_name: prod
"""


def _migrations(path: str) -> list[tuple[str, str, str]]:
    built, _ = plan(path)
    return [(m.target, str(m.change).split(":")[0][:40], str(m.location)) for m in built.migrations]


def test_target_migrations_point_at_the_targets_own_line(tree):
    root = tree({"databricks.yml": BUNDLE, "agent.py": "import mlflow\n"})
    assert _migrations(str(root)) == [
        ("staging", "mode", "databricks.yml:14"),
        ("prod", "mode", "databricks.yml:18"),
        ("staging", "`run_as`", "databricks.yml:14"),
        ("prod", "`run_as`", "databricks.yml:18"),
        ("staging", "first deploy", "databricks.yml:14"),
    ]
    text, _ = generate(str(root))
    assert "1. Target `staging` (`databricks.yml:14`): `mode: unset` → `mode: production`." in text
    assert "4. Target `prod` (`databricks.yml:18`): `run_as`: the deploying identity → service principal" in text
    assert "5. Target `staging` (`databricks.yml:14`): first deploy: the bundle creates the model" in text


def test_a_scaffolded_bundle_locates_the_first_deploy_at_its_staging_target(tmp_path):
    project = copy_project(FIXTURES / "notebooks", tmp_path / "notebooks")
    text, _ = generate(str(project))
    # no bundle yet: the staging target does not exist, so there is no line to cite
    assert "1. Target `staging` (-): first deploy: the bundle creates the model" in text
    scaffold(str(project))
    assert (project / "databricks.yml").read_text().splitlines()[86] == "  staging:"
    text, _ = generate(str(project))
    assert "1. Target `staging` (`databricks.yml:87`): first deploy: the bundle creates the model" in text
