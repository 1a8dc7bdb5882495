"""What the PRP says about each target's identity and catalog is what the bundle has once scaffolded: scaffold adds
no `run_as` to an existing target, so the PRP says it stays and names the migration that would set it."""

from __future__ import annotations

import yaml

from dabprp.api import generate, plan, scaffold
from tests.conftest import FIXTURES, copy_project


def test_app_agent_existing_targets_keep_their_run_as_and_share_the_dev_catalog(tmp_path):
    project = copy_project(FIXTURES / "app-agent", tmp_path / "app-agent")
    built, _ = plan(str(project))
    assert [(e.name, e.exists, e.run_as, e.catalog) for e in built.environments] == [
        ("dev", True, None, "docs_dev"), ("staging", True, None, "docs_dev"), ("prod", True, None, "docs_dev")]
    text, _ = generate(str(project))
    assert ("| run_as | deploying user | deploying identity (SP `docs-helper-deployer-staging` after the migration) "
            "| deploying identity (SP `docs-helper-deployer-prod` after the migration) |") in text
    assert ("1. Target `staging` (`databricks.yml:27`): `run_as`: the deploying identity → service principal "
            "`docs-helper-deployer-staging`.\n"
            "   1. Give the identity that deploys `staging` the Service Principal User role on "
            "`docs-helper-deployer-staging` (setting `run_as` to a service principal requires it), or deploy as "
            "`docs-helper-deployer-staging` itself, as the CI workflow does with its OAuth credentials.\n"
            "   2. Set `targets.staging.run_as.service_principal_name: ${var.deployer_sp}`.\n"
            "   3. `databricks bundle deploy -t staging`.\n") in text
    assert "2. Target `prod` (`databricks.yml:31`): `run_as`: the deploying identity → service principal " \
           "`docs-helper-deployer-prod`." in text
    assert ("- Pre-production staging environment: the `staging` target (the catalog `docs_dev` of `dev` too, its "
            "own secret scope `docs-helper-staging`; deployed by CI, running as the deploying identity until the "
            "`run_as` migration in 2.1) runs `docs_helper_load_test` after the rollout") in text
    assert ("`databricks bundle validate --strict -t staging` (no PAT, service principal `run_as` once the "
            "migration in 2.1 sets it, grants as in 2.4).") in text
    assert ("- Job configuration: run identity: staging and prod keep today's `run_as` until the migrations in "
            "2.1; concurrent run limits") in text
    assert "`run_as` on staging and prod" not in text and "its own catalog" not in text
    # the bundle scaffold writes agrees: no run_as and no catalog of their own in the existing targets
    scaffold(str(project))
    targets = yaml.safe_load((project / "databricks.yml").read_text())["targets"]
    assert [(name, "run_as" in t, (t.get("variables") or {}).get("catalog")) for name, t in targets.items()] == [
        ("dev", False, None), ("staging", False, None), ("prod", False, None)]


def test_an_existing_target_running_as_a_user_says_so(tree):
    root = tree({"agent.py": "import mlflow\nmlflow.langchain.autolog()\n", "databricks.yml": (
        "bundle:\n  name: users\n"
        "targets:\n"
        "  dev:\n    mode: development\n    default: true\n"
        "  staging:\n    mode: production\n    workspace:\n      root_path: /Workspace/Shared/x\n"
        "    run_as:\n      user_name: ops@example.com\n")})
    built, _ = plan(str(root))
    assert [(e.name, e.run_as, e.run_as_principal) for e in built.environments] == [
        ("dev", None, None), ("staging", "user", "ops@example.com"),
        ("prod", "service_principal", "${var.deployer_sp}")]
    text, _ = generate(str(root))
    assert ("| run_as | deploying user | user `ops@example.com` (SP `users-deployer-staging` after the migration) | "
            "SP `users-deployer-prod` |") in text
    assert ("1. Target `staging` (`databricks.yml:7`): `run_as`: user `ops@example.com` → service principal "
            "`users-deployer-staging`.") in text
    assert ("- Job configuration: service principal authentication (`run_as` on prod and `users_deployment`; "
            "staging keeps today's `run_as` until the migration in 2.1); ") in text
