"""The last hardening points: `-o` never replaces a file that is not a dabprp report without --force; temp
files of a killed write are removed by the next locked run; settings are read inside the project only;
integers longer than Python converts are a clear `path:line`; raw HTML from project values never renders in
the PRP."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

from dabprp.render.own_output import is_dabprp_report
from tests.conftest import EXAMPLE, copy_project
from tests.hardening.test_limits_and_crashes import BUNDLE, cli

HUGE = "9" * 5_000


# ---- -o onto an existing file ------------------------------------------------------------------------------

@pytest.mark.parametrize("args", [["analyze", "--format", "json"], ["analyze"], ["check", "--format", "sarif"],
                                  ["check", "--format", "json"], ["check"], ["check", "--format", "github"]])
def test_output_onto_a_file_dabprp_did_not_write_needs_force(tmp_path, args):
    root = copy_project(EXAMPLE, tmp_path / "p")
    target = root / "README.md"
    before = target.read_bytes()
    proc = cli(args[0], root, *args[1:], "-o", target, "--fail-on", "never") if args[0] == "check" else \
        cli(args[0], root, *args[1:], "-o", target)
    assert proc.returncode == 2
    assert proc.stderr == f"dabprp: {target}: exists and is not a report dabprp wrote; --force replaces it\n"
    assert target.read_bytes() == before
    assert not [p for p in root.rglob(".dabprp-*")]
    forced = cli(*args[:1], root, *args[1:], "-o", target, "--force", *(["--fail-on", "never"]
                                                                         if args[0] == "check" else []))
    assert forced.returncode == 0, forced.stderr
    written = target.read_text(encoding="utf-8")
    assert is_dabprp_report(written)
    again = cli(*args[:1], root, *args[1:], "-o", target, *(["--fail-on", "never"] if args[0] == "check" else []))
    assert again.returncode == 0, again.stderr  # its own report is replaced without --force
    assert target.read_text(encoding="utf-8") == written


def test_output_onto_the_bundle_file_is_refused(tmp_path):
    root = copy_project(EXAMPLE, tmp_path / "p")
    bundle = (root / "databricks.yml").read_bytes()
    assert cli("check", root, "-o", root / "databricks.yml").returncode == 2
    assert cli("analyze", root, "--format", "json", "-o", root / "databricks.yml").returncode == 2
    assert (root / "databricks.yml").read_bytes() == bundle


def test_output_onto_an_empty_or_new_file_needs_no_force(tmp_path):
    root = copy_project(EXAMPLE, tmp_path / "p")
    (root / "empty.sarif").write_text("")
    assert cli("check", root, "--format", "sarif", "-o", root / "empty.sarif", "--fail-on", "never").returncode == 0
    assert json.loads((root / "empty.sarif").read_text())["runs"][0]["tool"]["driver"]["name"] == "dabprp"
    assert cli("analyze", root, "--format", "json", "-o", root / "facts.json").returncode == 0
    assert cli("analyze", root, "--format", "json", "-o", root / "facts.json").returncode == 0


def test_write_baseline_onto_a_foreign_file_needs_force(tmp_path):
    root = copy_project(EXAMPLE, tmp_path / "p")
    (root / "notes.json").write_text('{"mine": true}\n')
    proc = cli("check", root, "--baseline", root / "notes.json", "--write-baseline")
    assert proc.returncode == 2
    assert (root / "notes.json").read_text() == '{"mine": true}\n'
    assert cli("check", root, "--baseline", root / "base.json", "--write-baseline").returncode == 0
    assert cli("check", root, "--baseline", root / "base.json", "--write-baseline").returncode == 0


@pytest.mark.parametrize(("text", "ours"), [
    ("", True), ("\n\n", True), ("# My notes\n", False), ("bundle:\n  name: x\n", False), ("{}", False),
    ('{"tool": {"name": "other"}}', False), ("[1, 2]", False), ("{not json", False),
    ('{"version": 1, "findings": {}}', True),
    ("::error file=a,line=1::x\n::warning file=b,line=2::y\n", True),
    ("a\n0 error(s), 0 warning(s), 0 note(s); 0 suppressed, 0 in baseline\n", True),
    ("Project p: 12 files\n", True),
])
def test_what_counts_as_a_dabprp_report(text, ours):
    assert is_dabprp_report(text) is ours


# ---- stale temp files --------------------------------------------------------------------------------------

KILLED_WRITER = """
import os, signal, sys
from dabprp.confined_io import project_lock, stage
with project_lock(sys.argv[1]):
    stage(os.path.join(sys.argv[1], "PRPs", "multi-stage-deployment.md"), b"half a PRP")
    os.kill(os.getpid(), signal.SIGKILL)
"""


def test_a_temp_file_of_a_killed_write_is_removed_by_the_next_run(tmp_path):
    root = copy_project(EXAMPLE, tmp_path / "p")
    (root / "PRPs").mkdir()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    killed = subprocess.run([sys.executable, "-c", KILLED_WRITER, str(root)], env=env, timeout=60, check=False)
    assert killed.returncode == -9
    left = sorted(p.name for p in (root / "PRPs").iterdir())
    assert len(left) == 1 and re.fullmatch(r"\.dabprp-[a-z0-9_]{8}\.tmp", left[0])
    assert not (root / "PRPs" / "multi-stage-deployment.md").exists()  # the PRP is old (none) or new, never half
    assert cli("generate", root).returncode == 0
    assert sorted(p.name for p in (root / "PRPs").iterdir()) == ["multi-stage-deployment.md"]


def test_planted_stale_temps_are_removed_under_the_lock_and_nothing_else(tmp_path):
    root = copy_project(EXAMPLE, tmp_path / "p")
    stale = [root / ".dabprp-abcd1234.tmp", root / "src" / ".dabprp-x_y_z_12.tmp"]
    kept = [root / ".dabprp-notes.tmp", root / "src" / "dabprp-abcd1234.tmp", root / ".git" / ".dabprp-abcd1234.tmp"]
    for path in stale + kept:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / ".dabprp-abcd1234.tmp").write_text("not ours")
    (root / "linked").symlink_to(outside, target_is_directory=True)
    assert cli("scaffold", root).returncode == 0
    assert [p.exists() for p in stale] == [False, False]
    assert [p.exists() for p in kept] == [True, True, True]
    assert (outside / ".dabprp-abcd1234.tmp").read_text() == "not ours"  # links to folders are not walked


# ---- settings stay inside the project ----------------------------------------------------------------------

@pytest.mark.parametrize(("name", "text"), [
    ("pyproject.toml", '[tool.dabprp]\nenvironments = ["dev", "leak"]\n'),
    (".dabprp.yaml", "environments: [dev, leak]\n"),
])
def test_a_settings_file_linked_outside_the_project_is_refused(tmp_path, name, text):
    root = copy_project(EXAMPLE, tmp_path / "p")
    secret = tmp_path / "elsewhere" / name
    secret.parent.mkdir()
    secret.write_text(text)
    (root / name).unlink(missing_ok=True)
    (root / name).symlink_to(secret)
    for args in (["generate", root], ["check", root], ["validate", root]):
        proc = cli(*args)
        assert proc.returncode == 2
        assert proc.stderr.strip().splitlines()[-1] == (
            f"dabprp: {name}: a symbolic link leaves the project root on the way to it; not followed")
        assert "leak" not in proc.stdout
    assert not (root / "PRPs").exists()


def test_a_settings_file_linked_inside_the_project_is_read(tmp_path):
    root = copy_project(EXAMPLE, tmp_path / "p")
    (root / "config").mkdir()
    (root / "config" / "dabprp.yaml").write_text("environments: [dev, qa, prod]\n")
    (root / ".dabprp.yaml").symlink_to(root / "config" / "dabprp.yaml")
    assert cli("generate", root).returncode == 0
    assert "`qa`" in (root / "PRPs" / "multi-stage-deployment.md").read_text()


# ---- integers longer than Python converts ------------------------------------------------------------------

def test_a_huge_python_integer_is_a_limit_not_a_syntax_error(tree):
    root = tree({"databricks.yml": BUNDLE, "agent.py": f"import mlflow\nLIMIT = {HUGE}\n"})
    proc = cli("analyze", root)
    assert proc.returncode == 0
    assert proc.stderr == "agent.py:2: an integer with more than 4,300 digits (more than Python converts); " \
                          "not analyzed\n"
    assert "syntax error" not in proc.stdout + proc.stderr


@pytest.mark.parametrize(("name", "text", "line"), [
    (".dabprp.yaml", f"environments: [dev]\nlatency_p95_ms: {HUGE}\n", None),
    ("pyproject.toml", f"[tool.dabprp]\nlatency_p95_ms = {HUGE}\n", None),
])
def test_a_huge_integer_in_settings_is_one_line(tree, name, text, line):
    root = tree({"databricks.yml": BUNDLE, name: text})
    for command in ("generate", "check", "validate"):
        proc = cli(command, root)
        assert proc.returncode == 2
        assert proc.stderr == f"dabprp: {name}: cannot read settings: an integer with more than 4,300 digits " \
                              "(more than Python converts)\n"


def test_a_huge_integer_in_the_bundle_is_reported_and_never_edited(tree):
    root = tree({"databricks.yml": BUNDLE + f"resources:\n  jobs:\n    j:\n      max_concurrent_runs: {HUGE}\n"})
    before = (root / "databricks.yml").read_text()
    limit = "databricks.yml:10: an integer with more than 4,300 digits (more than Python converts)"
    proc = cli("scaffold", root)
    assert proc.returncode == 2
    assert proc.stderr == "dabprp: databricks.yml:10: the bundle could not be read (an integer with more than " \
                          "4,300 digits (more than Python converts)); scaffold never replaces it\n"
    assert (root / "databricks.yml").read_text() == before
    for command in ("validate", "check"):  # input no tool can hold: exit 2 at its line, not a schema finding
        proc = cli(command, root)
        assert (proc.returncode, proc.stderr) == (2, f"dabprp: {limit}\n"), command
    proc = cli("analyze", root)
    assert proc.returncode == 2 and proc.stderr == f"{limit}\n"
    proc = cli("generate", root, "--stdout", "--set", f"latency_p95_ms={HUGE}")
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr


# ---- raw HTML from project values --------------------------------------------------------------------------

HOSTILE_NAME = "a`<script>alert(1)</script>`<img src=x onerror=alert(2)><!-- x -->"


def outside_code(markdown: str) -> list[str]:
    """The text of every line outside fenced blocks, with code spans removed."""
    out, fenced = [], False
    for line in markdown.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced:
            out.append(re.sub(r"(`+)(.+?)\1", "", line))
    return out


def test_a_hostile_bundle_name_never_becomes_raw_html_in_the_prp(tree):
    root = tree({"databricks.yml": f"bundle:\n  name: {json.dumps(HOSTILE_NAME)}\nresources:\n  jobs:\n"
                                   f"    j:\n      name: {json.dumps(HOSTILE_NAME)}\n      tasks:\n"
                                   "        - task_key: t\n          notebook_task:\n            notebook_path: nb.py\n"
                                   "targets:\n  dev:\n    default: true\n",
                 "nb.py": "print(1)\n"})
    proc = cli("generate", root)
    assert proc.returncode == 0, proc.stderr
    prp = (root / "PRPs" / "multi-stage-deployment.md").read_text()
    assert "alert(1)" in prp  # the name is shown
    tags = [line for line in outside_code(prp) if re.search(r"<(script|/script|img)", line)]
    assert tags == []
    assert "&lt;script>alert(1)&lt;/script>" in prp
    again = cli("generate", root)  # its own PRP, regenerated, is not refused and stays inert
    assert again.returncode == 0, again.stderr
    assert [line for line in outside_code((root / "PRPs" / "multi-stage-deployment.md").read_text())
            if re.search(r"<(script|/script|img)", line)] == []
