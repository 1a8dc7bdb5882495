from __future__ import annotations

from dabprp.analyze import analyze
from dabprp.parse.agent_config import analyze_config
from dabprp.parse.evalsets import analyze_evalset, classify
from dabprp.parse.repo import parse_requirements
from dabprp.parse.yaml_source import parse_yaml
from tests.conftest import EXAMPLE, FIXTURES


def test_example_config_placeholders_endpoints_prompts():
    (cfg,) = analyze(str(EXAMPLE)).configs
    assert cfg.path == "src/configs.yaml"
    assert [(p.key, p.location.line) for p in cfg.placeholders] == [
        ("databricks_configs.workspace_url", 8), ("databricks_configs.sql_warehouse_id", 9),
        ("databricks_configs.genie_space_id", 10), ("databricks_configs.databricks_pat.secret_scope_name", 12)]
    assert [e.value for e in cfg.llm_endpoints] == ["databricks-claude-3-7-sonnet"] * 2
    assert [g.key for g in cfg.genie_spaces] == ["databricks_configs.genie_space_id"]
    assert [p.key for p in cfg.prompts][:2] == [
        "agent_configs.supervisor_agent.system_prompt", "agent_configs.supervisor_agent.final_answer_prompt"]
    assert cfg.scope.entities == ("AAPL", "AXP", "BAC")
    assert (cfg.scope.year_min, cfg.scope.year_max) == (2003, 2022)
    assert cfg.scope.data_sources == ("10-K reports", "SEC financial filings", "SEC financial statements tables")


def test_data_scope_is_general_not_example_specific():
    doc = parse_yaml(
        "prompt: |\n  You answer questions about hospital admissions for the wards ICU, ER and NICU\n"
        "  between 2015 and 2019 using the EHR discharge records and Medicare claims tables.\n", "c.yaml")
    scope = analyze_config(doc).scope
    assert scope.entities == ("ER", "ICU", "NICU")
    assert (scope.year_min, scope.year_max) == (2015, 2019)
    assert "EHR discharge records" in scope.data_sources


def test_example_evalset_counts_and_categories():
    (ev,) = analyze(str(EXAMPLE)).evalsets
    assert ev.path == "data/evals/eval-questions.json" and ev.records == 14
    assert "inputs.question" in ev.fields and "expectations.expected_facts" in ev.fields
    assert ev.categories == {"single_fact": 6, "comparative": 4, "time_relative": 4}
    assert [r.path for r in ev.referenced_from] == ["src/evaluation.py"]


def test_classify_question_kinds():
    assert classify("What was revenue in 2020?") == ["single_fact"]
    assert classify("Compare A and B") == ["comparative"]
    assert classify("What happened last quarter?") == ["time_relative"]


def test_evalset_formats_and_errors():
    jsonl = analyze_evalset("e.jsonl", '{"inputs": {"query": "Is X better than Y?"}}\n\n{"request": "hi"}\n')
    assert jsonl.records == 2 and jsonl.categories["comparative"] == 1
    csv = analyze_evalset("e.csv", "question,answer\nWhat changed last year?,x\n")
    assert csv.records == 1 and csv.categories["time_relative"] == 1
    bad = analyze_evalset("e.json", "[{]")
    assert bad.error.startswith("line 1: invalid JSON")


def test_requirements_pinning():
    reqs, includes = parse_requirements("requirements.txt", "mlflow>=3\nlanggraph==0.3.4\n# c\nfoo\n-r other.txt\n")
    assert includes == ["other.txt"]
    assert [(r.name, r.pinning, r.location.line) for r in reqs] == [
        ("mlflow", "range", 1), ("langgraph", "exact", 2), ("foo", "none", 4)]


def test_repo_signals_tests_ci():
    repo = analyze(str(FIXTURES / "rag-apps")).repo
    assert [(t.path, t.tests) for t in repo.tests] == [("tests/test_agent.py", ("test_retrieve_formats_context",))]
    (ci,) = repo.ci
    assert (ci.system, ci.runs_bundle_commands, ci.runs_tests) == ("github-actions", ("validate",), True)
    example = analyze(str(EXAMPLE)).repo
    assert example.tests == () and example.ci == ()
    assert example.ignored_secret_files == (".env",)


def test_data_scope_years_only_from_prose_not_dates_or_ids(tmp_path):
    from dabprp.parse.agent_config import analyze_config
    from dabprp.parse.yaml_source import parse_yaml

    doc = parse_yaml(
        "llm_endpoint: databricks-claude-3-7-sonnet-20250219\nreleased: '2024-08-06'\nyear_tag: '2030'\n"
        "table: main.fin.filings_2018\n"
        "system_prompt: You answer questions about annual reports filed from 2019 to 2023, per company.\n",
        "config.yaml")
    scope = analyze_config(doc).scope
    assert (scope.year_min, scope.year_max) == (2019, 2023)
    assert [str(e) for e in scope.evidence] == ["config.yaml:5"]
