"""`dabprp init claude`: the subagent's frontmatter, every dabprp command it names runs, .mcp.json merges."""

from __future__ import annotations

import json
import os
import re
import shlex

import yaml
from click.testing import CliRunner

from dabprp.cli import main
from tests.conftest import FIXTURES, copy_project


def cli(*args: str):
    return CliRunner().invoke(main, list(args))


def test_agent_and_command_files(tmp_path):
    project = tmp_path / "p"
    copy_project(FIXTURES / "rag-apps", project)
    assert cli("init", "claude", str(project)).exit_code == 0
    agent = (project / ".claude" / "agents" / "generate-prp.md").read_text()
    front = yaml.safe_load(agent.split("---\n")[1])
    assert front["name"] == "generate-prp" and front["model"] == "sonnet"
    assert front["description"] and {"Bash", "Read", "Write"} <= {t.strip() for t in front["tools"].split(",")}
    assert "dabprp verify-refs PRPs/multi-stage-deployment.md" in agent
    command = (project / ".claude" / "commands" / "generate-prp.md").read_text()
    assert yaml.safe_load(command.split("---\n")[1])["description"]
    assert "generate-prp" in command and "$ARGUMENTS" in command


def test_every_command_in_the_instructions_runs_on_a_fixture(tmp_path, monkeypatch):
    project = tmp_path / "p"
    copy_project(FIXTURES / "rag-apps", project)
    cli("init", "claude", str(project))
    text = (project / ".claude" / "agents" / "generate-prp.md").read_text()
    text += (project / ".claude" / "commands" / "generate-prp.md").read_text()
    commands = sorted({c.strip() for c in re.findall(r"(?:^|`)(dabprp [^`\n]+)", text, flags=re.M)})
    assert len(commands) >= 6
    monkeypatch.chdir(project)
    cli("generate", ".")  # the instructions write the PRP before verifying it
    for command in commands:
        args = shlex.split(command)[1:]
        assert args[0] in main.commands, command
        result = cli(*args)
        assert result.exit_code in (0, 1), (command, result.output)
        assert "Traceback" not in result.output


def test_mcp_json_merge_keeps_other_servers_and_existing_files(tmp_path):
    (tmp_path / ".mcp.json").write_text(json.dumps({"mcpServers": {"other": {"command": "x"}}, "extra": 1}))
    (tmp_path / ".claude" / "agents").mkdir(parents=True)
    (tmp_path / ".claude" / "agents" / "generate-prp.md").write_text("mine\n")
    result = cli("init", "claude", str(tmp_path))
    assert result.exit_code == 0 and "keep    .claude/agents/generate-prp.md" in result.stdout
    data = json.loads((tmp_path / ".mcp.json").read_text())
    assert data["extra"] == 1 and data["mcpServers"]["other"] == {"command": "x"}
    entry = data["mcpServers"]["dabprp"]
    assert os.path.isabs(entry["command"]) and os.access(entry["command"], os.X_OK)
    assert entry["args"] in (["mcp", "--root", "."], ["-m", "dabprp", "mcp", "--root", "."])
    assert (tmp_path / ".claude" / "agents" / "generate-prp.md").read_text() == "mine\n"
    before = (tmp_path / ".mcp.json").read_text()
    cli("init", "claude", str(tmp_path))
    assert (tmp_path / ".mcp.json").read_text() == before
    assert cli("init", "claude", str(tmp_path), "--force").exit_code == 0
    assert (tmp_path / ".claude" / "agents" / "generate-prp.md").read_text().startswith("---\nname: generate-prp")


def test_dry_run_writes_nothing(tmp_path):
    result = cli("init", "claude", str(tmp_path), "--dry-run")
    assert result.exit_code == 0 and "+++ b/.claude/agents/generate-prp.md" in result.stdout
    assert list(tmp_path.iterdir()) == []
    (tmp_path / ".mcp.json").write_text("{not json")
    result = cli("init", "claude", str(tmp_path))
    assert result.exit_code == 2 and ".mcp.json" in result.stderr
