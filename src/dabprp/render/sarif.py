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
    for f, fp in zip(result.findings, result.fingerprints, strict=True):
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
    doc = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "dabprp", "version": __version__, "semanticVersion": __version__,
                                "informationUri": INFORMATION_URI, "rules": rules}},
            "columnKind": "utf16CodeUnits",
            "results": results,
        }],
    }
    return dump_json(doc)
