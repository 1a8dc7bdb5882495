"""`dabprp diff` through a real git repository: unchanged, renamed keys, moved state, dropped includes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from dabprp.api import plan, scaffold
from dabprp.diff import diff
from tests.conftest import EXAMPLE, FIXTURES, copy_project, write_tree

GIT_ENV = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.com", "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_SYSTEM": os.devnull}


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True,
                          env=GIT_ENV).stdout


def committed(src: Path, repo: Path, sub: str = "") -> Path:
    """`src` copied into a fresh git repository (under `sub`) and committed."""
    project = repo / sub if sub else repo
    copy_project(src, project)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "deployed")
    return project


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "dabprp", "diff", *args], capture_output=True, text=True)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def changes(project: Path, *args: str) -> tuple[int, list[tuple[str, str, str]]]:
    result = run(str(project), "--format", "json", *args)
    assert result.stderr == ""
    data = json.loads(result.stdout)
    return result.returncode, [(c["target"], c["action"], c["what"]) for c in data["changes"]]


def test_unchanged_bundle_exits_0(tmp_path):
    project = committed(FIXTURES / "deployed-edit", tmp_path / "repo")
    result = run(str(project), "--base", "HEAD")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines() == [
        "dabprp diff: git HEAD → working tree", "target dev: no changes", "target staging: no changes",
        "target prod: no changes", "nothing deployed is destroyed, recreated or moved"]


def test_renamed_job_key_is_destroy_and_create(tmp_path):
    project = committed(FIXTURES / "deployed-edit", tmp_path / "repo")
    edit(project / "resources" / "jobs" / "nightly.yml", "claims_nightly:", "claims_nightly_v2:")
    code, found = changes(project, "--base", "HEAD", "--target", "staging")
    assert (code, found) == (1, [("staging", "renamed", "jobs.claims_nightly")])
    text = run(str(project), "--base", "HEAD", "-t", "prod").stdout
    assert "  -/+ renamed   jobs.claims_nightly: key `claims_nightly` → `claims_nightly_v2`: the deployment destroys " \
           "`claims_nightly` and creates `claims_nightly_v2`  [resources/jobs/nightly.yml:3]" in text
    assert run(str(project), "--base", "HEAD", "--allow-destroy").returncode == 0


def test_moved_root_path_is_a_state_move(tmp_path):
    project = committed(FIXTURES / "multi-target", tmp_path / "repo")
    edit(project / "databricks.yml", "root_path: /Workspace/Shared/.bundle/${bundle.name}/${bundle.target}\n"
         "    variables:\n      catalog: triage_prod",
         "root_path: /Workspace/Shared/triage/${bundle.target}\n    variables:\n      catalog: triage_prod")
    code, found = changes(project, "--base", "HEAD", "--all-targets")
    assert (code, found) == (1, [("prod", "moved", "workspace.root_path")])
    detail = json.loads(run(str(project), "--base", "HEAD", "--format", "json").stdout)["changes"][0]["detail"]
    assert detail.startswith("`/Workspace/Shared/.bundle/ticket-triage/prod` → `/Workspace/Shared/triage/prod`")


def test_default_root_written_out_is_not_a_move_but_a_new_host_is(tmp_path):
    project = committed(FIXTURES / "deployed-edit", tmp_path / "repo")
    edit(project / "databricks.yml", "      host: https://adb-2222222222222222.2.azuredatabricks.net\n",
         "      host: https://adb-2222222222222222.2.azuredatabricks.net\n"
         "      root_path: ~/.bundle/${bundle.name}/${bundle.target}\n")
    assert changes(project, "--base", "HEAD") == (0, [])
    edit(project / "databricks.yml", "adb-2222222222222222.2", "adb-4444444444444444.4")
    code, found = changes(project, "--base", "HEAD")
    assert (code, found) == (1, [("staging", "moved", "workspace.host")])


def test_dropped_include_and_dropped_override_destroy_what_they_deployed(tmp_path):
    project = committed(FIXTURES / "deployed-edit", tmp_path / "repo", sub="bundles/claims")
    edit(project / "databricks.yml", "  - ./resources/**/*.yml", "  - ./resources/*.yml\n  - ./resources/jobs/*.yml")
    edit(project / "databricks.yml", "      uc_schema: assistant_prod\n", "")
    code, found = changes(project, "--base", "HEAD", "-t", "prod")
    assert code == 1
    # the experiment survives in prod: the target's own override still defines it
    assert found == [("prod", "deleted", "apps.claims_ui"),
                     ("prod", "deleted", "model_serving_endpoints.claims_endpoint"),
                     ("prod", "deleted", "registered_models.claims_model"), ("prod", "modified", "jobs.claims_nightly")]
    # the include is fine again; only the schema override is gone: the model moves schema (recreated)
    edit(project / "databricks.yml", "  - ./resources/*.yml\n  - ./resources/jobs/*.yml", "  - ./resources/**/*.yml")
    code, found = changes(project, "--base", "HEAD", "-t", "prod")
    assert (code, found[-1]) == (1, ("prod", "recreated", "registered_models.claims_model"))
    data = json.loads(run(str(project), "--base", "HEAD", "-t", "prod", "--format", "json").stdout)
    model = next(c for c in data["changes"] if c["what"] == "registered_models.claims_model")
    assert model["fields"] == ["schema_name"] and model["detail"] == "schema_name: `assistant_prod` → `assistant`"


@pytest.mark.parametrize("name,src", [("deployed-edit", FIXTURES / "deployed-edit"),
                                      ("multi-target", FIXTURES / "multi-target"),
                                      ("rag-apps", FIXTURES / "rag-apps"), ("multiagent-genie", EXAMPLE)])
def test_scaffold_destroys_nothing(name, src, tmp_path):
    project = copy_project(src, tmp_path / name)
    report = diff(str(project))
    assert report.destructive == ()
    created = {c.what for c in report.changes if c.action == "created"}
    assert any(w.endswith("_build") for w in created)
    assert run(str(project)).returncode == 0
    # and after writing it, the committed history agrees
    scaffold(str(project))
    assert diff(str(project)).changes == ()


def test_bad_input_exits_2_with_one_line(tmp_path):
    project = committed(FIXTURES / "multi-target", tmp_path / "repo")
    for args, message in [
        ((str(project), "--base", "no-such-ref"), "`no-such-ref` is not a commit in this repository"),
        ((str(project), "--target", "qa"), "no target named `qa` (targets: dev, prod, staging)"),
        ((str(tmp_path / "missing"),), "no such directory"),
    ]:
        result = run(*args)
        assert result.returncode == 2 and result.stdout == ""
        assert len(result.stderr.splitlines()) == 1 and message in result.stderr, result.stderr
    plain = write_tree(tmp_path / "plain", {"databricks.yml": "bundle:\n  name: x\n"})
    result = run(str(plain), "--base", "HEAD")
    assert result.returncode == 2 and "Traceback" not in result.stderr and len(result.stderr.splitlines()) == 1
    bad = write_tree(tmp_path / "bad", {"databricks.yml": "bundle: [\n"})
    result = run(str(bad))
    assert result.returncode == 2 and result.stderr.startswith("dabprp: databricks.yml:")


def test_force_never_overwrites_a_bundle_file_that_would_drop_resources(tmp_path, monkeypatch):
    """The plan puts its files beside project files (`free_paths`); were it to name one anyway, `--force` would
    still keep a file whose resources the overwrite would drop."""
    from dabprp.plan import build

    monkeypatch.setattr(build, "free_paths", lambda project, ours: lambda path: path)
    project = write_tree(tmp_path / "p", {
        "databricks.yml": "bundle:\n  name: forced\n",
        "resources/build_job.yml": "resources:\n  registered_models:\n    mine:\n      name: m\n"
                                   "      catalog_name: c\n      schema_name: s\n",
    })
    result = scaffold(str(project), force=True)
    kept = next(c for c in result.changes if c.path == "resources/build_job.yml")
    assert (kept.kind, kept.reason) == ("conflict", "kept: overwriting it would destroy registered_models.mine")
    assert "mine:" in (project / "resources" / "build_job.yml").read_text()


def test_a_bundle_without_targets_keeps_its_implicit_default_deployment(tmp_path):
    repo = tmp_path / "repo"
    write_tree(repo, {"databricks.yml": "bundle:\n  name: lone\n\nresources:\n  jobs:\n    etl:\n      name: etl\n"
                                        "      tasks:\n        - task_key: t\n          notebook_task:\n"
                                        "            notebook_path: ./nb.py\n", "nb.py": "print(1)\n"})
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "deployed as the implicit default target")
    assert diff(str(repo)).destructive == ()
    first, _ = plan(str(repo))
    scaffold(str(repo))
    second, _ = plan(str(repo))
    # only what the bundle now says differs: the targets exist, and it names the catalogs and schemas it uses
    same = {"exists": False, "root_path_exists": False, "current_mode": None, "catalog_chosen": False,
            "schema_chosen": False}
    assert [replace(e, **same) for e in second.environments] == [replace(e, **same) for e in first.environments]
    assert [replace(m, location=None) for m in second.migrations] == [
        replace(m, location=None) for m in first.migrations]
    assert str(first.migrations[0].change).startswith("mode: unset → mode: development (the bundle's implicit")
    code, found = changes(repo, "--base", "HEAD", "-t", "dev")
    assert code == 0 and ("dev", "deleted", "jobs.etl") not in found
    assert [c for c in found if c[1] != "created"] == []  # no top-level permissions: nothing existing changes
    again = scaffold(str(repo), dry_run=True)
    assert [c.path for c in again.changes if c.kind != "identical"] == []


def test_a_bundle_without_a_name_was_never_deployed_so_nothing_moves(tmp_path):
    from dabprp.diff.compare import compare
    from dabprp.diff.deployed import deployed
    from dabprp.diff.sources import Overlay, WorkingTree

    project = write_tree(tmp_path / "p", {"databricks.yml": "resources:\n  jobs:\n    a:\n      name: a\n"})
    tree = WorkingTree(str(project))
    named = Overlay(tree, {"databricks.yml": "bundle:\n  name: n\nresources:\n  jobs:\n    a:\n      name: a\n"})
    assert compare(deployed(tree), deployed(named)).changes == ()
    renamed = Overlay(tree, {"databricks.yml": "bundle:\n  name: n\n"})
    assert [(c.action, c.what) for c in compare(deployed(named), deployed(renamed)).changes] == [
        ("deleted", "jobs.a")]
