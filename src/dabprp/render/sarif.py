"""SARIF 2.1.0 for GitHub code scanning and Azure DevOps: every rule that ran, results with fingerprints."""

from __future__ import annotations

import re
from typing import Any

from dabprp.findings import Report
from dabprp.render.check_out import anchor
from dabprp.render.json_out import dump_json
from dabprp.version import __version__

INFORMATION_URI = "https://github.com/dabprp/dabprp"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
MAX_RESULTS = 25_000
"""Results per run GitHub code scanning accepts (it rejects a larger run); past it the most severe are kept."""
_RANK = {"error": 0, "warning": 1, "note": 2}


def _name(title: str) -> str:
    return "".join(w[:1].upper() + w[1:] for w in re.findall(r"[A-Za-z0-9]+", title))


def render_sarif(result: Report) -> str:
    rules = []
    index = {}
    for i, r in enumerate(result.rules):
        index[r.id] = i
        rules.append({
            "id": r.id,
            "name": _name(r.title),
            "shortDescription": {"text": r.title},
            "fullDescription": {"text": r.rationale or r.title},
            "help": {"text": r.fix, "markdown": f"**Fix:** {r.fix}"},
            "helpUri": r.docs[0] if r.docs else f"{INFORMATION_URI}/blob/main/docs/rules.md#{r.id.lower()}",
            "defaultConfiguration": {"level": r.severity.value},
            "properties": {"tags": [r.stage.value, "databricks"]},
        })
    results = []
    pairs = list(zip(result.findings, result.fingerprints, strict=True))
    if len(pairs) > MAX_RESULTS:  # the most severe, then in the report's order (by location)
        kept = sorted(range(len(pairs)), key=lambda i: (_RANK[pairs[i][0].severity.value], i))[:MAX_RESULTS]
        pairs = [pairs[i] for i in sorted(kept)]
    for f, fp in pairs:
        loc, note = anchor(f, result)
        entry: dict[str, Any] = {
            "ruleId": f.rule_id,
            "ruleIndex": index.get(f.rule_id, 0),
            "level": f.severity.value,
            "message": {"text": f"{f.message}{note}. Fix: {f.remediation}"},
        }
        if loc is not None:
            entry["locations"] = [{"physicalLocation": {
                "artifactLocation": {"uri": loc.path, "uriBaseId": "%SRCROOT%"},
                "region": {"startLine": max(loc.line, 1)},
            }}]
        entry["partialFingerprints"] = {"dabprpFingerprint/v1": fp}
        results.append(entry)
    run: dict[str, Any] = {
        "tool": {"driver": {"name": "dabprp", "version": __version__, "semanticVersion": __version__,
                            "informationUri": INFORMATION_URI, "rules": rules}},
        "columnKind": "utf16CodeUnits",
        "results": results,
    }
    doc = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [run],
    }
    left_out = len(result.findings) - len(results)
    if left_out:
        run["invocations"] = [{"executionSuccessful": True, "toolExecutionNotifications": [{
            "level": "warning",
            "message": {"text": f"{left_out} of {len(result.findings)} findings are not in this file: a run holds at "
                                f"most {MAX_RESULTS} results (GitHub code scanning rejects more), the most severe "
                                f"kept; `dabprp check --format json` lists every finding"}}]}]
    return dump_json(doc)
