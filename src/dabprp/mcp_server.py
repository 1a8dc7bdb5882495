"""`dabprp mcp`: the analyzer, rules, PRP, validation and reference check as MCP tools over stdio.

Every path is relative to the root the server was started for and may not leave it; the server never
executes the analyzed project's code (it only reads files, like the CLI)."""


import functools
import json
import os
from typing import Annotated, Any

from dabprp.errors import DabprpError
from dabprp.facts import to_data

SECTIONS = ("bundle", "python", "configs", "evalsets", "repo", "problems", "files")
CALL_SECONDS = 120.0
"""Per-call time limit (env DABPRP_MCP_CALL_SECONDS): a call that takes longer returns a tool error."""
PRP = os.path.join("PRPs", "multi-stage-deployment.md")

try:  # pydantic comes with the `mcp` extra; without it the server refuses to start anyway
    from pydantic import Strict

    # Strict argument types: `"write": "yes"` is refused, not taken as true.
    Str = Annotated[str, Strict()]
    Bool = Annotated[bool, Strict()]
except ImportError:  # pragma: no cover
    Str = str  # type: ignore[misc]
    Bool = bool  # type: ignore[misc]


class PathRefused(ValueError):
    """A requested path outside the server's project root."""


def confine(root: str, path: str | None) -> str:
    """`path` (relative to `root`) as a real path inside `root`, or PathRefused."""
    real_root = os.path.realpath(root)
    candidate = os.path.realpath(os.path.join(real_root, path or "."))
    if candidate != real_root and not candidate.startswith(real_root + os.sep):
        raise PathRefused(f"path `{path}` is outside the project root this server was started for")
    return candidate


def is_living(text: str) -> bool:
    from dabprp.living import is_living_document

    return is_living_document(text)


def _finding(f: Any, fingerprint: str | None = None) -> dict[str, Any]:
    data = {"id": f.rule_id, "title": f.title, "severity": f.severity.value, "stage": f.stage.value,
            "message": f.message, "path": f.location.path, "line": f.location.line, "fix": f.remediation}
    if fingerprint:
        data["fingerprint"] = fingerprint
    return data


def call_seconds() -> float:
    try:
        return max(0.1, float(os.environ.get("DABPRP_MCP_CALL_SECONDS", CALL_SECONDS)))
    except ValueError:
        return CALL_SECONDS


def build_server(root: str) -> Any:
    try:
        import anyio
        from mcp.server.mcpserver import MCPServer
        from mcp.server.mcpserver.exceptions import ToolError
    except ImportError:
        raise DabprpError("mcp", None, 'the MCP server needs the `mcp` extra: pip install "dabprp[mcp]"') from None
    from dabprp.version import __version__

    server = MCPServer(name="dabprp", version=__version__,
                       instructions="Static analysis of a Databricks agent project and its multi-stage "
                                    "deployment plan (PRP). Paths are relative to the project root.")

    def guarded(fn: Any) -> Any:
        """Run the tool on a worker thread, so a slow call never holds up the others, within the time limit."""

        def checked(**kwargs: Any) -> Any:
            try:
                return fn(**kwargs)
            except (DabprpError, ValueError) as exc:  # input problems reach the client as tool errors
                raise ToolError(str(exc)) from None

        @functools.wraps(fn)  # keeps the signature the SDK derives the input schema from
        async def call(**kwargs: Any) -> Any:
            limit = call_seconds()
            with anyio.move_on_after(limit) as scope:
                return await anyio.to_thread.run_sync(functools.partial(checked, **kwargs), abandon_on_cancel=True)
            if scope.cancelled_caught:
                raise ToolError(f"`{fn.__name__}` took longer than {limit:g} s and was abandoned")
            raise ToolError(f"`{fn.__name__}` was cancelled")

        return call

    @server.tool(name="analyze", structured_output=True)
    @guarded
    def analyze_tool(path: Str = ".", target: Str | None = None, section: Str | None = None) -> dict[str, Any]:
        """Facts of the project (every fact with path and line); `section` limits it to one part:
        bundle, python, configs, evalsets, repo, problems or files."""
        from dabprp.analyze import analyze

        data = to_data(analyze(confine(root, path), target))
        if section:
            if section not in SECTIONS:
                raise ValueError(f"unknown section `{section}` (one of {', '.join(SECTIONS)})")
            return {"root": data["root"], section: data[section]}
        return data

    @server.tool(name="findings", structured_output=True)
    @guarded
    def findings_tool(path: Str = ".", target: Str | None = None) -> dict[str, Any]:
        """The findings of every rule (settings and inline suppressions applied), each with evidence and a fix."""
        from dabprp.api import run
        from dabprp.report import Scope

        report = run(confine(root, path), Scope(target=target)).report
        return {"findings": [_finding(f, fp) for f, fp in zip(report.findings, report.fingerprints, strict=True)]}

    @server.tool(name="explain_rule", structured_output=True)
    @guarded
    def explain_rule(rule_id: Str) -> dict[str, Any]:
        """Documentation of one rule or validate check: title, severity, stage, rationale, fix, links."""
        from dabprp.api import explain

        doc = explain(rule_id)
        return {"id": doc.id, "title": doc.title, "severity": doc.severity.value, "stage": doc.stage.value,
                "rationale": doc.rationale, "fix": doc.fix, "docs": list(doc.docs)}

    @server.tool(name="generate_prp", structured_output=True)
    @guarded
    def generate_prp(path: Str = ".", write: Bool = False) -> dict[str, Any]:
        """The PRP Markdown and the path it belongs at (PRPs/multi-stage-deployment.md); written only when
        `write` is true (an existing PRP is updated in place, keeping the user's text)."""
        from dabprp.api import generate, read_prp
        from dabprp.confined_io import atomic_write, project_lock

        where = confine(root, path)
        destination = os.path.join(where, PRP)
        shown = os.path.relpath(destination, os.path.realpath(root))
        with project_lock(where):
            existing = read_prp(destination, root=where)
            if existing is not None and not is_living(existing):
                raise ValueError(f"{shown} exists and is not a PRP that dabprp wrote; not replaced")
            text, _ = generate(where, existing=existing, existing_path=shown)
            if write:
                atomic_write(destination, text, root=where, shown=shown)
        return {"markdown": text, "path": shown, "written": write}

    @server.tool(name="status", structured_output=True)
    @guarded
    def status_tool(path: Str = ".", prp: Str | None = None) -> dict[str, Any]:
        """Each item of the project's PRP re-checked: done, open or regressed (as `dabprp status --format json`);
        `prp` is relative to `path` (default PRPs/multi-stage-deployment.md)."""
        from dabprp.status import status

        where = confine(root, path)
        report = status(where, confine(where, prp) if prp else None)
        return report.to_data(where)

    @server.tool(name="validate", structured_output=True)
    @guarded
    def validate_tool(path: Str = ".", target: Str | None = None, all_targets: Bool = True,
                      strict: Bool = False) -> dict[str, Any]:
        """Offline bundle validation (schema + semantic checks), per target."""
        from dabprp.api import validate
        from dabprp.render.validation import render_validation_json

        report = validate(confine(root, path), target, all_targets and target is None, strict)
        return json.loads(render_validation_json(report))

    @server.tool(name="check", structured_output=True)
    @guarded
    def check_tool(path: Str = ".", all_targets: Bool = True, select: list[Str] | None = None,
                   ignore: list[Str] | None = None, fail_on: Str = "error") -> dict[str, Any]:
        """Rules and validate checks together, as `dabprp check --format json`, with the exit code it
        would have (`fail_on`: error, warning, note or never)."""
        from dabprp.api import check
        from dabprp.render.check_out import render_check_json
        from dabprp.report import Scope, exit_code

        result = check(confine(root, path), Scope(None, all_targets, tuple(s.upper() for s in select or ()),
                                                  tuple(s.upper() for s in ignore or ())))
        data = json.loads(render_check_json(result))
        data["exit_code"] = exit_code(result, fail_on)
        return data

    @server.tool(name="scaffold_preview", structured_output=True)
    @guarded
    def scaffold_preview(path: Str = ".", serving: Str | None = None) -> dict[str, Any]:
        """What `dabprp scaffold` would write, as a unified diff and a list of changes. Never writes."""
        from dabprp.api import scaffold

        result = scaffold(confine(root, path), dry_run=True, serving=serving)
        return {"diff": result.diff(), "notes": list(result.notes),
                "changes": [{"path": c.path, "kind": c.kind, "reason": c.reason} for c in result.changes]}

    @server.tool(name="verify_refs", structured_output=True)
    @guarded
    def verify_refs(markdown: Str, path: Str = ".") -> dict[str, Any]:
        """Every `path:line`, file, job, task, resource and variable name in `markdown` that does not exist in
        the project or its deployment plan."""
        from dabprp.api import plan
        from dabprp.verify import verify_text

        where = confine(root, path)
        built, project = plan(where)
        invented = verify_text(markdown, project, built, where)
        return {"ok": not invented,
                "invented": [{"line": r.line, "reference": r.reference, "reason": r.reason} for r in invented]}

    @server.resource("dabprp://schema/facts", name="facts-schema", mime_type="application/json",
                     description="JSON Schema of the analyze output")
    def facts_schema_resource() -> str:
        from dabprp.facts_schema import facts_schema

        return json.dumps(facts_schema(), indent=2)

    @server.resource("dabprp://rules", name="rules", mime_type="text/markdown",
                     description="The rule catalogue (docs/rules.md)")
    def rules_resource() -> str:
        from dabprp.api import catalogue
        from dabprp.render.rules_doc import render_rules_markdown
        from dabprp.rules import RETIRED

        return render_rules_markdown(catalogue(), RETIRED)

    @server.resource("dabprp://prp", name="prp", mime_type="text/markdown",
                     description="The project's current PRP (PRPs/multi-stage-deployment.md), if present")
    def prp_resource() -> str:
        from dabprp.api import read_prp

        try:
            text = read_prp(os.path.join(os.path.realpath(root), PRP), root=os.path.realpath(root))
        except DabprpError as exc:
            return f"The PRP cannot be read: {exc}"
        return text if text is not None else "No PRP yet: call the generate_prp tool with write=true."

    return server


def serve(root: str) -> None:
    if not os.path.isdir(root):
        raise DabprpError(root, None, "project root is not a directory")
    build_server(root).run("stdio")
