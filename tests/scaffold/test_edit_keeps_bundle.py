"""Scaffold edits the user's bundle, never replaces it: names reused, deployed resources and state kept, fixpoint."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from dabprp.api import plan as build_plan
from dabprp.api import scaffold, validate
from dabprp.parse.bundle_load import effective_tree, load_bundle
from tests.conftest import EXAMPLE, FIXTURES, write_tree
from tests.conftest import copy_into as copy
from tests.conftest import file_bytes as snapshot

PROJECTS = {"deployed-edit": FIXTURES / "deployed-edit", "multi-target": FIXTURES / "multi-target",
            "rag-apps": FIXTURES / "rag-apps", "multiagent-genie": EXAMPLE}
STATE_KEYS = ("host", "root_path", "state_path")
DEFAULT_ROOT = "~/.bundle/${bundle.name}/${bundle.target}"


def deployed(root: Path) -> dict[str, Any]:
    """Per target: every resource's name, the variables' values, the state location and the included files."""
    loaded = load_bundle(str(root))
    assert loaded is not None
    out: dict[str, Any] = {"includes": [i.pattern for i in loaded.includes],
                           "files": sorted(f for i in loaded.includes for f in i.files),
                           "variables": {k: (v or {}).get("default", (v or {}).get("lookup"))
                                         for k, v in (loaded.tree.get("variables") or {}).items()}}
    for target in loaded.tree.get("targets") or {}:
        tree, _ = effective_tree(loaded, target)
        spec = loaded.tree["targets"][target] or {}
        workspace = tree.get("workspace") or {}
        out[target] = {
            "resources": {(rtype, key): (body or {}).get("name")
                          for rtype, items in (tree.get("resources") or {}).items()
                          for key, body in (items or {}).items()},
            "variables": dict(spec.get("variables") or {}),
            "mode": spec.get("mode"), "run_as": tree.get("run_as"),
            "state": {k: workspace.get(k) for k in STATE_KEYS},
        }
    return out


def errors(root: Path) -> set[tuple[str, str, str]]:
    report = validate(str(root), all_targets=True)
    return {(f.rule_id, f.location.path, f.message) for f in report.findings if f.severity.value == "error"}


@pytest.mark.parametrize("name", sorted(PROJECTS))
def test_scaffold_keeps_everything_deployed(name, tmp_path):
    project = copy(PROJECTS[name], tmp_path)
    before, errors_before = deployed(project), errors(project)
    scaffold(str(project))
    after = deployed(project)
    assert after["includes"][:len(before["includes"])] == before["includes"]
    assert set(before["files"]) <= set(after["files"])
    assert {k: after["variables"][k] for k in before["variables"]} == before["variables"]
    for target in (k for k in before if k not in ("includes", "files", "variables")):
        old, new = before[target], after[target]
        assert {k: new["resources"].get(k) for k in old["resources"]} == old["resources"], target
        assert {k: new["variables"].get(k) for k in old["variables"]} == old["variables"], target
        assert (new["mode"], new["run_as"]) == (old["mode"], old["run_as"]), target
        for key in STATE_KEYS:  # a production target gets today's default root written out: same place
            assert new["state"][key] == old["state"][key] or (
                key == "root_path" and old["state"][key] is None and new["state"][key] == DEFAULT_ROOT), target
    assert errors(project) <= errors_before


@pytest.mark.parametrize("name", sorted(PROJECTS))
def test_second_scaffold_changes_no_byte_and_plan_is_a_fixpoint(name, tmp_path):
    project = copy(PROJECTS[name], tmp_path)
    first, _ = build_plan(str(project))
    scaffold(str(project))
    second, _ = build_plan(str(project))
    # the same environments; only whether each target was there before the first scaffold differs
    # only what the bundle now says differs: the targets exist, and it names the catalogs and schemas it uses
    same = {"exists": False, "root_path_exists": False, "current_mode": None, "catalog_chosen": False,
            "schema_chosen": False}
    assert [replace(e, **same) for e in second.environments] == [replace(e, **same) for e in first.environments]
    assert second.jobs == first.jobs
    assert second.gates == first.gates and second.eval_checks == first.eval_checks
    assert second.bundle_files[1:] == first.bundle_files[1:]
    # lines move when scaffold inserts above a target; the migrations themselves are the same
    assert [replace(m, location=None) for m in second.migrations] == [
        replace(m, location=None) for m in first.migrations]
    before = snapshot(project)
    result = scaffold(str(project))
    assert [c.path for c in result.changes if c.kind != "identical"] == []
    assert snapshot(project) == before  # the manifest included


def test_project_names_are_reused_not_added(tmp_path):
    project = copy(FIXTURES / "deployed-edit", tmp_path)
    plan, _ = build_plan(str(project))
    scaffold(str(project))
    root = yaml.safe_load((project / "databricks.yml").read_text())
    assert not {"catalog", "schema", "model_name", "llm_endpoint", "deployer_sp"} & set(root["variables"])
    jobs = (project / "resources" / "build_job.yml").read_text()
    model_ref = "${resources.registered_models.claims_model"
    assert f"{model_ref}.catalog_name}}.{model_ref}.schema_name}}.{model_ref}.name}}" in jobs
    assert "--catalog\n          - ${var.uc_catalog}" in (project / "resources" / "test_job.yml").read_text()
    model = yaml.safe_load((project / "resources" / "model.yml").read_text())
    assert set(model["resources"]) == {"secret_scopes"}  # the model and the experiment exist
    assert not (project / "resources" / "serving.yml").exists()  # the endpoint and the app exist
    assert root["targets"]["prod"]["resources"]["jobs"]["claims_assistant_deployment"]["run_as"] == {
        "service_principal_name": "${var.runner_sp}"}
    reused = {(e.label, str(e.value).split(" ")[0], str(e.location)) for e in plan.reused}
    assert {("variable for the catalog", "uc_catalog", "databricks.yml:9"),
            ("variable for the schema", "uc_schema", "databricks.yml:12"),
            ("variable for the deployer", "runner_sp", "databricks.yml:18"),
            ("experiment", "claims_experiment", "resources/ml/model.yml:8"),
            ("serving endpoint", "claims_endpoint", "resources/ml/serving/endpoint.yml:3"),
            ("include glob", "./resources/**/*.yml", "databricks.yml:6")} <= reused
    # the principal the project's targets already run as, not an invented one
    assert [e.service_principal for e in plan.environments[1:]] == ["22222222-3333-4444-5555-666666666666"] * 2
    assert [(m.target, str(m.location)) for m in plan.migrations] == [
        ("staging", "databricks.yml:28"), ("prod", "databricks.yml:37")]


def test_prp_names_what_it_reused_and_the_ordered_migration(tmp_path):
    from dabprp.api import generate

    text, _ = generate(str(copy(FIXTURES / "deployed-edit", tmp_path)))
    assert "- variable for the catalog: `uc_catalog` (registered model `claims_model` uses it as its catalog " \
           "(resources/ml/model.yml:3)) (`databricks.yml:9`)" in text
    assert "1. Target `staging` (`databricks.yml:28`): deploying identity → the service principal (CI)" in text
    assert ("   2. With the service principal's credentials, for each resource: `databricks bundle deployment bind "
            "<key> <id> -t staging --auto-approve`") in text


def test_lookups_only_in_targets_that_use_them_and_account_groups(tmp_path):
    project = copy(FIXTURES / "multi-target", tmp_path)
    scaffold(str(project))
    root = yaml.safe_load((project / "databricks.yml").read_text())
    assert root["variables"]["deployer_sp"].get("lookup") is None
    assert "deployer_sp" not in str(root["targets"]["dev"])
    assert root["targets"]["prod"]["variables"]["deployer_sp"] == "11111111-2222-3333-4444-555555555555"
    text = "".join(p.read_text() for p in sorted((project / "resources").glob("*.yml")))
    assert "${var.deployer_sp}" not in text  # only the production targets reference the deployer
    model = yaml.safe_load((project / "resources" / "model.yml").read_text())
    grants = model["resources"]["registered_models"]["ticket_triage_model"]["grants"]
    assert grants[0] == {"principal": "account users", "privileges": ["EXECUTE"]}


BUNDLE_WITH_JOB_FOLDER = """\
bundle:
  name: folder-bot
include:
  - resources/jobs/*.yml
variables:
  catalog_name:
    default: bots
targets:
  dev:
    mode: development
    default: true
"""


def test_new_files_go_where_an_include_glob_matches(tmp_path):
    project = write_tree(tmp_path / "p", {
        "databricks.yml": BUNDLE_WITH_JOB_FOLDER,
        "resources/jobs/etl.yml": "resources:\n  jobs:\n    etl:\n      name: etl\n",
        "resources/old_unused.yml": "resources:\n  jobs:\n    old:\n      name: never deployed\n",
        "agent.py": "import os\nfrom databricks_langchain import ChatDatabricks\n"
                    "llm = ChatDatabricks(endpoint=os.environ['LLM'])\n",
    })
    scaffold(str(project))
    root = yaml.safe_load((project / "databricks.yml").read_text())
    assert root["include"] == ["resources/jobs/*.yml"]  # already covers the new files
    job = yaml.safe_load((project / "resources" / "jobs" / "test_job.yml").read_text())
    task = job["resources"]["jobs"]["folder_bot_tests"]["tasks"][0]
    assert task["spark_python_task"]["python_file"] == "../../src/stages/run_tests.py"
    assert (project / task["spark_python_task"]["python_file"].replace("../../", "")).exists()
    assert "llm_endpoint" not in root["variables"]  # computed at run time: no `default: None`
    assert "catalog" not in root["variables"] and "${var.catalog_name}" in (
        project / "resources" / "jobs" / "test_job.yml").read_text()
    assert validate(str(project), all_targets=True).errors == 0


def test_include_list_is_extended_with_our_files_when_a_glob_would_pick_up_strangers(tmp_path):
    project = write_tree(tmp_path / "p", {
        "databricks.yml": "bundle:\n  name: lone\ninclude:\n  - jobs.yml\n",
        "jobs.yml": "resources:\n  jobs:\n    etl:\n      name: etl\n",
        "resources/draft.yml": "resources:\n  jobs:\n    draft:\n      name: not deployed\n",
    })
    scaffold(str(project))
    root = yaml.safe_load((project / "databricks.yml").read_text())
    assert root["include"][0] == "jobs.yml"
    assert "resources/draft.yml" not in root["include"] and "resources/*.yml" not in root["include"]
    assert "resources/test_job.yml" in root["include"]


def test_a_target_without_mode_becomes_production_without_destroying_anything(tmp_path):
    from dabprp.api import generate

    project = write_tree(tmp_path / "p", {"databricks.yml": (
        "bundle:\n  name: plain\nresources:\n  registered_models:\n    model:\n      catalog_name: main\n"
        "      schema_name: agents\n      name: plain\ntargets:\n  dev:\n    mode: development\n    default: true\n"
        "  staging:\n    workspace:\n      host: https://example.cloud.databricks.com\n"
        "  prod:\n    mode: development\n")})
    built, _ = build_plan(str(project))
    staging = next(m for m in built.migrations if m.target == "staging")
    assert str(staging.change) == "mode: unset → mode: production"
    assert [str(s) for s in staging.steps] == [
        "Set targets.staging.mode: production and workspace.root_path: ~/.bundle/${bundle.name}/${bundle.target} "
        "(the CLI's default written out: the state stays where it is; production mode requires an explicit root).",
        "databricks bundle validate --strict -t staging, then databricks bundle deploy -t staging."]
    assert str(staging.cost).startswith("none: only development mode renames resources")
    prod = next(m for m in built.migrations if m.target == "prod")  # development → production renames
    assert any("bundle destroy -t prod" in str(s) for s in prod.steps)
    text, _ = generate(str(project))
    assert "bundle destroy -t staging" not in text
