"""Schema violations of one effective bundle tree, each mapped to the file and line it comes from."""

from __future__ import annotations

import re
from typing import Any

from dabprp.facts import Location
from dabprp.parse.yaml_source import LocNode
from dabprp.records import record
from dabprp.validate.schema import provenance, schema_errors_by_resource

UNEXPECTED_RE = re.compile(r"\('([^']+)' was unexpected\)|'([^']+)' was unexpected")
# The CLI reports these schema violations as warnings only (reference 0.1).
CLI_WARNING_KEYWORDS = ("additionalProperties", "enum", "required")


@record
class Violation:
    location: Location
    message: str
    cli_warns_only: bool
    """True: the Databricks CLI only warns (unknown field, enum value, missing required field)."""


def schema_violations(tree: dict[str, Any], loc: LocNode, with_targets: bool,
                      cache: dict[Any, Any]) -> list[Violation]:
    """Violations of `tree` (one target's effective configuration). `with_targets`: check the `targets`
    section too (once per run: without its resource overrides, which the merged trees cover)."""
    document = {k: v for k, v in tree.items() if k != "targets"}
    targets = tree.get("targets")
    if with_targets and "targets" in tree:
        document["targets"] = {n: {k: v for k, v in s.items() if k != "resources"} if isinstance(s, dict) else s
                               for n, s in targets.items()} if isinstance(targets, dict) else targets
    return [Violation(_location(loc, json_path, message), f"{_dotted(json_path)}: {message}",
                      keyword in CLI_WARNING_KEYWORDS)
            for json_path, message, keyword in schema_errors_by_resource(document, True, cache)]


def schema_provenance() -> dict[str, str]:
    """The databricks/cli commit the vendored schema comes from, and its sha256."""
    info = provenance()
    return {"commit": info["commit"], "sha256": info["sha256"]}


def _dotted(path: tuple[Any, ...]) -> str:
    return ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in path).replace(".[", "[") or "<root>"


def _location(loc: LocNode, path: tuple[Any, ...], message: str) -> Location:
    match = UNEXPECTED_RE.search(message)
    if match:
        return loc.locate((*path, match.group(1) or match.group(2)))
    return loc.locate(path)
