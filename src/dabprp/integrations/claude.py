"""`dabprp init claude`: the generate-prp subagent, a slash command, and the MCP server in `.mcp.json`."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import sys
from typing import Any

import jinja2

from dabprp.confined_io import open_regular, project_lock
from dabprp.errors import DabprpError
from dabprp.records import record
from dabprp.scaffold.changes import FileChange, classify, refusal, unified_diff, write_all

AGENT = ".claude/agents/generate-prp.md"
COMMAND = ".claude/commands/generate-prp.md"
MCP_JSON = ".mcp.json"
SERVER_ARGS = ["mcp", "--root", "."]


@record
class InitResult:
    changes: tuple[FileChange, ...]
    notes: tuple[str, ...] = ()

    def diff(self) -> str:
        return "".join(unified_diff(c) for c in self.changes if c.kind in ("create", "update"))


def _template(name: str) -> str:
    env = jinja2.Environment(loader=jinja2.PackageLoader("dabprp.integrations", "templates"),
                             undefined=jinja2.StrictUndefined, keep_trailing_newline=True, autoescape=False)
    return env.get_template(name).render()


def server_entry() -> tuple[dict[str, Any], list[str]]:
    """The `.mcp.json` entry that starts this installation's `dabprp mcp`, and warnings when it cannot start:
    the absolute path of the `dabprp` script beside the running interpreter, else the one on PATH, else the
    interpreter itself with `-m dabprp`."""
    notes: list[str] = []
    names = ("dabprp.exe", "dabprp") if os.name == "nt" else ("dabprp",)
    beside = [os.path.join(os.path.dirname(os.path.abspath(sys.executable)), n) for n in names]
    script = next((p for p in beside if os.path.isfile(p) and os.access(p, os.X_OK)), None) or shutil.which("dabprp")
    entry: dict[str, Any] = {"command": os.path.abspath(script), "args": list(SERVER_ARGS)} if script else {
        "command": os.path.abspath(sys.executable), "args": ["-m", "dabprp", *SERVER_ARGS]}
    if importlib.util.find_spec("mcp") is None:
        notes.append(f"`dabprp mcp` cannot start: the `mcp` extra is not installed for {sys.executable} "
                     '(pip install "dabprp[mcp]")')
    return entry, notes


def merged_mcp_json(root: str, force: bool, entry: dict[str, Any]) -> str | None:
    """`.mcp.json` with the dabprp server added; None when it is already there (and not --force). Only a
    regular file is read (a symbolic link is refused by the caller, never copied)."""
    path = os.path.join(root, MCP_JSON)
    data: Any = {}
    try:
        fd = open_regular(path, MCP_JSON)
    except FileNotFoundError:
        fd = None
    if fd is not None:
        with os.fdopen(fd, "rb") as handle:
            raw = handle.read()
        try:
            data = json.loads(raw.decode("utf-8"))
        except UnicodeDecodeError as exc:
            raise DabprpError(MCP_JSON, raw[: exc.start].count(b"\n") + 1, "file is not valid UTF-8") from None
        except json.JSONDecodeError as exc:
            raise DabprpError(MCP_JSON, exc.lineno, f"cannot read: {exc.msg}") from None
        except ValueError as exc:
            raise DabprpError(MCP_JSON, None, f"cannot read: {exc}") from None
        if not isinstance(data, dict):
            raise DabprpError(MCP_JSON, 1, "expected a JSON object")
    servers = data.setdefault("mcpServers", {})
    if not isinstance(servers, dict):
        raise DabprpError(MCP_JSON, 1, "`mcpServers` must be an object")
    if "dabprp" in servers and not force:
        return None
    servers["dabprp"] = entry
    return json.dumps(data, indent=2) + "\n"


def init_claude(root: str, force: bool = False, dry_run: bool = False) -> InitResult:
    if not os.path.isdir(root):
        raise DabprpError(root, None, "no such directory")
    if dry_run:
        return _init(root, force, dry_run)
    with project_lock(root):
        return _init(root, force, dry_run)


def _init(root: str, force: bool, dry_run: bool) -> InitResult:
    changes = [classify(root, AGENT, _template("agent.md.j2"), force, {}),
               classify(root, COMMAND, _template("command.md.j2"), force, {})]
    entry, notes = server_entry()
    refused = refusal(root, MCP_JSON)
    if refused:
        changes.append(FileChange(MCP_JSON, "", None, "conflict", refused))
    else:
        mcp_json = merged_mcp_json(root, force, entry)
        if mcp_json is not None:
            changes.append(classify(root, MCP_JSON, mcp_json, force, {}, user_owned_edit=True))
    if not dry_run:
        write_all(root, changes, {}, manifest_path=None)
    return InitResult(tuple(changes), tuple(notes))
