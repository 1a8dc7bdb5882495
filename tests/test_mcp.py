"""The MCP server, driven by the SDK's own client over stdio against a spawned `dabprp mcp` process."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, copy_project

mcp = pytest.importorskip("mcp")
from mcp import ClientSession, StdioServerParameters  # noqa: E402
from mcp.client.stdio import stdio_client  # noqa: E402

TOOLS = {"analyze", "findings", "explain_rule", "generate_prp", "validate", "check", "scaffold_preview",
         "verify_refs", "status"}


def run(coro):
    return asyncio.run(coro)


async def session_calls(root: Path, calls: list[tuple[str, dict]]):
    # the whole environment, PYTHONPATH included, so the server runs the code under test
    params = StdioServerParameters(command=sys.executable, args=["-m", "dabprp", "mcp", "--root", str(root)],
                                   env=dict(os.environ))
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        tools = await session.list_tools()
        resources = await session.list_resources()
        results = [await session.call_tool(name, args) for name, args in calls]
        prp = await session.read_resource("dabprp://prp")
        return tools, resources, results, prp


def test_tools_over_stdio(tmp_path):
    root = tmp_path / "workspace"
    copy_project(FIXTURES / "rag-apps", root / "rag")
    calls = [
        ("analyze", {"path": "rag", "section": "bundle"}),
        ("findings", {"path": "rag"}),
        ("explain_rule", {"rule_id": "DAB205"}),
        ("generate_prp", {"path": "rag"}),
        ("validate", {"path": "rag"}),
        ("check", {"path": "rag", "select": ["DAB1"]}),
        ("scaffold_preview", {"path": "rag"}),
        ("verify_refs", {"path": "rag", "markdown": "See `agent/agent.py:21` and `agent/ghost.py`.\n"}),
        ("generate_prp", {"path": "rag", "write": True}),
        ("status", {"path": "rag"}),
        ("analyze", {"path": "../outside"}),
    ]
    tools, resources, results, prp = run(session_calls(root, calls))
    assert {t.name for t in tools.tools} == TOOLS
    assert all(t.input_schema["type"] == "object" for t in tools.tools)
    assert all(t.output_schema["type"] == "object" for t in tools.tools)
    assert set(next(t for t in tools.tools if t.name == "analyze").input_schema["properties"]) == {
        "path", "target", "section"}
    assert {str(r.uri) for r in resources.resources} >= {"dabprp://schema/facts", "dabprp://rules", "dabprp://prp"}
    data = [r.structured_content for r in results]
    assert not any(r.is_error for r in results[:-1]), [r.content for r in results if r.is_error]
    assert data[0]["bundle"]["name"] == "support-rag"
    assert {f["id"] for f in data[1]["findings"]} >= {"DAB101", "DAB201"}
    assert data[2]["id"] == "DAB205" and "max_retries: 0" in data[2]["fix"]
    assert data[3]["path"] == "rag/PRPs/multi-stage-deployment.md" and data[3]["written"] is False
    assert data[3]["markdown"].startswith("# PRP: multi-stage deployment for `support-rag`")
    assert data[4]["valid"] is True and data[4]["targets"] == ["dev", "prod"]
    assert data[5]["exit_code"] == 1 and {f["id"] for f in data[5]["findings"]} == {"DAB101"}
    assert any(c["path"] == "src/stages/deploy.py" and c["kind"] == "create" for c in data[6]["changes"])
    assert not (root / "rag" / "src" / "stages").exists()  # the preview wrote nothing
    assert data[7]["ok"] is False and [i["reference"] for i in data[7]["invented"]] == ["agent/ghost.py"]
    assert (root / "rag" / "PRPs" / "multi-stage-deployment.md").is_file()
    # one library structure behind both faces: the MCP tool returns exactly what the CLI prints
    cli = subprocess.run([sys.executable, "-m", "dabprp", "status", str(root / "rag"), "--format", "json"],
                         capture_output=True, text=True, timeout=120)
    assert cli.returncode == 0, cli.stderr
    assert data[9] == json.loads(cli.stdout)
    assert data[9]["prp"] == "PRPs/multi-stage-deployment.md" and data[9]["summary"]["regressed"] == 0
    assert {i["kind"] for i in data[9]["items"]} == {"task", "gap"}
    refused = results[-1]
    assert refused.is_error and "outside the project root" in refused.content[0].text
    assert "No PRP yet" in prp.contents[0].text  # the root itself has none


def test_missing_extra_is_a_clear_error(monkeypatch):
    from click.testing import CliRunner

    from dabprp.cli import main

    monkeypatch.setitem(sys.modules, "mcp.server.mcpserver", None)
    result = CliRunner().invoke(main, ["mcp", "--root", str(FIXTURES / "rag-apps")])
    assert result.exit_code == 2 and 'pip install "dabprp[mcp]"' in result.stderr
