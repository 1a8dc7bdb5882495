"""The MCP server under hostile use, through the SDK's client over stdio: a slow call does not hold up the
others and is bounded, argument types are checked strictly, and a PRP linked to a file outside the root is
never read or written."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, copy_project
from tests.test_confinement import snapshot

mcp = pytest.importorskip("mcp")
from mcp import ClientSession, StdioServerParameters  # noqa: E402
from mcp.client.stdio import stdio_client  # noqa: E402

SECRET = "outside-secret-51c2"


def slow_project(root: Path, jobs: int = 1500) -> Path:
    root.mkdir(parents=True)
    body = "".join(f"    job_{i}:\n      name: job {i}\n      tasks:\n" + "".join(
        f"        - task_key: t{k}\n          notebook_path: ./nb{k}.py\n" for k in range(5)) for i in range(jobs))
    (root / "databricks.yml").write_text("bundle:\n  name: slow\nresources:\n  jobs:\n" + body +
                                         "targets:\n  dev:\n    default: true\n    mode: development\n")
    return root


async def with_session(root: Path, work, env: dict | None = None):
    params = StdioServerParameters(command=sys.executable, args=["-m", "dabprp", "mcp", "--root", str(root)],
                                   env={**os.environ, **(env or {})})
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        return await work(session)


def test_a_slow_call_does_not_hold_up_the_others(tmp_path):
    slow_project(tmp_path / "ws" / "slow")

    async def work(session):
        finished: dict[str, float] = {}
        started = time.monotonic()

        async def call(name, args):
            result = await session.call_tool(name, args)
            finished[name] = time.monotonic() - started
            return result

        slow = asyncio.create_task(call("check", {"path": "slow"}))
        await asyncio.sleep(0.3)  # the check is running
        quick = await call("explain_rule", {"rule_id": "DAB205"})
        return await slow, quick, finished

    slow, quick, finished = asyncio.run(with_session(tmp_path / "ws", work))
    assert not quick.is_error and quick.structured_content["id"] == "DAB205"
    assert not slow.is_error, slow.content
    assert finished["explain_rule"] < finished["check"]


def test_a_call_past_the_time_limit_is_abandoned_with_an_error(tmp_path):
    slow_project(tmp_path / "ws" / "slow")

    async def work(session):
        started = time.monotonic()
        late = await session.call_tool("check", {"path": "slow"})
        took = time.monotonic() - started
        after = await session.call_tool("explain_rule", {"rule_id": "DAB101"})
        return late, took, after

    late, took, after = asyncio.run(with_session(tmp_path / "ws", work, {"DABPRP_MCP_CALL_SECONDS": "0.5"}))
    assert late.is_error and "took longer than 0.5 s and was abandoned" in late.content[0].text
    assert took < 3
    assert not after.is_error  # the server still answers


def test_argument_types_are_checked_strictly(tmp_path):
    root = copy_project(FIXTURES / "rag-apps", tmp_path / "ws" / "rag")

    async def work(session):
        return [await session.call_tool(name, args) for name, args in (
            ("generate_prp", {"path": "rag", "write": "yes"}),
            ("generate_prp", {"path": "rag", "write": 1}),
            ("validate", {"path": "rag", "all_targets": "true"}),
            ("analyze", {"path": 7}),
            ("check", {"path": "rag", "select": "DAB1"}),
            ("generate_prp", {"path": "rag", "write": False}),
        )]

    results = asyncio.run(with_session(tmp_path / "ws", work))
    assert [r.is_error for r in results] == [True, True, True, True, True, False]
    assert all("valid" in r.content[0].text.lower() for r in results[:5])
    assert not (root / "PRPs").exists()


def test_a_prp_linked_outside_the_root_is_neither_read_nor_written(tmp_path):
    root = copy_project(FIXTURES / "rag-apps", tmp_path / "ws")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "plan.md").write_text(f"<!-- dabprp:begin header -->\n{SECRET}\n<!-- dabprp:end header -->\n")
    before = snapshot(outside)
    (root / "PRPs").mkdir()
    (root / "PRPs" / "multi-stage-deployment.md").symlink_to(outside / "plan.md")

    async def work(session):
        read = await session.call_tool("generate_prp", {"path": "."})
        write = await session.call_tool("generate_prp", {"path": ".", "write": True})
        resource = await session.read_resource("dabprp://prp")
        return read, write, resource

    read, write, resource = asyncio.run(with_session(root, work))
    for result in (read, write):
        assert result.is_error and "leaves the project root" in result.content[0].text
        assert SECRET not in result.content[0].text
    assert SECRET not in resource.contents[0].text and "cannot be read" in resource.contents[0].text
    assert snapshot(outside) == before
    assert (root / "PRPs" / "multi-stage-deployment.md").is_symlink()
