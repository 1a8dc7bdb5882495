"""Whether a file that `analyze -o` or `check -o` would replace is a report dabprp wrote: only such a file (or
an empty one) is replaced without `--force`."""

from __future__ import annotations

import json
import re
from typing import Any

CHECK_SUMMARY_RE = re.compile(r"^\d+ error\(s\), \d+ warning\(s\), \d+ note\(s\); \d+ suppressed, \d+ in baseline$")
"""The last line of `check --format text`."""
FACTS_HEADING_RE = re.compile(r"^Project .*: \d+ files$")
"""The first line of `analyze --format text`."""
MONOREPO_SUMMARY_RE = re.compile(r"^\d+ bundle\(s\) under .* \(`--format json` has every fact\)$")
"""The last line of `analyze --recursive --format text`."""
FACT_KEYS = frozenset({"root", "bundle", "python", "repo", "problems", "files"})


def is_dabprp_report(text: str) -> bool:
    """Empty, or the output of one of `analyze` (text, JSON) and `check` (text, JSON, SARIF, GitHub, baseline)."""
    lines = [line.rstrip() for line in text.splitlines() if line.strip()]
    if not lines:
        return True
    if lines[0].startswith(("{", "[")):
        try:
            data = json.loads(text)
        except (ValueError, RecursionError):
            return False
        return isinstance(data, dict) and _json_report(data)
    return bool(CHECK_SUMMARY_RE.match(lines[-1]) or FACTS_HEADING_RE.match(lines[0])
                or MONOREPO_SUMMARY_RE.match(lines[-1]) or all(line.startswith("::") for line in lines))


def _json_report(data: dict[str, Any]) -> bool:
    tool = data.get("tool")
    if isinstance(tool, dict) and tool.get("name") == "dabprp":  # check --format json
        return True
    runs = data.get("runs")
    if isinstance(runs, list) and runs and all(_sarif_run_by_dabprp(r) for r in runs):
        return True
    if set(data) == {"version", "findings"} and isinstance(data["findings"], dict):  # a baseline
        return True
    return set(data) >= FACT_KEYS or {"root", "bundles"} == set(data)  # analyze (one bundle, a monorepo)


def _sarif_run_by_dabprp(run: Any) -> bool:
    driver = run.get("tool", {}).get("driver") if isinstance(run, dict) and isinstance(run.get("tool"), dict) else None
    return isinstance(driver, dict) and driver.get("name") == "dabprp"
