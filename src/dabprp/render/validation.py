"""`validate` output: text grouped by file and sorted by line, or documented JSON."""

from __future__ import annotations

from dabprp.render.check_out import findings_by_file
from dabprp.render.json_out import dump_json
from dabprp.render.terminal import Terminal
from dabprp.report import ValidationReport


def render_validation_text(report: ValidationReport, term: Terminal | None = None) -> str:
    verdict = "valid" if report.valid else "invalid"
    return findings_by_file(report.findings,
                            f"{report.root_file}: {verdict} for target(s) {', '.join(report.targets)}: "
                            f"{report.errors} error(s), {report.warnings} warning(s)"
                            + (" (--strict: warnings are errors)" if report.strict else ""), term or Terminal())


def render_validation_json(report: ValidationReport) -> str:
    data = {
        "valid": report.valid,
        "root_file": report.root_file,
        "targets": list(report.targets),
        "strict": report.strict,
        "schema": report.schema,
        "summary": {"errors": report.errors, "warnings": report.warnings},
        "findings": [
            {"id": f.rule_id, "title": f.title, "severity": f.severity.value, "message": f.message,
             "path": f.location.path, "line": f.location.line, "fix": f.remediation}
            for f in report.findings
        ],
    }
    return dump_json(data)
