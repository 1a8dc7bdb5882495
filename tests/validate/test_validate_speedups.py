"""The validate speed-ups change no output: jsonschema-rs only confirms valid resources (errors still come
from the Python validator), file-existence answers are remembered only within one run."""

from __future__ import annotations

import json
import re

import pytest

from dabprp.api import validate
from dabprp.render.validation import render_validation_json
from dabprp.validate import schema
from dabprp.validate.verdicts import Verdicts
from tests.conftest import CORPUS, EXAMPLE, FIXTURES

PROJECTS = [EXAMPLE, *sorted(p for p in FIXTURES.iterdir() if p.is_dir() and (p / "databricks.yml").exists())]
if CORPUS.is_dir():
    PROJECTS += sorted(CORPUS.iterdir())[::6]


def outputs() -> list[str]:
    out = []
    for project in PROJECTS:
        try:
            out.append(render_validation_json(validate(str(project), all_targets=True)))
        except Exception as exc:  # unreadable corpus bundles: the error text is compared too
            out.append(f"{type(exc).__name__}: {exc}")
    return out


def test_fast_schema_check_changes_no_output(monkeypatch):
    assert schema._fast_validator() is not None  # jsonschema-rs is installed and compiles the schema
    cached = outputs()  # every bundle, whatever its size, is pre-checked with jsonschema-rs (or remembered)
    monkeypatch.setattr(schema, "remembered", lambda: Verdicts(None))  # each run validates every value
    fast = outputs()
    assert fast == cached
    monkeypatch.setattr(schema, "_surely_valid", lambda validator, value: False)
    assert outputs() == fast


def test_invalid_resource_is_still_reported_with_the_python_message(tree):
    root = tree({"databricks.yml": "bundle:\n  name: b\nresources:\n  jobs:\n    j:\n"
                                   "      max_concurrent_runs: many\n"})
    report = validate(str(root))
    assert [(f.rule_id, f.message) for f in report.findings if f.rule_id == "DAB900"] == [
        ("DAB900", "resources.jobs.j.max_concurrent_runs: 'many' is not of type 'integer'")]


@pytest.mark.parametrize("notebook", [True, False])
def test_file_existence_is_not_remembered_across_runs(tree, notebook):
    task = "notebook_task:\n            notebook_path" if notebook else "spark_python_task:\n            python_file"
    root = tree({"databricks.yml": "bundle:\n  name: b\nresources:\n  jobs:\n    j:\n      tasks:\n"
                                   f"        - task_key: t\n          {task}: src/main.py\n"})
    assert [f.rule_id for f in validate(str(root)).findings] == ["DAB212"]
    (root / "src").mkdir()
    (root / "src" / "main.py").write_text("print(1)\n")
    assert [f.rule_id for f in validate(str(root)).findings] == []


def rewrite_patterns(node: object) -> None:
    """The reference rewrite, pattern by pattern on the parsed schema: [\\p{L}\\p{N}] is a letter or digit,
    \\p{L} a letter, \\p{N} a digit."""
    if isinstance(node, dict):
        pattern = node.get("pattern")
        if isinstance(pattern, str):
            node["pattern"] = (pattern.replace(r"[\p{L}\p{N}]", r"[^\W_]")
                               .replace(r"\p{L}", r"[^\W\d_]").replace(r"\p{N}", r"\d"))
        for value in node.values():
            rewrite_patterns(value)
    elif isinstance(node, list):
        for value in node:
            rewrite_patterns(value)


def test_the_schema_text_rewrite_changes_only_patterns_and_python_compiles_them():
    parsed = json.loads(schema._data(schema.SCHEMA_FILE))
    rewrite_patterns(parsed)
    assert schema.bundle_schema() == parsed
    patterns = []

    def collect(node: object) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("pattern"), str):
                patterns.append(node["pattern"])
            for value in node.values():
                collect(value)
        elif isinstance(node, list):
            for value in node:
                collect(value)

    collect(schema.bundle_schema())
    assert len(patterns) > 500 and not any("\\p{" in p for p in patterns)
    for pattern in set(patterns):
        re.compile(pattern)
    variable = next(p for p in patterns if p.startswith(r"\$\{(var("))
    assert re.fullmatch(variable, "${var.catalog_ü2}") and not re.fullmatch(variable, "${var.9lives}")


def test_one_aliased_object_under_two_resource_types_is_validated_as_each(tree):
    root = tree({"databricks.yml": "bundle:\n  name: b\nresources:\n  jobs:\n    a: &x\n      name: shared\n"
                                   "      max_concurrent_runs: 1\n  pipelines:\n    p: *x\n"})
    report = validate(str(root))
    assert [(f.rule_id, f.location.line, f.message) for f in report.findings] == [
        ("DAB900", 7, "resources.pipelines.p: Additional properties are not allowed ('max_concurrent_runs' was "
                      "unexpected)")]


def test_the_top_level_keys_known_without_the_schema_are_the_schema_s():
    assert tuple(schema.bundle_schema()["properties"]) == schema.TOP_LEVEL_KEYS
