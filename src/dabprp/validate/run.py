"""`dabprp validate`: schema + semantic checks for one, the default, or every target."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Any

from dabprp.errors import DabprpError
from dabprp.facts import Location
from dabprp.findings import Finding, Hit, Severity, Stage
from dabprp.gcpause import paused_gc
from dabprp.parse.bundle_load import LoadedBundle, effective_tree, load_bundle
from dabprp.validate.context import TargetView, path_exists
from dabprp.validate.schema import provenance, schema_errors_by_resource
from dabprp.validate.semantics import CHECKS

SCHEMA_ID = "DAB900"
INPUT_ID = "DAB920"
UNEXPECTED_RE = re.compile(r"\('([^']+)' was unexpected\)|'([^']+)' was unexpected")
# The CLI reports these schema violations as warnings only (reference 0.1).
CLI_WARNING_KEYWORDS = ("additionalProperties", "enum", "required")


@dataclass(frozen=True, slots=True)
class ValidationReport:
    root_file: str
    targets: tuple[str, ...]
    findings: tuple[Finding, ...]
    strict: bool = False
    schema: dict[str, str] = field(default_factory=dict)
    unreadable: tuple[str, ...] = ()
    """`path:line: message` of each bundle file that could not be read or parsed: the report covers only what
    loaded (exit 2)."""

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.severity is Severity.ERROR)

    @property
    def warnings(self) -> int:
        return sum(1 for f in self.findings if f.severity is Severity.WARNING)

    @property
    def valid(self) -> bool:
        return self.errors == 0 and not (self.strict and self.warnings)


@paused_gc()
def validate(path: str, target: str | None = None, all_targets: bool = False, strict: bool = False
             ) -> ValidationReport:
    if not os.path.isdir(path):
        raise DabprpError(path, None, "no such directory" if not os.path.exists(path) else "not a directory")
    path_exists.cache_clear()
    loaded = load_bundle(path)
    if loaded is None:
        raise DabprpError(path, None, "no bundle root file (databricks.yml, databricks.yaml, bundle.yml) found")
    names = _targets_to_check(loaded, target, all_targets)
    collected: dict[tuple[str, Location, str], tuple[Finding, list[str]]] = {}

    def add(finding: Finding, target_name: str | None) -> None:
        key = (finding.rule_id, finding.location, finding.message)
        entry = collected.setdefault(key, (finding, []))
        if target_name and target_name not in entry[1]:
            entry[1].append(target_name)

    for problem in loaded.problems:
        add(Finding(INPUT_ID, "Unreadable or invalid bundle input", Severity.ERROR, Stage.DEPLOY,
                    problem.message, problem.location, "Fix the file so the bundle loads."), None)
    cache: dict[int, Any] = {}
    for i, name in enumerate(names):
        tree, loc = effective_tree(loaded, name)
        view = TargetView(path, loaded, name, tree, loc)
        document = {k: v for k, v in tree.items() if k != "targets"}
        # the targets section once, without the resource overrides that the merged trees cover
        if i == 0 and "targets" in tree:
            document["targets"] = {n: {k: v for k, v in s.items() if k != "resources"} if isinstance(s, dict)
                                   else s for n, s in (tree.get("targets") or {}).items()} \
                if isinstance(tree.get("targets"), dict) else tree.get("targets")
        for json_path, message, keyword in schema_errors_by_resource(document, True, cache):
            severity = Severity.WARNING if keyword in CLI_WARNING_KEYWORDS else Severity.ERROR
            add(Finding(SCHEMA_ID, "Bundle schema violation", severity, Stage.DEPLOY,
                        f"{_dotted(json_path)}: {message}", _schema_location(view, json_path, message),
                        "Match the official bundle JSON schema."), name)
        for check in CHECKS:
            if check.per_bundle and i > 0:
                continue
            for hit in _run(check, view):
                add(Finding(check.id, check.title, check.severity, check.stage, hit.message, hit.location,
                            check.fix), None if check.per_bundle else name)
    findings = []
    for finding, seen_in in collected.values():
        if seen_in and names != [None] and len(seen_in) < len(names):
            finding = Finding(finding.rule_id, finding.title, finding.severity, finding.stage,
                              f"{finding.message} [targets: {', '.join(seen_in)}]", finding.location,
                              finding.remediation)
        if strict and finding.severity is Severity.WARNING:
            finding = Finding(finding.rule_id, finding.title, Severity.ERROR, finding.stage, finding.message,
                              finding.location, finding.remediation)
        findings.append(finding)
    findings.sort(key=lambda f: (f.location, f.rule_id, f.message))
    info = provenance()
    failed = {f for include in loaded.includes for f in include.files} - set(loaded.files)
    return ValidationReport(loaded.root_file, tuple(n or "default" for n in names), tuple(findings), strict,
                            {"commit": info["commit"], "sha256": info["sha256"]},
                            unreadable=tuple(f"{p.location}: {p.message}" for p in loaded.problems
                                             if p.location.path in failed))


def _run(check: Any, view: TargetView) -> list[Hit]:
    try:
        return list(check.run(view))
    except Exception as exc:
        message = f"internal error in {check.id}: {type(exc).__name__}: {exc}"
        return [Hit(Location(view.loaded.root_file, 1), message)]


def _targets_to_check(loaded: LoadedBundle, target: str | None, all_targets: bool) -> list[str | None]:
    targets = loaded.tree.get("targets")
    if not isinstance(targets, dict):
        targets = {}
    names: list[str | None] = [str(n) for n in targets]
    if all_targets:
        return names or [None]
    if target is not None:
        if target not in names:
            raise DabprpError(loaded.root_file, loaded.loc.locate(("targets",)).line,
                              f"no target named `{target}` (targets: {', '.join(str(n) for n in names) or 'none'})")
        return [target]
    defaults = [n for n in names if isinstance(targets[n], dict) and targets[n].get("default") is True]
    if defaults:
        return [defaults[0]]
    return [names[0]] if len(names) == 1 else [None]


def _dotted(path: tuple[Any, ...]) -> str:
    return ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in path).replace(".[", "[") or "<root>"


def _schema_location(view: TargetView, path: tuple[Any, ...], message: str) -> Location:
    match = UNEXPECTED_RE.search(message)
    if match:
        key = match.group(1) or match.group(2)
        return view.loc.locate((*path, key))
    return view.loc.locate(path)
