"""The PRP: golden files, schema-valid YAML, real references, determinism, no cross-project words."""

from __future__ import annotations

import json
import re

import pytest
import yaml
from click.testing import CliRunner

from dabprp.api import generate
from dabprp.cli import main
from dabprp.errors import DabprpError
from dabprp.validate.schema import schema_errors
from tests.conftest import EXAMPLE, FIXTURES, GOLDEN, check_golden, copy_project

PROJECTS = {"multiagent-genie": EXAMPLE, "rag-apps": FIXTURES / "rag-apps",
            "multi-target": FIXTURES / "multi-target", "no-bundle": FIXTURES / "no-bundle"}


@pytest.mark.parametrize("name", sorted(PROJECTS))
def test_golden_prp(name, update_golden):
    text, _ = generate(str(PROJECTS[name]))
    check_golden(GOLDEN / f"{name}.prp.md", text, update_golden)


@pytest.mark.parametrize("name", sorted(PROJECTS))
def test_every_yaml_block_validates_against_bundle_schema(name):
    text, _ = generate(str(PROJECTS[name]))
    # new files are shown whole (edits of the user's files are diffs, checked in test_prp_bundle_one_source)
    blocks = re.findall(r"```yaml\n(.*?)```", text, flags=re.S)
    assert len(blocks) >= 5
    for block in blocks:
        doc = yaml.safe_load(block)
        for target in (doc.get("targets") or {}).values():
            # partial overrides of the resource files' definitions: valid once merged (the scaffold tests)
            target.pop("resources", None)
        assert schema_errors(doc) == []


@pytest.mark.parametrize("name", sorted(PROJECTS))
def test_every_path_line_exists_in_project(name):
    root = PROJECTS[name]
    text, project = generate(str(root))
    refs = re.findall(r"`([\w./-]+\.\w+):(\d+)`", text)
    assert refs or name == "no-bundle"
    for path, line in refs:
        assert path in project.files, path
        n_lines = len((root / path).read_text(encoding="utf-8", errors="replace").splitlines())
        assert 1 <= int(line) <= max(n_lines, 1), (path, line)


def test_deterministic():
    assert generate(str(EXAMPLE))[0] == generate(str(EXAMPLE))[0]


def test_cross_project_domain_words():
    genie, _ = generate(str(EXAMPLE))
    rag, _ = generate(str(FIXTURES / "rag-apps"))
    for word in ("Genie", "AAPL", "SEC", "supervisor", "parallel_executor", "fiscal"):
        assert not re.search(rf"\b{word}\b", rag), word
    for word in ("router", "manuals_index", "support_rag", "VectorSearch"):
        assert not re.search(rf"\b{word}\b", genie), word
    assert "AAPL, AXP, BAC over 2003–2022" in genie
    assert "`supervisor`, `genie`, `parallel_executor`, `final_answer`" in genie
    assert "routing_accuracy" in genie and "relative_time_resolution" in genie and "numeric_accuracy" in genie
    assert "retrieval_groundedness" in rag and "Databricks App" in rag


def test_seed_sections_present():
    text, _ = generate(str(EXAMPLE))
    for heading in ("Executive summary", "Current state", "Proposed multi-stage vision", "Key benefits",
                    "Technical requirements", "DAB configuration", "Job definitions and dependencies",
                    "Environment-specific parameters", "Security and compliance", "3.1 Test", "3.2 Evaluate",
                    "3.3 Stage", "3.4 Deploy", "Context engineering focus areas", "Context integration",
                    "Implementation roadmap", "Risks and mitigations", "Testing and validation strategy",
                    "Success criteria", "Known gotchas", "UNCONFIRMED", "Anti-patterns", "Appendix A"):
        assert heading in text, heading
    for item in ("Load and stress testing", "Rollback mechanism testing", "Canary strategy",
                 "Health check implementation", "Approval_Check", "model_version", "APPLY_TAG",
                 "CAN_MANAGE_RUN", "max_concurrent_runs: 1", "first run fails by design",
                 "databricks bundle validate --strict -t staging"):
        assert item in text, item


def test_no_bundle_prp_creates_one_around_the_agent_code():
    text, _ = generate(str(FIXTURES / "no-bundle"))
    assert "| bundle | none: the project is deployed by hand | - |" in text
    assert "`DAB100` No bundle: the project has no bundle (`databricks.yml`) (to create: `databricks.yml`)" in text
    assert "#### Targets, variables and top-level permissions — `databricks.yml`" in text
    assert "`OrderAgent` (ResponsesAgent: predict)" in text and "`notebooks/agent.py:22`" in text
    for word in ("LangGraph", "Genie", "supervisor", "routing_accuracy"):
        assert word not in text, word


def test_cli_writes_default_path_under_project(tmp_path):
    project = tmp_path / "proj"
    copy_project(FIXTURES / "rag-apps", project)
    result = CliRunner().invoke(main, ["generate", str(project)])
    assert result.exit_code == 0, result.stderr
    out = project / "PRPs" / "multi-stage-deployment.md"
    assert result.stdout.strip() == str(out) and out.read_text().startswith("# PRP")
    result = CliRunner().invoke(main, ["generate", str(project), "--format", "json", "--stdout"])
    data = json.loads(result.stdout)
    assert data["bundle_name"] == "support-rag" and data["findings"]


def test_settings_overridable_by_flags(tmp_path):
    from dabprp.settings import parse_overrides

    assert parse_overrides(["environments=dev,qa,prod", "thresholds.correctness/mean=0.85", "serving=apps",
                            "rollout_steps=[5, 25, 100]"]) == {
        "environments": ["dev", "qa", "prod"], "thresholds": {"correctness/mean": 0.85}, "serving": "apps",
        "rollout_steps": [5, 25, 100]}
    project = tmp_path / "p"
    copy_project(EXAMPLE, project)
    (project / ".dabprp.yaml").write_text("thresholds: {safety/mean: 0.95}\n")
    result = CliRunner().invoke(main, ["generate", str(project), "--stdout", "--set", "environments=dev,qa,prod",
                                       "--set", "thresholds.correctness/mean=0.85",
                                       "--set", "rollout_steps=[5, 25, 100]"])
    assert result.exit_code == 0
    text = result.stdout
    assert "| evaluate | `correctness/mean` | ≥ 0.85 |" in text and "| evaluate | `safety/mean` | ≥ 0.95 |" in text
    assert "+  qa:\n+    mode: production" in text and "the `qa` target" in text
    assert "canary 5% → 25% → 100%" in text
    bad = CliRunner().invoke(main, ["generate", str(project), "--stdout", "--set", "nonsense"])
    assert bad.exit_code == 2 and "KEY=VALUE" in bad.stderr


def test_unreadable_bundle_is_an_input_error_not_a_missing_bundle(tree):
    root = tree({"databricks.yml": "bundle:\n  name: [x\n", "agent.py": "x = 1\n"})
    with pytest.raises(DabprpError) as raised:
        generate(str(root))
    assert str(raised.value).startswith("databricks.yml:3: fix the bundle first: invalid YAML")
