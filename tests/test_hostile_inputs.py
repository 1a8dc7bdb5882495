"""Hostile inputs besides the bundle, through the CLI: `init claude` with linked or broken files, baselines of
the wrong shape, crafted `verify-refs` input, integers past Python's digit limit, markup in names."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from tests.conftest import FIXTURES, copy_project
from tests.test_confinement import snapshot

SECRET = "token-3b1d9"


def dabprp(*args: str, timeout: float = 60, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dabprp", *args], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})})


def one_line_error(result: subprocess.CompletedProcess, where: str) -> None:
    assert result.returncode == 2, (result.returncode, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and where in lines[0] and "Traceback" not in result.stderr, result.stderr


@pytest.fixture
def world(tmp_path):
    project = copy_project(FIXTURES / "rag-apps", tmp_path / "project")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "servers.json").write_text(json.dumps({"mcpServers": {"x": {"env": {"TOKEN": SECRET}}}}))
    return project, outside, snapshot(outside)


def test_init_claude_does_not_write_through_a_linked_claude_folder(world):
    project, outside, before = world
    (project / ".claude").symlink_to(outside, target_is_directory=True)
    result = dabprp("init", "claude", str(project))
    assert result.returncode == 0, result.stderr
    assert "keep    .claude/agents/generate-prp.md (a folder on the way is a symbolic link" in result.stdout
    assert snapshot(outside) == before


def test_init_claude_never_copies_a_linked_mcp_json(world):
    project, outside, before = world
    (project / ".mcp.json").symlink_to(outside / "servers.json")
    result = dabprp("init", "claude", str(project))
    assert result.returncode == 0 and "keep    .mcp.json (is a symbolic link; not followed)" in result.stdout
    assert (project / ".mcp.json").is_symlink() and snapshot(outside) == before
    written = "".join(p.read_text() for p in (project / ".claude").rglob("*.md"))
    assert SECRET not in written + result.stdout + result.stderr


def test_init_claude_with_a_non_utf8_mcp_json_is_one_line_exit_2(world):
    project, _, _ = world
    (project / ".mcp.json").write_bytes(b'{"mcpServers": {"x": "\xff\xfe"}}\n')
    before = snapshot(project)
    one_line_error(dabprp("init", "claude", str(project)), ".mcp.json:1: file is not valid UTF-8")
    assert snapshot(project) == before


def test_init_claude_registers_a_command_that_starts_the_server(world):
    project, _, _ = world
    result = dabprp("init", "claude", str(project))
    assert result.returncode == 0 and "warning" not in result.stderr
    entry = json.loads((project / ".mcp.json").read_text())["mcpServers"]["dabprp"]
    assert os.path.isabs(entry["command"])
    started = subprocess.run([entry["command"], *entry["args"][:-2], "--help"], capture_output=True, text=True,
                             timeout=60, cwd=project)
    assert started.returncode == 0 and "MCP" in started.stdout


def test_init_claude_warns_when_the_mcp_extra_is_missing(world):
    project, _, _ = world
    code = ("import importlib.util, sys, runpy; real = importlib.util.find_spec; "
            "importlib.util.find_spec = lambda name, *a: None if name == 'mcp' else real(name, *a); "
            "sys.argv = ['dabprp', 'init', 'claude', sys.argv[1]]; runpy.run_module('dabprp', run_name='__main__')")
    result = subprocess.run([sys.executable, "-c", code, str(project)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    assert "warning: `dabprp mcp` cannot start: the `mcp` extra is not installed" in result.stderr


@pytest.mark.parametrize(("content", "message"), [
    (b'{"version": 1, "findings": 1}', "`findings` must be an object keyed by fingerprint"),
    (b'{"version": 1, "findings": [[1, 2], {"a": 1}]}', "`findings` must be an object keyed by fingerprint"),
    (b'{"version": true, "findings": {}}', "not a dabprp baseline"),
    (b'[1, 2]', "not a dabprp baseline"),
    (b'{"version": 1, "findings": {"\xff": 1}}', "baseline is not valid UTF-8"),
    (b'{"version": 1, ', "cannot read baseline"),
])
def test_a_baseline_of_the_wrong_shape_is_one_line_exit_2(world, content, message):
    project, _, _ = world
    baseline = project / "baseline.json"
    baseline.write_bytes(content)
    one_line_error(dabprp("check", str(project), "--baseline", str(baseline)), message)
    assert baseline.read_bytes() == content


def test_verify_refs_with_huge_line_numbers_and_crafted_text(world):
    project, _, _ = world
    digits = "9" * 5000
    notes = project / "notes.md"
    notes.write_text(f"See `agent/agent.py:{digits}` and agent/agent.py:{digits} and agent/agent.py:3.\n"
                     "The router is in src/ghost_router.py:12, see also resources/ghost_job.yml.\n")
    result = dabprp("verify-refs", str(notes), "--project", str(project))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    reported = [line.split("`")[1] for line in result.stdout.splitlines()]
    assert reported == [f"agent/agent.py:{digits}", f"agent/agent.py:{digits}", "src/ghost_router.py:12",
                        "resources/ghost_job.yml"]
    crafted = project / "crafted.md"
    crafted.write_text("`" + "a." * 200_000 + "`\n" + "x/" * 300_000 + "y.py\n" + "a_" * 300_000 + "\n"
                       + "`" + "a.a" * 100_000 + ":1`\n" + "[" * 100_000 + "](" * 100_000 + "\n")
    started = time.monotonic()
    result = dabprp("verify-refs", str(crafted), "--project", str(project), timeout=60)
    assert time.monotonic() - started < 15 and result.returncode in (0, 1) and "Traceback" not in result.stderr


def test_integers_past_the_digit_limit_do_not_crash(world):
    project, _, _ = world
    digits = "9" * 5000
    commands = (("analyze", str(project)), ("analyze", str(project), "--format", "json"),
                ("validate", str(project)), ("check", str(project)), ("generate", str(project), "--stdout"))
    (project / "agent" / "huge.py").write_text(f"LIMIT = {digits}\n")
    (project / "data").mkdir(exist_ok=True)
    (project / "data" / "evals.json").write_text(f'[{{"inputs": {{"question": "q"}}, "n": {digits}}}]')
    for args in commands:  # in code and data: a problem at its place, the analysis goes on
        result = dabprp(*args)
        assert result.returncode in (0, 1) and "Traceback" not in result.stderr, (args, result.stderr[-500:])
    bundle = project / "databricks.yml"
    text = bundle.read_text() + f"\nvariables:\n  huge:\n    default: {digits}\n"
    bundle.write_text(text)
    line = text.count("\n")
    for args in commands:  # in the bundle: input no tool can hold, one line at its place and exit 2
        result = dabprp(*args)
        assert result.returncode == 2 and "Traceback" not in result.stderr, (args, result.stderr[-500:])
        last = result.stderr.splitlines()[-1]
        assert last.endswith("an integer with more than 4,300 digits (more than Python converts)"), last
        assert f"databricks.yml:{line}: " in last, (args, last)


def test_markup_in_names_is_printed_as_text(tmp_path):
    project = tmp_path / "p"
    project.mkdir()
    (project / "databricks.yml").write_text(
        'bundle:\n  name: "[/x]"\nresources:\n  jobs:\n    "[/j]":\n      name: "[bold]job[/]"\n'
        '      tasks:\n        - task_key: "[/t]"\n          notebook_path: ./nb.py\n'
        'targets:\n  "[/dev]":\n    default: true\n    mode: development\n')
    for args in (("analyze", str(project)), ("check", str(project)), ("validate", str(project))):
        result = dabprp(*args, env={"COLUMNS": "80"})
        assert result.returncode in (0, 1) and "Traceback" not in result.stderr, (args, result.stderr[-300:])
    result = dabprp("analyze", str(project), env={"COLUMNS": "200"})
    assert "Bundle [/x]" in result.stdout and "[bold]job[/]" in result.stdout and "[/t]" in result.stdout
