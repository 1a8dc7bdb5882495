"""Exit codes as the README documents them: 0 success, 1 findings, 2 usage or unreadable input."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from dabprp.cli import main
from tests.conftest import EXAMPLE, FIXTURES, copy_project

COMMANDS = [("analyze",), ("generate", "--stdout"), ("generate", "--format", "json", "--stdout"), ("validate",),
            ("check",), ("check", "--format", "sarif"), ("status",), ("scaffold", "--dry-run")]


def run(*args: str):
    return CliRunner().invoke(main, list(args))


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_missing_project_is_exit_2_with_one_line(command, tmp_path):
    result = run(command[0], str(tmp_path / "nope"), *command[1:])
    assert result.exit_code == 2, result.output
    assert result.stderr.count("\n") == 1 and "nope" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_unreadable_bundle_is_exit_2_and_writes_nothing(command, tmp_path):
    project = copy_project(FIXTURES / "broken", tmp_path / "broken")
    if command[0] == "status":  # a PRP written while the bundle still loaded
        good = copy_project(EXAMPLE, tmp_path / "good")
        assert run("generate", str(good), "-o", str(project / "PRPs" / "multi-stage-deployment.md")).exit_code == 0
    before = sorted(p.relative_to(project) for p in project.rglob("*"))
    result = run(command[0], str(project), *command[1:])
    assert result.exit_code == 2, result.output
    assert "resources/bad.yml:5: " in result.stderr and "Traceback" not in result.stderr
    assert sorted(p.relative_to(project) for p in project.rglob("*")) == before


def test_generate_unreadable_root_file_writes_no_prp(tree):
    root = tree({"databricks.yml": "bundle:\n  name: [x\n", "agent.py": "x = 1\n"})
    result = run("generate", str(root))
    assert result.exit_code == 2
    assert result.stderr.startswith("dabprp: databricks.yml:3: fix the bundle first: invalid YAML")
    assert not (root / "PRPs").exists()


def test_success_and_findings_codes(tmp_path, tree):
    assert run("analyze", str(EXAMPLE)).exit_code == 0
    assert run("rules").exit_code == 0
    assert run("validate", str(EXAMPLE)).exit_code == 0
    invalid = tree({"databricks.yml": "bundle:\n  name: x\ntargets:\n  qa:\n    mode: prodution\n"})
    assert run("validate", str(invalid)).exit_code == 1
    assert run("check", str(EXAMPLE)).exit_code == 1
    assert run("check", str(EXAMPLE), "--fail-on", "never").exit_code == 0
    assert run("rules", "DAB999").exit_code == 2
    assert run("check", str(EXAMPLE), "--target", "x", "--all-targets").exit_code == 2
    assert run("verify-refs", str(tmp_path / "missing.md"), "--project", str(EXAMPLE)).exit_code == 2
