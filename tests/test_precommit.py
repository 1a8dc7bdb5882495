"""The pre-commit hooks of this repository, run for real with `pre-commit try-repo` in a fixture repository."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dabprp.api import scaffold
from tests.conftest import FIXTURES, ROOT, copy_project

PRE_COMMIT = shutil.which("pre-commit") or str(Path(sys.executable).parent / "pre-commit")
pytestmark = pytest.mark.skipif(not Path(PRE_COMMIT).exists() or not (ROOT / ".git").exists(),
                                reason="pre-commit or a git checkout of dabprp is not available")


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                   env={**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
                        "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"})


def try_repo(project: Path, hook: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PRE_COMMIT_HOME": str(home)}
    return subprocess.run([PRE_COMMIT, "try-repo", str(ROOT), hook, "--all-files"], cwd=project, env=env,
                          capture_output=True, text=True, timeout=900)


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    """One pre-commit cache for the module: the hook environment is built once."""
    return tmp_path_factory.mktemp("pre-commit-home")


def make_repo(tmp_path: Path, clean: bool) -> Path:
    project = tmp_path / "project"
    copy_project(FIXTURES / "rag-apps", project)
    scaffold(str(project), force=True)  # the full pipeline: no deployment gaps of error severity left
    if not clean:
        bundle = project / "databricks.yml"
        bundle.write_text(bundle.read_text().replace("  prod:\n    mode: production", "  prod:\n    mode: prodution"))
    git(project, "init", "-q")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "fixture")
    return project


@pytest.mark.parametrize("hook", ["dabprp-validate", "dabprp-check"])
def test_hooks_pass_on_clean_and_fail_on_seeded_error(hook, tmp_path, home):
    clean = try_repo(make_repo(tmp_path / "clean", clean=True), hook, home)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "Passed" in clean.stdout
    broken = try_repo(make_repo(tmp_path / "broken", clean=False), hook, home)
    assert broken.returncode == 1, broken.stdout + broken.stderr
    assert "Failed" in broken.stdout and "DAB902" in broken.stdout
    assert "databricks.yml" in broken.stdout and "mode `prodution`" in broken.stdout


def test_diff_hook_fails_on_a_renamed_job_key(tmp_path, home):
    project = make_repo(tmp_path / "diff", clean=True)
    unchanged = try_repo(project, "dabprp-diff", home)
    assert unchanged.returncode == 0, unchanged.stdout + unchanged.stderr
    jobs = project / "resources" / "test_job.yml"
    jobs.write_text(jobs.read_text().replace("support_rag_tests:", "support_rag_unit_tests:"))
    git(project, "add", "-A")
    renamed = try_repo(project, "dabprp-diff", home)
    assert renamed.returncode == 1, renamed.stdout + renamed.stderr
    assert "renamed   jobs.support_rag_tests: key `support_rag_tests` → `support_rag_unit_tests`" in renamed.stdout
