"""`check` output formats over one CheckResult: text, JSON, GitHub workflow commands."""

from __future__ import annotations

import json
from itertools import groupby

from dabprp.check import CheckResult
from dabprp.findings import Finding, Severity
from dabprp.render.json_out import finite
from dabprp.version import __version__

GITHUB_LEVEL = {"error": "error", "warning": "warning", "note": "notice"}


def findings_by_file(findings: tuple[Finding, ...], summary: str) -> str:
    """Findings grouped by file (in the order given: sorted by location), then one summary line."""
    lines = []
    for path, group in groupby(findings, key=lambda f: f.location.path):
        lines.append(path)
        for f in group:
            lines.append(f"  {f.location.line:>5}  {f.severity.value:<7}  {f.rule_id}  {f.message}")
    lines.append(summary)
    return "\n".join(lines) + "\n"


def render_check_text(result: CheckResult) -> str:
    return findings_by_file(result.findings,
                            f"{result.count(Severity.ERROR)} error(s), {result.count(Severity.WARNING)} warning(s), "
                            f"{result.count(Severity.NOTE)} note(s); {result.suppressed} suppressed, "
                            f"{result.baselined} in baseline")


def render_check_json(result: CheckResult) -> str:
    data = {
        "tool": {"name": "dabprp", "version": __version__},
        "summary": {s.value: result.count(s) for s in Severity} | {
            "suppressed": result.suppressed, "baselined": result.baselined},
        "findings": [
            {"id": f.rule_id, "title": f.title, "severity": f.severity.value, "stage": f.stage.value,
             "message": f.message, "path": f.location.path, "line": f.location.line, "fix": f.remediation,
             "fingerprint": fp}
            for f, fp in zip(result.findings, result.fingerprints, strict=True)
        ],
    }
    return json.dumps(finite(data), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def _escape(value: str, prop: bool = False) -> str:
    value = value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return value.replace(":", "%3A").replace(",", "%2C") if prop else value


def render_check_github(result: CheckResult) -> str:
    out = []
    for f in result.findings:
        level = GITHUB_LEVEL[f.severity.value]
        out.append(f"::{level} file={_escape(f.location.path, True)},line={f.location.line},"
                   f"title={_escape(f.rule_id, True)}::{_escape(f.message + ' (' + f.remediation + ')')}")
    return "\n".join(out) + ("\n" if out else "")
