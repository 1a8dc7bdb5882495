"""`dabprp check`: exit codes, selection, configuration, suppressions, baseline, SARIF and GitHub output."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from dabprp.api import check
from dabprp.cli import main
from tests.conftest import EXAMPLE, FIXTURES, copy_project

SARIF_SCHEMA = json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text())


def run_check(path: str, **scope):
    from dabprp.report import Scope

    return check(path, Scope(**scope))


def cli(*args: str):
    return CliRunner().invoke(main, list(args))


@pytest.fixture
def example(tmp_path) -> Path:
    dest = tmp_path / "example"
    copy_project(EXAMPLE, dest)
    return dest


@pytest.mark.parametrize(("fail_on", "expected"), [("error", 1), ("warning", 1), ("note", 1), ("never", 0)])
def test_fail_on_exit_codes_example(fail_on, expected):
    assert cli("check", str(EXAMPLE), "--fail-on", fail_on).exit_code == expected


def test_fail_on_thresholds_with_only_notes(example):
    # only DAB206 (note) selected: error/warning pass, note fails
    for fail_on, code in (("error", 0), ("warning", 0), ("note", 1), ("never", 0)):
        assert cli("check", str(example), "--select", "DAB206", "--fail-on", fail_on).exit_code == code


def test_usage_errors_exit_2(tmp_path):
    assert cli("check", str(tmp_path / "nope")).exit_code == 2
    assert cli("check", str(EXAMPLE), "--write-baseline").exit_code == 2
    assert cli("check", str(EXAMPLE), "--baseline", str(tmp_path / "missing.json")).exit_code == 2


def test_select_and_ignore_prefixes():
    ids = {f.rule_id for f in run_check(str(EXAMPLE), select=("DAB1",)).findings}
    assert ids == {"DAB101", "DAB102", "DAB103", "DAB106"}
    ids = {f.rule_id for f in run_check(str(EXAMPLE), ignore=("DAB1", "DAB7")).findings}
    assert not any(i.startswith(("DAB1", "DAB7")) for i in ids) and "DAB201" in ids
    result = cli("check", str(EXAMPLE), "--select", "DAB301,DAB302", "--format", "json")
    assert {f["id"] for f in json.loads(result.stdout)["findings"]} == {"DAB301", "DAB302"}


def test_configuration_in_pyproject(example):
    (example / "pyproject.toml").write_text(
        '[tool.dabprp]\nignore = ["DAB408"]\nseverity_overrides = {DAB504 = "error"}\n'
        'per_path_ignores = {"src/configs.yaml" = ["DAB701"]}\n')
    result = run_check(str(example))
    ids = {f.rule_id for f in result.findings}
    assert "DAB408" not in ids and "DAB701" not in ids
    assert next(f for f in result.findings if f.rule_id == "DAB504").severity.value == "error"


def test_configuration_in_dabprp_yaml(example):
    (example / ".dabprp.yaml").write_text("select: [DAB3]\n")
    assert {f.rule_id[:4] for f in run_check(str(example)).findings} == {"DAB3"}
    (example / ".dabprp.yaml").write_text("selekt: [DAB3]\n")
    result = cli("check", str(example))
    assert result.exit_code == 2 and "unknown dabprp setting" in result.stderr


def test_inline_suppression_yaml_and_python_and_unused(example):
    bundle = example / "databricks.yml"
    text = bundle.read_text().replace("      run_as:\n        user_name: jane.doe@example.com\n\n    agent_eval",
                                      "      run_as:  # dabprp: ignore[DAB301]\n        user_name: jane.doe@example.com"
                                      "\n\n    agent_eval", 1)
    bundle.write_text(text)
    module = example / "src" / "deployment.py"
    suppress = "agents.deploy(  # dabprp: ignore[DAB6]\n"
    entry = '"DATABRICKS_GENIE_PAT": f"{{{{secrets/{secret_scope}/{secret_key}}}}}",'
    text = module.read_text().replace("agents.deploy(\n", suppress)
    module.write_text(text.replace(entry, entry + "  # dabprp: ignore[DAB304]"))  # reported at the entry
    cfg = example / "src" / "configs.yaml"
    cfg.write_text(cfg.read_text().replace("agent_name: sec_financial_multiagent",
                                           "agent_name: sec_financial_multiagent  # dabprp: ignore[DAB999]"))
    result = run_check(str(example))
    ids = [(f.rule_id, f.location.path, f.location.line) for f in result.findings]
    assert ("DAB301", "databricks.yml", 41) not in ids and ("DAB301", "databricks.yml", 55) in ids
    assert not any(i[0] in ("DAB304", "DAB603", "DAB604") for i in ids)
    assert ("DAB002", "src/configs.yaml", 2) not in ids  # DAB999 never ran: nothing to report
    assert result.suppressed >= 3
    cfg.write_text(cfg.read_text().replace("ignore[DAB999]", "ignore[DAB101]"))
    ids = [(f.rule_id, f.location.path, f.location.line) for f in run_check(str(example)).findings]
    assert ("DAB002", "src/configs.yaml", 2) in ids


def test_baseline_then_only_new_findings(example, tmp_path):
    base = tmp_path / "baseline.json"
    assert cli("check", str(example), "--baseline", str(base), "--write-baseline").exit_code == 0
    assert cli("check", str(example), "--baseline", str(base)).exit_code == 0
    # unrelated edit above findings: still nothing new
    bundle = example / "databricks.yml"
    bundle.write_text("# a comment\n# another\n" + bundle.read_text())
    assert cli("check", str(example), "--baseline", str(base)).exit_code == 0
    # a new gap: a hard-coded token
    (example / "src" / "helper.py").write_text('API_TOKEN = "s3cretvalue123"\n')
    result = cli("check", str(example), "--baseline", str(base), "--format", "json")
    assert result.exit_code == 1
    found = json.loads(result.stdout)["findings"]
    assert [(f["id"], f["path"], f["line"]) for f in found] == [("DAB305", "src/helper.py", 1)]
    assert "s3cretvalue123" not in result.stdout


@pytest.mark.parametrize("project", [EXAMPLE, FIXTURES / "rag-apps", FIXTURES / "multi-target", FIXTURES / "broken"])
def test_sarif_valid_and_locations_exist(project):
    result = cli("check", str(project), "--all-targets", "--format", "sarif")
    doc = json.loads(result.stdout)
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(doc)
    run = doc["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["version"] and driver["informationUri"].startswith("https://")
    rule_ids = [r["id"] for r in driver["rules"]]
    assert len(rule_ids) > 60 and rule_ids == sorted(rule_ids)
    for rule in driver["rules"]:
        assert {"id", "name", "shortDescription", "fullDescription", "help", "helpUri",
                "defaultConfiguration", "properties"} <= set(rule)
        assert rule["properties"]["tags"][0] in ("test", "evaluate", "stage", "deploy", "security", "observability")
    for res in run["results"]:
        loc = res["locations"][0]["physicalLocation"]
        uri = loc["artifactLocation"]["uri"]
        assert loc["artifactLocation"]["uriBaseId"] == "%SRCROOT%" and not uri.startswith("/")
        assert res["ruleId"] in rule_ids and res["partialFingerprints"]["dabprpFingerprint/v1"]
        target = project / uri
        assert target.is_file(), uri  # code scanning needs an existing file, even for a missing thing
        lines = target.read_bytes().splitlines()
        assert 1 <= loc["region"]["startLine"] <= max(len(lines), 1)


def test_fingerprints_stable_when_lines_inserted(example):
    before = run_check(str(example))
    prints_before = dict(zip([(f.rule_id, f.message) for f in before.findings], before.fingerprints, strict=True))
    for rel in ("databricks.yml", "src/deployment.py", "src/configs.yaml"):
        path = example / rel
        path.write_text("# inserted\n# lines\n" + path.read_text())
    after = run_check(str(example))
    prints_after = dict(zip([(f.rule_id, f.message) for f in after.findings], after.fingerprints, strict=True))
    assert prints_after == prints_before
    assert {f.location.line for f in after.findings if f.location.path == "src/deployment.py"} != \
        {f.location.line for f in before.findings if f.location.path == "src/deployment.py"}


def test_github_format():
    out = cli("check", str(EXAMPLE), "--format", "github", "--select", "DAB301").stdout.splitlines()
    assert out == [
        "::error file=databricks.yml,line=41,title=DAB301::job `agent_deploy_job` runs as user "
        "`jane.doe@example.com` (Run jobs as a service principal (`run_as.service_principal_name: <application id>`).)",
        "::error file=databricks.yml,line=55,title=DAB301::job `agent_evaluation_job` runs as user "
        "`jane.doe@example.com` (Run jobs as a service principal (`run_as.service_principal_name: <application id>`).)",
    ]


def test_output_file_and_determinism(tmp_path):
    out = tmp_path / "r.sarif"
    cli("check", str(EXAMPLE), "--format", "sarif", "-o", str(out))
    again = cli("check", str(EXAMPLE), "--format", "sarif").stdout
    assert out.read_text() == again


@pytest.mark.parametrize("project", [EXAMPLE, FIXTURES / "rag-apps", FIXTURES / "no-bundle"], ids=lambda p: p.name)
def test_github_annotations_point_at_existing_files(project):
    import re

    out = cli("check", str(project), "--format", "github").stdout
    files = re.findall(r"^::\w+ file=([^,]+),line=(\d+),", out, re.M)
    assert files and len(files) == out.count("\n")
    for path, _line in files:
        assert (project / path).is_file(), path
    if project == EXAMPLE:  # a missing thing still says where it belongs
        assert "no CI definition (GitHub Actions, Azure Pipelines, GitLab CI) (belongs in `.github/workflows/`)" in out


def test_sarif_keeps_the_most_severe_results_within_the_code_scanning_limit(monkeypatch):
    from dabprp.api import check as run
    from dabprp.render import sarif

    report = run(str(FIXTURES / "multi-target"))
    severities = [f.severity.value for f in report.findings]
    assert severities.count("error") >= 2 and len(severities) > severities.count("error") + 1
    full = json.loads(sarif.render_sarif(report))
    assert "invocations" not in full["runs"][0]
    monkeypatch.setattr(sarif, "MAX_RESULTS", severities.count("error") + 1)
    doc = json.loads(sarif.render_sarif(report))
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(doc)
    run_ = doc["runs"][0]
    kept = [r["level"] for r in run_["results"]]
    assert kept.count("error") == severities.count("error") and len(kept) == sarif.MAX_RESULTS
    next_level = "warning" if "warning" in severities else "note"
    first_other = next(r for r in full["runs"][0]["results"] if r["level"] == next_level)
    assert first_other in run_["results"]  # the next most severe, in report order
    ordered = [r for r in full["runs"][0]["results"] if r in run_["results"]]
    assert run_["results"] == ordered  # still in the report's order
    [note] = run_["invocations"][0]["toolExecutionNotifications"]
    assert note["message"]["text"].startswith(
        f"{len(severities) - sarif.MAX_RESULTS} of {len(severities)} findings are not in this file: a run holds at "
        f"most {sarif.MAX_RESULTS} results")
