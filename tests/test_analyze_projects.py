"""The analyzer on whole projects: golden facts, broken input, the corpus, never executing code."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from dabprp.analyze import analyze
from dabprp.cli import main
from dabprp.facts_schema import facts_schema
from dabprp.render.json_out import render_json
from tests.conftest import CORPUS, EXAMPLE, FIXTURES, GOLDEN, check_golden


def run_cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_golden_facts_of_example(update_golden):
    code, out, _ = run_cli("analyze", str(EXAMPLE), "--format", "json")
    assert code == 0
    check_golden(GOLDEN / "multiagent-genie.facts.json", out, update_golden)


def test_facts_json_validates_against_published_schema():
    schema = facts_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    for project in (EXAMPLE, FIXTURES / "rag-apps", FIXTURES / "multi-target", FIXTURES / "broken"):
        data = json.loads(render_json(analyze(str(project))))
        jsonschema.Draft202012Validator(schema).validate(data)
    code, out, _ = run_cli("schema", "facts")
    assert code == 0 and json.loads(out) == schema


def test_deterministic_output():
    first = render_json(analyze(str(EXAMPLE)))
    second = render_json(analyze(str(EXAMPLE)))
    assert first == second
    assert str(EXAMPLE.resolve()) not in first


def test_broken_project_reports_every_problem_without_traceback():
    code, out, err = run_cli("analyze", str(FIXTURES / "broken"), "--format", "json")
    assert code == 2, err  # resources/bad.yml cannot be parsed: unreadable input, though the facts are printed
    assert "Traceback" not in err
    lines = set(err.strip().splitlines())
    assert lines >= {
        "databricks.yml:5: include `missing/*.yml` matches no file",
        "databricks.yml:6: include `../outside/*.yml` leaves the project root; not read",
        "resources/bad.yml:5: invalid YAML: did not find expected ',' or ']'",
        "resources/latin1.yml:4: file is not valid UTF-8",
        "src/binary.py:1: binary file (contains NUL bytes); not read",
        "src/syntax_error.py:3: syntax error: invalid syntax",
    }
    data = json.loads(out)
    assert data["bundle"]["resources"]["jobs"][0]["key"] == "ok_job"


def test_malformed_root_bundle_is_a_problem_and_code_still_analyzed(tree):
    root = tree({"databricks.yml": "bundle:\n  name: [x\n", "a.py": "import mlflow\nmlflow.autolog()\n"})
    project = analyze(str(root))
    assert project.bundle is None
    assert project.problems[0].location.path == "databricks.yml"
    assert project.python.mlflow_calls[0].api == "mlflow.autolog"


def test_bad_path_is_usage_error(tmp_path):
    code, _, err = run_cli("analyze", str(tmp_path / "nope"))
    assert code == 2 and err.strip().endswith("no such file or directory")
    code, _, err = run_cli("analyze", str(FIXTURES / "multi-target"), "--target", "qa")
    assert code == 2 and "databricks.yml:" in err and "no target named `qa`" in err


def test_output_file_written_atomically(tmp_path):
    out = tmp_path / "facts" / "f.json"
    code, stdout, _ = run_cli("analyze", str(EXAMPLE), "--format", "json", "-o", str(out))
    assert code == 0 and stdout == ""
    assert json.loads(out.read_text())["root"] == "multiagent-genie"
    assert [p.name for p in out.parent.iterdir()] == ["f.json"]


def test_text_format_lists_sections_with_locations():
    code, out, _ = run_cli("analyze", str(EXAMPLE))
    assert code == 0
    for needle in ("databricks.yml:58", "agent_deploy_job", "src/configs.yaml:8",
                   "mlflow.langchain.autolog (commented out)"):
        assert needle in out
    assert re.search(r"^supervisor +genie +conditional +src/multiagent_genie.py:138$", out, re.M)


def test_never_executes_analyzed_code(tmp_path):
    project = FIXTURES / "never-execute"
    cwd_before = set(os.listdir(project))
    result = subprocess.run(
        [sys.executable, "-m", "dabprp", "analyze", str(project), "--format", "json"],
        cwd=tmp_path, capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "PWNED_BY_IMPORT").exists()
    assert set(os.listdir(project)) == cwd_before


def corpus_bundle_dirs() -> list[Path]:
    if not CORPUS.is_dir():
        return []
    return sorted(p for p in CORPUS.iterdir() if p.is_dir())


@pytest.mark.skipif(not CORPUS.is_dir(), reason="shared corpus not present")
def test_corpus_never_crashes():
    analyzed = 0
    for project in corpus_bundle_dirs():
        result = analyze(str(project))
        if result.bundle is not None:
            for target in result.bundle.targets:
                analyze(str(project), target=target.name)
        analyzed += 1
    assert analyzed == len(corpus_bundle_dirs()) > 100
