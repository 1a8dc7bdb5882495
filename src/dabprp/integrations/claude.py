"""`dabprp init claude`: the generate-prp subagent, a slash command, and the MCP server in `.mcp.json`."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

import jinja2

from dabprp.errors import DabprpError
from dabprp.scaffold.changes import FileChange, classify, unified_diff, write_all

AGENT = ".claude/agents/generate-prp.md"
COMMAND = ".claude/commands/generate-prp.md"
MCP_JSON = ".mcp.json"
SERVER = {"command": "dabprp", "args": ["mcp", "--root", "."]}


@dataclass(frozen=True, slots=True)
class InitResult:
    changes: tuple[FileChange, ...]

    def diff(self) -> str:
        return "".join(unified_diff(c) for c in self.changes if c.kind in ("create", "update"))


def _template(name: str) -> str:
    env = jinja2.Environment(loader=jinja2.PackageLoader("dabprp.integrations", "templates"),
                             undefined=jinja2.StrictUndefined, keep_trailing_newline=True, autoescape=False)
    return env.get_template(name).render()


def merged_mcp_json(root: str, force: bool) -> str | None:
    """`.mcp.json` with the dabprp server added; None when it is already there (and not --force)."""
    path = os.path.join(root, MCP_JSON)
    data: dict = {}
    if os.path.isfile(path):
        try:
            with open(path, encoding="utf-8") as handle:
                data = json.load(handle)
        except (OSError, json.JSONDecodeError) as exc:
            raise DabprpError(MCP_JSON, getattr(exc, "lineno", None), f"cannot read: {exc}") from None
        if not isinstance(data, dict):
            raise DabprpError(MCP_JSON, 1, "expected a JSON object")
    servers = data.setdefault("mcpServers", {})
    if not isinstance(servers, dict):
        raise DabprpError(MCP_JSON, 1, "`mcpServers` must be an object")
    if "dabprp" in servers and not force:
        return None
    servers["dabprp"] = SERVER
    return json.dumps(data, indent=2) + "\n"


def init_claude(root: str, force: bool = False, dry_run: bool = False) -> InitResult:
    if not os.path.isdir(root):
        raise DabprpError(root, None, "no such directory")
    changes = [classify(root, AGENT, _template("agent.md.j2"), force, {}),
               classify(root, COMMAND, _template("command.md.j2"), force, {})]
    mcp_json = merged_mcp_json(root, force)
    if mcp_json is not None:
        changes.append(classify(root, MCP_JSON, mcp_json, force, {}, user_owned_edit=True))
    if not dry_run:
        write_all(root, changes, {}, manifest_path=None)
    return InitResult(tuple(changes))
