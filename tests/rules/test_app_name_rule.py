"""DAB918 judges each app's name as each target resolves it: rows of (bundle, exact hits). Names not known
statically (a lookup, the deploying identity, a variable given at deploy time) are not judged."""

from __future__ import annotations

import pytest

from dabprp.analyze import analyze
from dabprp.rules import run_rules
from tests.conftest import write_tree

TARGETS = ("targets:\n  dev: {default: true, mode: development}\n"
           "  production_west: {mode: production, workspace: {root_path: /Workspace/Shared/x}}\n")


def app(name: str) -> str:
    return f"bundle: {{name: x}}\nresources:\n  apps:\n    a:\n      name: {name}\n      source_code_path: .\n"


ROWS = [
    (app("agent-app-${bundle.target}") + TARGETS,  # valid in dev; the other target's name has an underscore
     [(5, "app `a` deploys as `agent-app-production_west` in target `production_west`: the name has characters "
          "other than lowercase letters, digits and hyphens")]),
    (app("an-agent-application-for-docs-${bundle.target}") + TARGETS.replace("production_west", "prod"),
     [(5, "app `a` deploys as `an-agent-application-for-docs-dev` in target `dev`: the name is 33 characters "
          "long (at most 30)"),
      (5, "app `a` deploys as `an-agent-application-for-docs-prod` in target `prod`: the name is 34 characters "
          "long (at most 30)")]),
    ("variables:\n  app: {default: Docs_App}\n" + app("${var.app}") + TARGETS.replace("production_west", "prod"),
     [(7, "app `a` deploys as `Docs_App` in targets `dev`, `prod`: the name has characters other than lowercase "
          "letters, digits and hyphens")]),
    # a target override with a valid name: only the other target is judged wrong
    (app("Docs") + "targets:\n  dev: {default: true}\n  prod:\n    resources:\n      apps:\n"
     "        a: {name: docs-prod}\n",
     [(5, "app `a` deploys as `Docs` in target `dev`: the name has characters other than lowercase letters, "
          "digits and hyphens")]),
    # silent: valid names, and names not known statically
    (app("docs-app-${bundle.target}") + TARGETS.replace("production_west", "prod"), []),
    (app("${workspace.current_user.short_name}-Docs_App") + TARGETS.replace("production_west", "prod"), []),
    ("variables:\n  app: {description: given at deploy}\n" + app("${var.app}")
     + TARGETS.replace("production_west", "prod"), []),
]


@pytest.mark.parametrize(("bundle", "expected"), ROWS)
def test_app_name_rows(tmp_path, bundle, expected):
    root = write_tree(tmp_path, {"databricks.yml": bundle})
    found = [(f.location.line, f.message) for f in run_rules(analyze(str(root))) if f.rule_id == "DAB918"]
    assert sorted(found) == expected
