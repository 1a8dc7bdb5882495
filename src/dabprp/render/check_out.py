"""`check` output formats over one Report: text, JSON, GitHub workflow commands."""

from __future__ import annotations

from itertools import groupby
from typing import TYPE_CHECKING

from dabprp.facts import Location
from dabprp.findings import Finding, Report, Severity
from dabprp.render.json_out import dump_json
from dabprp.render.terminal import (
    SEVERITY_STYLE,
    Col,
    Prerendered,
    Terminal,
    cell_text,
    heading,
    literal,
    plain_table,
    render,
    table,
    text,
)
from dabprp.version import __version__

if TYPE_CHECKING:
    from rich.console import RenderableType

ANCHOR_FILES = ("pyproject.toml", "setup.py", "setup.cfg", "requirements.txt", "README.md")
"""Where a finding about something missing points when the bundle root file does not exist either."""
GITHUB_LEVEL = {"error": "error", "warning": "warning", "note": "notice"}
FINDING_COLUMNS = (Col("line", "right", wrap=False), Col("severity", wrap=False), Col("rule", wrap=False),
                   Col("message"))


def findings_by_file(findings: tuple[Finding, ...], summary: str, term: Terminal) -> str:
    """Findings grouped by file (in the order given: sorted by location), messages wrapped to the width,
    then one summary line."""
    from rich.padding import Padding

    items: list[RenderableType | Prerendered] = []
    for path, group in groupby(findings, key=lambda f: f.location.path):
        items.append(heading(path))
        found = list(group)
        cells = [(f"{f.location.line:>5}", f"{f.severity.value:<7}", cell_text(f.rule_id), cell_text(f.message))
                 for f in found]
        plain = None if term.color else plain_table(FINDING_COLUMNS, cells, term.width, indent=2)
        if plain is None:
            rows = [(literal(line), literal(severity, SEVERITY_STYLE[f.severity.value]), literal(rule, "bold"),
                     literal(message)) for f, (line, severity, rule, message) in zip(found, cells, strict=True)]
            items.append(Padding(table(FINDING_COLUMNS, rows, term.width - 2, header=False), (0, 0, 0, 2)))
        else:
            items.append(plain)
    items.append(text(summary))
    return render(items, term)


def render_check_text(result: Report, term: Terminal | None = None) -> str:
    return findings_by_file(result.findings,
                            f"{result.count(Severity.ERROR)} error(s), {result.count(Severity.WARNING)} warning(s), "
                            f"{result.count(Severity.NOTE)} note(s); {result.suppressed} suppressed, "
                            f"{result.baselined} in baseline", term or Terminal())


def anchor(finding: Finding, result: Report) -> tuple[Location | None, str]:
    """An existing file for code scanning: the finding's own, else the bundle root file (or a project file)
    at line 1, with a note naming where the fix belongs. None only when the project has no file at all."""
    loc = finding.location
    if loc.path in result.files:
        return loc, ""
    note = f" (belongs in `{loc.path}`)"
    own = sorted((r for r in result.roots if loc.path.startswith(r.rpartition("/")[0] + "/")), key=len)
    for candidate in (*own[-1:], result.root_file, *ANCHOR_FILES):
        if candidate and candidate in result.files:
            return Location(candidate, 1), note
    return (Location(min(result.files), 1), note) if result.files else (None, note)


def render_check_json(result: Report) -> str:
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
    return dump_json(data)


def _escape(value: str, prop: bool = False) -> str:
    value = value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return value.replace(":", "%3A").replace(",", "%2C") if prop else value


def render_check_github(result: Report) -> str:
    out = []
    for f in result.findings:
        level = GITHUB_LEVEL[f.severity.value]
        loc, note = anchor(f, result)
        where = f"file={_escape(loc.path, True)},line={loc.line}," if loc else ""
        out.append(f"::{level} {where}title={_escape(f.rule_id, True)}::"
                   f"{_escape(f.message + note + ' (' + f.remediation + ')')}")
    return "\n".join(out) + ("\n" if out else "")
