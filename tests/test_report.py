"""The one Report: every emitted ID is documented, no gap is reported twice, and what settings ignore or an
inline comment suppresses is gone from check, the PRP, status and MCP alike."""

from __future__ import annotations

import contextlib
import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from dabprp.api import run, validate
from dabprp.cli import main
from dabprp.errors import DabprpError
from dabprp.report import Scope
from dabprp.rules import RETIRED, registry
from tests.conftest import CORPUS, EXAMPLE, FIXTURES, ROOT, copy_project

PROJECTS = [EXAMPLE, *sorted(p for p in FIXTURES.iterdir() if p.is_dir())]
# Rules that look at the same configuration and must never both fire at one place.
EXCLUSIVE = (("DAB105", "DAB915"),)


def _emitted(root: Path) -> list[Any]:
    """Every finding `check --all-targets` and `validate --all-targets` report for `root`."""
    out = list(run(str(root), Scope(all_targets=True)).report.findings)
    with contextlib.suppress(DabprpError):  # no readable bundle: validate refuses, check still reports
        out += validate(str(root), all_targets=True).findings
    return out


def _corpus() -> list[Path]:
    return sorted(p for p in CORPUS.iterdir() if p.is_dir()) if CORPUS.is_dir() else []


def test_unparseable_source_is_reported_and_skipped_files_are_not(tree):
    root = tree({"agent.py": "def broken(:\n", "ok.py": "x = 1\n", "big.json": "x" * 3_000_000})
    found = [(f.rule_id, f.location.path, f.location.line) for f in run(str(root)).report.findings
             if f.rule_id == "DAB921"]
    assert found == [("DAB921", "agent.py", 1)]
    clean = tree({"other/ok.py": "x = 1\n"})
    assert not [f for f in run(str(clean / "other")).report.findings if f.rule_id == "DAB921"]


@pytest.mark.parametrize("root", PROJECTS, ids=lambda p: p.name)
def test_every_emitted_id_is_documented_fixtures(root):
    _assert_documented(_emitted(root))


def test_every_emitted_id_is_documented_corpus():
    if not _corpus():
        pytest.skip("no corpus")
    found = [f for root in _corpus() for f in _emitted(root)]
    assert len({f.rule_id for f in found}) > 20
    _assert_documented(found)


def _assert_documented(found: list[Any]) -> None:
    docs = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"^## (DAB\d{3})$", docs, re.M))
    for f in found:
        assert f.rule_id in registry() and f.rule_id in listed and f.rule_id not in RETIRED, f.rule_id


def test_rules_cli_knows_every_id_and_names_retired_ones():
    runner = CliRunner()
    listed = set(re.findall(r"^(DAB\d{3}) ", runner.invoke(main, ["rules"]).stdout, re.M))
    assert listed == set(registry())
    for rid in ("DAB000", "DAB002", "DAB900", "DAB901", "DAB915", "DAB920", "DAB921"):
        assert runner.invoke(main, ["rules", rid]).exit_code == 0, rid
    retired = runner.invoke(main, ["rules", "DAB913"])
    assert retired.exit_code == 2 and "DAB203" in retired.stderr


def test_registry_refuses_a_retired_id(monkeypatch):
    import dabprp.rules as rules_module
    from dabprp.rules import Rule

    reused = Rule("DAB913", "Reused", registry()["DAB203"].severity, registry()["DAB203"].stage, "fix", (), None)
    monkeypatch.setattr(rules_module, "_REGISTRY", [])
    monkeypatch.setattr(rules_module.engine, "REUSED", reused, raising=False)
    with pytest.raises(RuntimeError, match="DAB913 is retired"):
        rules_module.registry()


def _assert_each_gap_once(found: list[Any], name: str) -> None:
    at: dict[tuple[str, int], dict[str, str]] = {}
    for f in found:
        message = re.sub(r" \[targets: [^\]]*\]$", "", f.message)
        place = at.setdefault((f.location.path, f.location.line), {})
        assert place.get(message, f.rule_id) == f.rule_id, (name, f.location, message)
        place[message] = f.rule_id
        titles = {registry()[r].title for r in place.values()}
        assert len(titles) == len(set(place.values())), (name, f.location)
    for a, b in EXCLUSIVE:
        assert not [p for p, ids in at.items() if {a, b} <= set(ids.values())], (name, a, b)


@pytest.mark.parametrize("root", PROJECTS, ids=lambda p: p.name)
def test_no_two_findings_describe_the_same_gap_at_one_place(root):
    _assert_each_gap_once(list(run(str(root), Scope(all_targets=True)).report.findings), root.name)


def test_no_two_findings_describe_the_same_gap_at_one_place_corpus():
    if not _corpus():
        pytest.skip("no corpus")
    for root in _corpus():
        _assert_each_gap_once(list(run(str(root), Scope(all_targets=True)).report.findings), root.name)


def _rule_places(value: Any) -> set[tuple[str, str, int]]:
    """(rule id, path, line) of every finding in a JSON document (check, plan or MCP output)."""
    out: set[tuple[str, str, int]] = set()
    if isinstance(value, dict):
        rid = value.get("id") or value.get("rule_id")
        loc = value.get("location") if isinstance(value.get("location"), dict) else value
        if isinstance(rid, str) and rid.startswith("DAB") and "path" in loc:
            out.add((rid, loc["path"], loc["line"]))
        for v in value.values():
            out |= _rule_places(v)
    elif isinstance(value, list):
        for v in value:
            out |= _rule_places(v)
    return out


def test_ignored_and_suppressed_rules_are_gone_from_every_output(tmp_path):
    project = copy_project(EXAMPLE, tmp_path / "example")
    (project / ".dabprp.yaml").write_text("ignore: [DAB303]\n")
    bundle = project / "databricks.yml"
    bundle.write_text(bundle.read_text().replace(
        "      run_as:\n        user_name: jane.doe@example.com\n\n    agent_eval",
        "      run_as:  # dabprp: ignore[DAB301]\n        user_name: jane.doe@example.com\n\n    agent_eval", 1))
    gone = {("DAB301", "databricks.yml", 41)}
    kept = ("DAB301", "databricks.yml", 55)
    runner = CliRunner()

    def without(places: set[tuple[str, str, int]], what: str) -> None:
        assert kept in places, what  # the same output still shows what was not ignored
        assert not places & gone and not {p for p in places if p[0] == "DAB303"}, what

    without(_rule_places(json.loads(runner.invoke(main, ["check", str(project), "--format", "json"]).stdout)),
            "check")
    plan = json.loads(runner.invoke(main, ["generate", str(project), "--format", "json", "--stdout"]).stdout)
    without(_rule_places(plan), "generate --format json")
    prp = runner.invoke(main, ["generate", str(project)])
    assert prp.exit_code == 0, prp.output
    text = (project / "PRPs" / "multi-stage-deployment.md").read_text()
    assert "| `DAB303` |" not in text and "`DAB301` error, security: job `agent_deploy_job`" not in text
    assert "`DAB301`" in text
    status = json.loads(runner.invoke(main, ["status", str(project), "--format", "json"]).stdout)
    evidence = " ".join(e for item in status["items"] for e in item["evidence"])
    assert "DAB303 at" not in evidence and "DAB301 at databricks.yml:41" not in evidence
    assert "DAB301 at databricks.yml:55" in evidence
    pytest.importorskip("mcp")
    from tests.test_mcp import run as run_async
    from tests.test_mcp import session_calls

    _, _, results, _ = run_async(session_calls(project, [("findings", {}), ("check", {})]))
    for result, name in zip(results, ("MCP findings", "MCP check"), strict=True):
        without(_rule_places(result.structured_content), name)


def test_min_eval_records_setting_is_what_dab504_compares_with(tmp_path):
    project = copy_project(EXAMPLE, tmp_path / "example")

    def small_sets() -> list[tuple[str, int]]:
        return [(f.location.path, f.location.line) for f in run(str(project)).report.findings
                if f.rule_id == "DAB504"]

    assert small_sets() == [("data/evals/eval-questions.json", 1)]
    (project / ".dabprp.yaml").write_text("min_eval_records: 3\n")
    assert small_sets() == []
    (project / ".dabprp.yaml").write_text("min_eval_records: 10000\n")
    assert small_sets() == [("data/evals/eval-questions.json", 1)]


@pytest.mark.parametrize(("flag", "key"), [("latency_p95_ms=fast", "latency_p95_ms"),
                                           ("rollout_steps=abc", "rollout_steps"),
                                           ("min_eval_records=many", "min_eval_records")])
def test_bad_setting_values_exit_2_with_one_line(flag, key):
    result = CliRunner().invoke(main, ["generate", str(EXAMPLE), "--stdout", "--set", flag])
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1 and f"`{key}`" in result.stderr
