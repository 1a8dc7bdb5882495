from __future__ import annotations

import pytest

from dabprp.analyze import analyze
from dabprp.errors import DabprpError
from tests.conftest import EXAMPLE, FIXTURES


def test_example_bundle_facts_with_lines():
    b = analyze(str(EXAMPLE)).bundle
    assert b is not None and b.name == "multiagent-genie"
    assert [(v.name, v.location.line) for v in b.variables] == [
        ("catalog", 6), ("schema", 9), ("model_name", 12), ("genie_space_id", 15)]
    assert b.workspace.host.startswith("https://adb-")
    (dev,) = b.targets
    assert (dev.name, dev.mode, dev.default, dev.location.line) == ("dev", "production", True, 58)
    jobs = {j.key: j for j in b.resources.jobs}
    deploy = jobs["agent_deploy_job"]
    assert (deploy.location.line, deploy.max_concurrent_runs, deploy.timeout_seconds) == (28, 1, 3600)
    assert deploy.run_as.kind == "user" and deploy.run_as.location.line == 41
    (task,) = deploy.tasks
    assert (task.task_key, task.type, task.resolved_path, task.location.line) == (
        "deploy_agent", "notebook", "src/deployment.py", 33)
    assert task.parameters["catalog"] == "${var.catalog}"
    assert [(e.key, e.location.line) for e in b.resources.experiments] == [("multiagent_experiment", 24)]


def test_var_refs_resolved_and_unresolved():
    b = analyze(str(EXAMPLE)).bundle
    refs = {(r.expression, r.location.line): r for r in b.var_refs}
    assert refs[("var.catalog", 37)].resolved == "main"
    exp = refs[("resources.experiments.multiagent_experiment.name", 53)]
    assert exp.is_resolved and exp.resolved.endswith("multiagent-genie")


def test_includes_sorted_and_merged():
    b = analyze(str(FIXTURES / "multi-target")).bundle
    (inc,) = b.includes
    assert inc.pattern == "resources/*.yml"
    assert inc.files == ("resources/experiments.yml", "resources/jobs.yml")
    assert [e.key for e in b.resources.experiments] == ["triage_experiment"]
    assert b.resources.jobs[0].location.path == "resources/jobs.yml"


@pytest.mark.parametrize(
    ("target", "max_runs", "tasks", "catalog"),
    [
        (None, 4, [("classify", None, 0, ())], "triage_dev"),
        ("dev", 4, [("classify", None, 0, ())], "triage_dev"),
        ("staging", 4, [("classify", 1800, 0, ()), ("smoke_test", None, None, ("classify",))], "triage_staging"),
        ("prod", 1, [("classify", None, 2, ())], "triage_prod"),
    ],
)
def test_effective_target_merge(target, max_runs, tasks, catalog):
    b = analyze(str(FIXTURES / "multi-target"), target=target).bundle
    (job,) = b.resources.jobs
    assert job.max_concurrent_runs == max_runs
    assert [(t.task_key, t.timeout_seconds, t.max_retries, t.depends_on) for t in job.tasks] == tasks
    # the merged task keeps its notebook from the include, and the override brings its own line
    assert job.tasks[0].target == "../src/classify" and job.tasks[0].resolved_path == "src/classify.py"
    assert job.email_notifications == {"on_failure": ["triage-oncall@example.com"]}
    values = {v.name: v.value for v in b.variables}
    assert values["catalog"] == catalog
    assert b.selected_target == target


def test_override_location_comes_from_target():
    b = analyze(str(FIXTURES / "multi-target"), target="staging").bundle
    smoke = b.resources.jobs[0].tasks[1]
    assert smoke.location.path == "databricks.yml" and smoke.location.line == 36
    assert smoke.resolved_path == "src/smoke.py"


def test_targets_run_as_and_overrides():
    b = analyze(str(FIXTURES / "multi-target")).bundle
    targets = {t.name: t for t in b.targets}
    assert targets["staging"].run_as.kind == "service_principal"
    assert targets["staging"].resource_overrides == ("jobs.triage_job",)
    assert targets["prod"].variables == {"catalog": "triage_prod", "llm_endpoint": "databricks-claude-opus-4"}
    assert targets["prod"].workspace.root_path.startswith("/Workspace/Shared")
    lookup = next(v for v in b.variables if v.name == "warehouse_id")
    assert lookup.lookup == {"warehouse": "Shared Serverless"}


def test_unknown_target_is_input_error():
    with pytest.raises(DabprpError, match="no target named `qa`"):
        analyze(str(FIXTURES / "multi-target"), target="qa")


def test_no_bundle_is_valid(tree):
    root = tree({"agent.py": "import mlflow\nmlflow.set_experiment('/Shared/x')\n"})
    project = analyze(str(root))
    assert project.bundle is None
    assert project.python.mlflow_calls[0].api == "mlflow.set_experiment"


def test_anchors_merges_and_duplicate_keys(tree):
    root = tree({"databricks.yml": (
        "bundle:\n  name: x\n"
        "x-common: &common\n  max_concurrent_runs: 1\n  timeout_seconds: 60\n"
        "resources:\n  jobs:\n    a:\n      <<: *common\n      name: a\n      name: b\n"
    )})
    project = analyze(str(root))
    (job,) = project.bundle.resources.jobs
    assert (job.max_concurrent_runs, job.timeout_seconds, job.name) == (1, 60, "b")
    dup = [p for p in project.problems if "duplicate key" in p.message]
    assert dup and dup[0].location.line == 11 and "line 10" in dup[0].message


def test_include_outside_root_and_missing(tree):
    project = analyze(str(FIXTURES / "broken"))
    msgs = {(p.location.path, p.location.line, p.message) for p in project.problems}
    assert ("databricks.yml", 5, "include `missing/*.yml` matches no file") in msgs
    assert ("databricks.yml", 6, "include `../outside/*.yml` leaves the project root; not read") in msgs


def test_resources_of_other_types(tree):
    root = tree({"databricks.yml": (
        "bundle: {name: x}\nresources:\n"
        "  model_serving_endpoints:\n    ep:\n      name: agent-ep\n      config:\n"
        "        served_entities:\n          - entity_name: main.a.m\n            entity_version: '2'\n"
        "      ai_gateway:\n        inference_table_config: {enabled: true}\n"
        "  secret_scopes:\n    s: {name: scope-a}\n"
        "  volumes:\n    v: {name: vol, catalog_name: c, schema_name: s}\n"
    )})
    res = analyze(str(root)).bundle.resources
    (ep,) = res.model_serving_endpoints
    assert ep.inference_table and ep.served_entities[0].entity_version == "2"
    assert [(s.key, s.name) for s in res.secret_scopes] == [("s", "scope-a")]
    assert [(o.type, o.key, o.location.line) for o in res.other] == [("volumes", "v", 15)]
