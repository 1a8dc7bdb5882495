"""The PRP: golden files, schema-valid YAML, real references, determinism, no cross-project words."""

from __future__ import annotations

import json
import re

import pytest
import yaml
from click.testing import CliRunner

from dabprp.api import generate, plan
from dabprp.cli import main
from dabprp.errors import DabprpError
from dabprp.validate.schema import schema_errors
from tests.conftest import EXAMPLE, FIXTURES, GOLDEN, check_golden, copy_project
from tests.test_prp_bundle_one_source import merged, prp_files

PROJECTS = {"multiagent-genie": EXAMPLE, "rag-apps": FIXTURES / "rag-apps",
            "multi-target": FIXTURES / "multi-target", "no-bundle": FIXTURES / "no-bundle"}


@pytest.mark.parametrize("name", sorted(PROJECTS))
def test_golden_prp(name, update_golden):
    text, _ = generate(str(PROJECTS[name]))
    check_golden(GOLDEN / f"{name}.prp.md", text, update_golden)


@pytest.mark.parametrize("name", sorted(PROJECTS))
def test_every_bundle_file_the_prp_shows_validates_against_bundle_schema(name):
    text, _ = generate(str(PROJECTS[name]))
    docs = []
    for path, (label, fence, body) in prp_files(text).items():
        if label == "new file":
            docs.append(yaml.safe_load(body))
        elif fence == "yaml":  # the keys an edit adds, merged into the user's file
            docs.append(merged(yaml.safe_load((PROJECTS[name] / path).read_text()), yaml.safe_load(body)))
    assert len(docs) >= 5
    for doc in docs:
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
    assert "retrieval_groundedness" in rag and "`apps.support_app` calls the agent; it is not the serving mode" in rag


# Every item of the seed spec (/work/shared/seed/generate-prp.md) and the PRP text that covers it.
SEED_COVERAGE = {
    # Output format
    "Executive Summary: current state analysis": "### 1.2 Current state",
    "Executive Summary: proposed multi-stage deployment vision": "### 1.3 Proposed multi-stage vision",
    "Executive Summary: key benefits and success metrics": "### 1.4 Key benefits and success metrics",
    "Technical Requirements: detailed DAB configuration specifications": "### 2.1 DAB configuration",
    "Technical Requirements: job definitions and dependencies": "### 2.2 Job definitions and dependencies",
    "Technical Requirements: environment-specific parameters": "### 2.3 Environment-specific parameters",
    "Technical Requirements: security and compliance requirements": "### 2.4 Security and compliance",
    "Roadmap: phase-by-phase implementation plan": "### Phase 4: ",
    "Roadmap: resource and timeline estimates": "engineer-days open in total",
    "Roadmap: risk assessment and mitigation": "### Risks and mitigations",
    "Roadmap: testing and validation strategies": "### Testing and validation strategy",
    "Success Criteria: measurable deployment outcomes": "Measurable deployment outcomes: lead time",
    "Success Criteria: quality gates for each stage": "Quality gates per stage",
    "Success Criteria: performance benchmarks": "performance benchmarks",
    "Success Criteria: rollback and recovery procedures": "Rollback and recovery:",
    # Test stage
    "Automated agent functionality testing": "Automated agent functionality tests",
    "Unit tests for core agent components": "Unit tests for the core components",
    "Integration tests with Genie and parallel execution": "Integration tests (staging workspace",
    "Performance benchmarking": "performance benchmark: p50/p95",
    "Configuration validation": "configuration validation (`validate_config`)",
    # Evaluate stage
    "Agent response quality evaluation": "Agent response quality",
    "Financial metric accuracy assessment": "metric accuracy: `numeric_accuracy`",
    "Temporal context validation": "temporal context validation: `relative_time_resolution`",
    "Routing decision analysis": "routing decision analysis: `routing_accuracy`",
    "MLflow metric tracking": "MLflow metric tracking",
    # Stage environment
    "Pre-production staging environment": "Pre-production staging environment",
    "Load testing and stress testing": "load and stress testing",
    "User acceptance testing preparation": "User acceptance testing preparation",
    "Security and compliance validation": "security and compliance validation",
    "Rollback mechanism testing": "rollback mechanism testing",
    # Deploy stage
    "Production deployment automation": "Production deployment automation",
    "Model serving endpoint configuration": "model serving endpoint configuration",
    "Monitoring and alerting setup": "Monitoring and alerting:",
    "Health check implementation": "Health check implementation",
    "Blue-green or canary deployment strategies": "Canary strategy: 10% → 50% → 100%",
    # Asset bundle: job configuration
    "Service principal authentication": "service principal authentication",
    "Concurrent run limits (max 1 for approval stages)": "`max_concurrent_runs: 1`",
    "Retry policies and error handling": "retry policies",
    "Job parameter requirements (model_name, model_version)": "job parameters `model_name` and `model_version`",
    "Workflow triggers and dependencies": "workflow triggers",
    # Unity Catalog integration
    "Model versioning and tagging": "aliases `challenger`/`champion`",
    "Approval workflow with UC tags": "approval with the UC tag `Approval_Check`",
    "Permission management (MANAGE/OWNER, CAN MANAGE RUN, APPLY TAG)": "Permission management (MANAGE, APPLY_TAG, "
                                                                        "CAN_MANAGE_RUN)",
    "Catalog and schema organization": "| catalog | `main` | `main_staging` | `main_prod` |",
    # Resource management
    "Experiment organization by environment": "one experiment and secret scope per environment",
    "Job definitions for each deployment stage": "one job per stage",
    "Cluster and compute resource allocation": "shared serverless environment with pinned dependencies",
    "Secret scope management per environment": "| secret scope |",
    # Context engineering focus areas
    "Supervisor agent routing optimization": "Routing: `NextNode` decides among",
    "Parallel executor performance tuning": "Parallel execution `asyncio.gather`",
    "Genie integration enhancement": "Genie agent (`src/multiagent_genie.py:61`)",
    "MLflow tracing improvements": "Tracing: add `@mlflow.trace`",
    "Environment-specific configurations": "Environment-specific configuration: the 4 placeholder(s)",
    "Prompt optimization workflows": "Prompt optimization workflow",
    "Feature flag implementation": "feature flags: one config switch per route",
    "A/B testing capabilities": "A/B testing: the canary split",
    "Deployment metrics and KPIs": "Deployment KPIs",
    "Agent performance monitoring": "agent performance: latency per node",
    "Error tracking and alerting": "error tracking and alerting",
    "User experience metrics": "user experience: feedback on traces",
    # Context integration
    "Financial data analysis capabilities (AAPL, BAC, AXP 2003-2022)": "entities AAPL, AXP, BAC; years 2003–2022",
    "Multi-agent system with LangGraph": "Agent architecture: LangGraph with nodes",
    "Temporal context awareness": "Temporal handling: `get_temporal_context`",
    "SEC financial metrics and calculations": "Metrics and calculations: answers report numeric metrics",
    "Current DAB structure and limitations": "Current bundle limitations: `DAB1",
    # Quality standards
    "Scalability and performance requirements": "Scalability and performance requirements: p95 ≤ 10000 ms",
    "Security best practices": "never a personal access token",
    "Compliance with Databricks recommendations": "Compliance with Databricks recommendations",
    "Integration with existing CI/CD workflows": "Integration with existing CI/CD",
    "Documentation and knowledge transfer needs": "documentation and knowledge transfer",
}


def test_prp_covers_every_item_of_the_seed_spec():
    text, _ = generate(str(EXAMPLE))
    missing = [item for item, phrase in SEED_COVERAGE.items() if phrase not in text]
    assert missing == []
    # the general material is linked once, not repeated
    assert text.count("docs/prp-background.md") == 2
    for generic in ("Anti-patterns", "first run fails by design", "UNCONFIRMED**:"):
        assert generic not in text, generic


def test_background_page_holds_every_unconfirmed_fact_and_doc_link():
    from dabprp.knowledge import DOCS, UNCONFIRMED
    from tests.conftest import ROOT

    page = (ROOT / "docs" / "prp-background.md").read_text()
    for fact in UNCONFIRMED.values():
        assert fact.split(" (")[0].rstrip(".") in page, fact
    for url in DOCS.values():
        assert url in page, url


def test_roadmap_phases_have_duration_dependencies_and_exit_criteria():
    text, _ = generate(str(EXAMPLE))
    headings = re.findall(r"^### (Phase \d): (.+) \((.+); (.+)\)$", text, re.M)
    assert [h[0] for h in headings] == ["Phase 1", "Phase 2", "Phase 3", "Phase 4"]
    assert [h[3] for h in headings] == ["starts first", "after Phase 1", "after Phase 2", "after Phase 3"]
    assert all(re.fullmatch(r"\d+(\.\d+)? engineer-days|done", h[2]) for h in headings)
    assert text.count("\nExit criteria: ") == 4
    assert "Exit criteria: `multiagent_genie_load_test` passes in staging: p95 ≤ 10000 ms" in text


def test_executive_summary_leads_with_the_worst_real_findings():
    from dabprp.api import plan

    text, _ = generate(str(EXAMPLE))
    risks = text.split("### 1.1 Top risks\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert [re.match(r"\d\. \*\*`(DAB\d+)`", r).group(1) for r in risks] == [
        "DAB301", "DAB302", "DAB304", "DAB102", "DAB210"]  # DAB105 is a warning (DAB915) here: every job has run_as
    built, _ = plan(str(EXAMPLE))
    fired = {(f.rule_id, str(f.location)) for f in built.findings if f.severity.value == "error"}
    for r in risks:  # each is a finding the rules report, at its location, of error severity
        rule, where = re.match(r"\d\. \*\*`(DAB\d+)`.*?\(`([^`]+)`\)", r).groups()
        assert (rule, where) in fired


def test_appendix_b_does_not_repeat_appendix_a():
    text, _ = generate(str(EXAMPLE))
    a = text.split("## Appendix A. Findings", 1)[1].split("## Appendix B", 1)[0]
    b = text.split("## Appendix B. Gap checklist", 1)[1]
    fixes = re.findall(r"^\| `DAB\d+` \|.*\| ([^|]+) \|$", a, re.M)
    assert fixes and len(fixes) == len(set(fixes))  # one row per rule
    for fix in fixes:
        assert fix.strip() not in b


def test_each_environment_is_defined_once_and_holds_what_its_jobs_import():
    text, _ = generate(str(EXAMPLE))
    # one pinned set per kind of job: the test job adds pytest, the load test only needs the SDK
    assert text.count("environment_version: '4'") == 4
    assert [text.count("| `${var.%s_environment}` |" % r) for r in ("tests", "build", "load_test", "link")] \
        == [1, 2, 1, 1]  # the build and deployment jobs share one set
    tests_env = text.split("  tests_environment:", 1)[1].split("  build_environment:", 1)[0]
    assert "pytest==" in tests_env


def test_no_bundle_prp_creates_one_around_the_agent_code():
    text, _ = generate(str(FIXTURES / "no-bundle"))
    assert "| bundle | none: the project is deployed by hand | - |" in text
    assert "**`DAB100` No bundle** (to create: `databricks.yml`): the project has no bundle (`databricks.yml`)" in text
    assert "#### Targets and variables — `databricks.yml`" in text
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
    assert "| judge | `correctness/mean` ≥ 0.85 |" in text and "| judge | `safety/mean` ≥ 0.95 |" in text
    assert "\n  qa:\n    mode: production\n" in text and "the `qa` target" in text
    assert "canary 5% → 25% → 100%" in text
    bad = CliRunner().invoke(main, ["generate", str(project), "--stdout", "--set", "nonsense"])
    assert bad.exit_code == 2 and "KEY=VALUE" in bad.stderr


def test_unreadable_bundle_is_an_input_error_not_a_missing_bundle(tree):
    root = tree({"databricks.yml": "bundle:\n  name: [x\n", "agent.py": "x = 1\n"})
    with pytest.raises(DabprpError) as raised:
        generate(str(root))
    assert str(raised.value).startswith("databricks.yml:3: fix the bundle first: invalid YAML")


def test_a_bundle_without_python_gets_no_invented_agent(tmp_path):
    (tmp_path / "databricks.yml").write_text("bundle:\n  name: nopy\ntargets:\n  dev:\n    mode: development\n"
                                             "    default: true\n")
    text, _ = generate(str(tmp_path))
    assert "custom Python" not in text and "enable it in the agent module" not in text
    assert ("**No agent code was found**: the project has no Python files, so nothing below describes an agent; "
            "the build needs the agent's file in the bundle variable `agent_file`.") in text
    assert "- No agent code to review: the project has no Python files." in text
    assert "- Agent architecture: no agent code in the project." in text


def test_an_app_agent_prp_promises_no_model_version_or_uc_approval():
    text, _ = generate(str(FIXTURES / "app-agent"))
    for claim in ("`challenger`/`champion`", "approval with the UC tag", "`model_name` and `model_version`"):
        assert claim not in text, claim
    assert ("- Approval: the CI workflow's deployment to `prod` runs in the GitHub environment `prod`; its required "
            "reviewers are the approval (set them in the repository's environment settings: scaffold cannot).") in text
    assert "approved before it reaches users (the required reviewers of the GitHub environment `prod`)" in text


@pytest.mark.parametrize("project", [EXAMPLE, FIXTURES / "bundle-endpoint"], ids=lambda p: p.name)
def test_every_command_of_the_prp_names_a_planned_target(tmp_path, project):
    copy = tmp_path / "p"
    copy_project(project, copy)
    (copy / ".dabprp.yaml").write_text("environments: [development, qa, production]\n")
    result = CliRunner().invoke(main, ["generate", str(copy), "--stdout"])
    assert result.exit_code == 0, result.output
    targets = re.findall(r"(?:-t|--target) ([\w'-]+)", result.stdout)
    assert {"development", "qa", "production"} <= set(targets)
    assert set(targets) <= {"development", "qa", "production", "<target>"}, sorted(set(targets))
    built, _ = plan(str(copy))
    commands = [c for c in built.validation_commands if " -t " in c]
    assert commands and all(" -t staging" not in c and " -t prod " not in c for c in commands)


def test_two_environments_get_no_invented_pre_production_target(tmp_path):
    copy = tmp_path / "p"
    copy_project(EXAMPLE, copy)
    (copy / ".dabprp.yaml").write_text("environments: [dev, prod]\n")
    text, _ = generate(str(copy))
    assert set(re.findall(r"(?:-t|--target) ([\w'-]+)", text)) <= {"dev", "prod", "<target>"}
    assert "No pre-production target: the setting `environments` lists `dev`, `prod`, so CI runs no load test" in text
    assert "(`run_as` on prod and `multiagent_genie_deployment`)" in text


def test_catalogs_and_schemas_the_plan_chose_are_named_as_prerequisites(tmp_path):
    text, _ = generate(str(EXAMPLE))
    assert ("The plan chose these names, which nothing in the project names (they may not exist): "
            "`main_staging.sec_agents` (staging: new catalog), `main_prod.sec_agents` (prod: new catalog). An admin "
            "creates them before the first deploy there") in text
    copy = tmp_path / "p"
    copy_project(EXAMPLE, copy)
    (copy / ".dabprp.yaml").write_text("catalogs: {staging: stage_cat, prod: prod_cat}\n")
    chosen, _ = generate(str(copy))
    assert "The plan chose these names" not in chosen and "| catalog | `main` | `stage_cat` | `prod_cat` |" in chosen
