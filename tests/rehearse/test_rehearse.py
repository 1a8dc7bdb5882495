"""`dabprp rehearse`: the scaffolded pipeline run in job order against MLflow and the fake workspace, per
serving mode: a good agent is promoted, a bad one blocked at the gate, a faulty canary rolled back exactly."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from dabprp.api import generate, scaffold
from tests.conftest import EXAMPLE, FIXTURES, copy_project

pytest.importorskip("mlflow")

STAGING_ENDPOINT = "agents_main_staging-sec_agents-multiagent_genie"
DEPLOYMENT_JOB_ID = "1004"  # the rehearsal's id of `multiagent_genie_deployment` (ids by sorted resource key)
V1, V2 = "main_staging-sec_agents-multiagent_genie_1", "main_staging-sec_agents-multiagent_genie_2"


@pytest.fixture(scope="module")
def example(tmp_path_factory) -> Path:
    dest = tmp_path_factory.mktemp("rehearse") / "multiagent-genie"
    copy_project(EXAMPLE, dest)
    scaffold(str(dest))
    return dest


def scaffolded(name: str, tmp_path: Path) -> Path:
    dest = copy_project(FIXTURES / name, tmp_path / name)
    scaffold(str(dest))
    return dest


def cli(path: Path, *args: str) -> tuple[int, dict]:
    """The CLI, as a user runs it (a new process: nothing shared with the test), from the project's parent
    folder: the rehearsal leaves nothing there (MLflow's default `./mlruns` artifact folder included)."""
    before = sorted(p.name for p in path.parent.iterdir())
    done = subprocess.run([sys.executable, "-m", "dabprp", "rehearse", str(path), "--format", "json", *args],
                          capture_output=True, text=True, timeout=600, cwd=path.parent)
    assert "Traceback" not in done.stderr, done.stderr
    assert sorted(p.name for p in path.parent.iterdir()) == before
    return done.returncode, json.loads(done.stdout)


def rehearse(path: Path, *args: str) -> tuple[int, dict]:
    """The library call behind the CLI, in this process (MLflow imported once: CI stays fast)."""
    from dabprp.rehearse import rehearse as run

    options = {"target": None, "agent": "good", "canary_fault": False}
    items = list(args)
    while items:
        flag = items.pop(0)
        if flag == "--canary-fault":
            options["canary_fault"] = True
        else:
            options[flag.lstrip("-")] = items.pop(0)
    report = run(str(path), **options)
    return (0 if report.promoted else 1), json.loads(json.dumps(report.as_dict()))


def outcomes(report: dict) -> list[tuple[str, str]]:
    return [(s["task"], s["outcome"]) for s in report["steps"]]


def test_example_good_agent_is_promoted_through_every_stage(example):
    code, report = cli(example)
    assert code == 0 and report["ok"] and report["promoted"] and report["blocked_at"] is None
    assert report["serving"] == "agents-deploy" and report["target"] == "staging"
    # MLflow starts the deployment run when `build` registers the version; `await_deployment` only waits for it
    assert outcomes(report) == [("unit_tests", "skipped"), ("validate_config", "failed"), ("link", "ok"),
                                ("build", "ok"), ("Evaluation", "ok"), ("Approval_Check", "ok"),
                                ("Deployment", "ok"), ("await_deployment", "ok"), ("load_test", "ok")]
    # the configuration placeholders of the example would stop CI: reported, not hidden
    assert report["warnings"] == ["multiagent_genie_tests/validate_config would stop CI: src/configs.yaml: "
                                  "placeholder databricks_configs.databricks_pat.secret_scope_name='TODO'"]
    assert report["traffic"] == [{"endpoint": STAGING_ENDPOINT, "routes": r} for r in (
        {V1: 100}, {V1: 90, V2: 10}, {V1: 50, V2: 50}, {V1: 0, V2: 100}, {V2: 100})]
    assert (report["champion_before"], report["champion_after"]) == ("1", "2")
    steps = {s["task"]: s for s in report["steps"]}
    # parameters resolved per target as the CLI does: variables, resource fields, task values, job parameters
    assert steps["build"]["params"][steps["build"]["params"].index("--model-name") + 1] == \
        "main_staging.sec_agents.multiagent_genie"
    assert steps["build"]["values"] == {"model_uri": "models:/main_staging.sec_agents.multiagent_genie/2",
                                        "model_version": "2"}
    assert steps["await_deployment"]["params"][:6] == ["--model-name", "main_staging.sec_agents.multiagent_genie",
                                                       "--model-version", "2", "--job-id", DEPLOYMENT_JOB_ID]
    assert json.loads(steps["await_deployment"]["detail"]) == {
        "dabprp.deployment": f"deployed:{STAGING_ENDPOINT}", "result": "SUCCESS", "run_id": 3, "version": "2"}
    assert steps["Deployment"]["params"][:6] == ["--model-name", "main_staging.sec_agents.multiagent_genie",
                                                 "--model-version", "2", "--endpoint", STAGING_ENDPOINT]
    assert steps["Deployment"]["params"][-4:] == ["--min-requests", "20", "--probe-requests", "20"]
    # staging evaluates into its own experiment (dev keeps jane.doe's), under the target's root path
    assert steps["Evaluation"]["params"][4:6] == [
        "--experiment", "/Workspace/Users/rehearsal@example.com/.bundle/multiagent-genie/staging/multiagent-genie"]
    assert steps["build"]["overrides"] == {"--agent-file": "src/multiagent_genie.py → "
                                           ".dabprp-rehearsal/standin_agent.py", "--env-manager": "uv → local"}


def test_example_bad_agent_is_blocked_at_the_gate_with_traffic_untouched(example):
    code, report = rehearse(example, "--agent", "bad")
    assert code == 1 and report["ok"] and not report["promoted"]
    assert report["blocked_at"] == "multiagent_genie_deployment/Evaluation"
    assert report["traffic"] == [{"endpoint": STAGING_ENDPOINT, "routes": {V1: 100}}]
    assert (report["champion_before"], report["champion_after"]) == ("1", "1")
    evaluation = next(s for s in report["steps"] if s["task"] == "Evaluation")
    assert evaluation["detail"].startswith("GateFailed: quality gate missed: cites_fiscal_year/mean=0.0 < 0.8")
    assert ("Deployment", "skipped") in outcomes(report)


def test_example_canary_fault_rolls_back_to_the_exact_previous_config(example):
    code, report = rehearse(example, "--canary-fault")
    assert code == 1 and report["ok"] and report["rolled_back"] and not report["promoted"]
    assert report["blocked_at"] == "multiagent_genie_deployment/Deployment"
    assert [t["routes"] for t in report["traffic"]] == [{V1: 100}, {V1: 90, V2: 10}, {V1: 100}]
    assert report["champion_after"] == "1"
    assert all(sum(t["routes"].values()) == 100 for t in report["traffic"])
    record = deployment_record(report)
    # the candidate's probes: every second one answered 500 by the faulty entity, counted by the endpoint
    assert record["reason"] == "at 10%: error rate 0.500 over 20 requests > 0.01 (--max-error-rate)"
    assert [(s["percent"], s["requests"], s["errors"], s["probes"], s["probe_errors"]) for s in record["steps"]] \
        == [(10, 20.0, 10.0, 20, 10)]


def deployment_record(report: dict) -> dict:
    """The deploy stage's JSON record of a rolled-back canary (`DeploymentFailed: {...}`)."""
    deployment = next(s for s in report["steps"] if s["task"] == "Deployment")
    assert deployment["detail"].startswith("DeploymentFailed: ")
    return json.loads(deployment["detail"].split(": ", 1)[1])


def test_canary_step_with_too_few_requests_fails_and_rolls_back(example, tmp_path):
    """No user traffic in staging and no probes: the candidate served nothing at 10%, so the step fails (it never
    passes for lack of errors) and the endpoint gets back its exact previous configuration."""
    dest = sabotaged(example, tmp_path, lambda d: replace(
        d / "resources" / "deployment_job.yml", "- --probe-requests\n          - '20'",
        "- --probe-requests\n          - '0'"))
    code, report = rehearse(dest)
    assert code == 1 and report["ok"] and report["rolled_back"] and not report["promoted"]
    assert report["blocked_at"] == "multiagent_genie_deployment/Deployment"
    assert [t["routes"] for t in report["traffic"]] == [{V1: 100}, {V1: 90, V2: 10}, {V1: 100}]
    assert report["champion_after"] == "1"
    record = deployment_record(report)
    assert record["reason"] == ("at 10%: too few requests to judge the candidate: it served 0 (0 of them probes), "
                                "at least 20 are needed (--min-requests)")
    assert record["restored"] == {V1: 100}
    assert [r["result"] for r in report["job_runs"] if r["job"] == "multiagent_genie_deployment"] == ["FAILED"]


def test_exactly_one_deployment_run_per_version(example):
    """MLflow starts the deployment job for the new version (the link job connected it); the build job only waits
    for that run: one run per version, started by the model, none by a run_job_task."""
    code, report = rehearse(example)
    assert code == 0 and report["promoted"]
    assert report["job_runs"] == [
        {"job": "multiagent_genie_tests", "trigger": "ONE_TIME", "parameters": {}, "result": "FAILED"},
        {"job": "multiagent_genie_link_deployment_job", "trigger": "ONE_TIME", "parameters": {}, "result": "SUCCESS"},
        {"job": "multiagent_genie_deployment", "trigger": "MODEL", "result": "SUCCESS",
         "parameters": {"model_name": "main_staging.sec_agents.multiagent_genie", "model_version": "2"}},
        {"job": "multiagent_genie_build", "trigger": "ONE_TIME", "parameters": {}, "result": "SUCCESS"},
        {"job": "multiagent_genie_load_test", "trigger": "ONE_TIME", "parameters": {}, "result": "SUCCESS"}]
    build = (example / "resources" / "build_job.yml").read_text()
    assert "run_job_task" not in build and "${resources.jobs.multiagent_genie_deployment.id}" in build


def sabotaged(example: Path, tmp_path: Path, edit) -> Path:
    dest = copy_project(example, tmp_path / "sabotaged")
    edit(dest)
    return dest


def replace(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_sabotage_gate_on_a_metric_no_scorer_produces(example, tmp_path):
    dest = sabotaged(example, tmp_path, lambda d: replace(
        d / "resources" / "deployment_job.yml", "- --gate=safety/mean>=1", "- --gate=retrieval_groundedness/mean>=0.8"))
    code, report = rehearse(dest)
    assert code == 1 and not report["ok"] and not report["promoted"]
    assert report["problems"] == ["multiagent_genie_deployment/Evaluation: GateFailed: gates on metrics no scorer "
                                  "of this stage produces: ['retrieval_groundedness/mean'] (produced: "
                                  "['cites_fiscal_year/mean', 'correctness/mean', 'numeric_accuracy/mean', "
                                  "'relative_time_resolution/mean', 'relevance_to_query/mean', "
                                  "'routing_accuracy/mean', 'safety/mean'])"]


@pytest.mark.slow
def test_sabotage_build_job_that_also_starts_the_deployment_job(example, tmp_path):
    """A second owner (a run_job_task next to the MLflow link) runs the deployment job twice for one version."""
    task = ("      - task_key: deploy_version\n        depends_on:\n        - task_key: build\n        run_job_task:\n"
            "          job_id: ${resources.jobs.multiagent_genie_deployment.id}\n          job_parameters:\n"
            "            model_name: main_staging.sec_agents.multiagent_genie\n"
            "            model_version: '{{tasks.build.values.model_version}}'\n      permissions:")
    dest = sabotaged(example, tmp_path, lambda d: replace(d / "resources" / "build_job.yml", "      permissions:",
                                                          task))
    code, report = rehearse(dest)
    assert code == 0 and report["promoted"] and not report["ok"]
    assert report["problems"][-1] == ("job `multiagent_genie_deployment` ran 2 times for "
                                      "main_staging.sec_agents.multiagent_genie version 2 (started by MODEL, "
                                      "RUN_JOB_TASK): one owner must start it")


@pytest.mark.slow
def test_sabotage_deleted_deploy_stage_file(example, tmp_path):
    dest = sabotaged(example, tmp_path, lambda d: (d / "src" / "stages" / "deploy.py").unlink())
    code, report = rehearse(dest)
    assert code == 1 and not report["ok"]
    assert report["problems"] == ["multiagent_genie_deployment/Deployment: stage file src/stages/deploy.py "
                                  "does not exist"]
    assert [t["routes"] for t in report["traffic"]] == [{V1: 100}]


@pytest.mark.slow
def test_sabotage_endpoint_parameter_removed(example, tmp_path):
    def edit(d: Path) -> None:
        replace(d / "resources" / "deployment_job.yml", "- --endpoint\n          - agents_",
                "- --unused\n          - agents_")

    code, report = rehearse(sabotaged(example, tmp_path, edit))
    assert code == 1 and not report["ok"]
    assert len(report["problems"]) == 1 and report["problems"][0].startswith("multiagent_genie_deployment/Deployment:")
    assert report["problems"][0].endswith("error: the following arguments are required: --endpoint")


def test_app_agent_mode_deploys_the_app_and_rolls_back(tmp_path):
    project = scaffolded("app-agent", tmp_path)
    assert not (project / "src" / "stages" / "build.py").exists()  # no UC model in this mode
    code, report = rehearse(project)
    assert code == 0 and report["ok"] and report["serving"] == "app-agent"
    assert outcomes(report)[2:] == [("Evaluation", "ok"), ("Deployment", "ok"), ("load_test", "ok")]
    assert report["traffic"] == [{"endpoint": "docs-helper-staging", "routes": {"d1": 100}},
                                 {"endpoint": "docs-helper-staging", "routes": {"d2": 100}}]
    deployment = next(s for s in report["steps"] if s["task"] == "Deployment")
    assert json.loads(deployment["detail"])["probes"] == 20  # the stage's own requests to the new deployment
    code, report = rehearse(project, "--canary-fault")
    assert code == 1 and report["rolled_back"] and report["champion_after"] == "d3"
    assert [t["routes"] for t in report["traffic"]] == [{"d1": 100}, {"d2": 100}, {"d3": 100}]
    deployment = next(s for s in report["steps"] if s["task"] == "Deployment")
    record = json.loads(deployment["detail"].split(": ", 1)[1])
    # the earlier deployment's own snapshot: the synced folder already holds the new (crashing) code
    assert (record["restored"], record["restored_from"]) == ("d1", "/Workspace/apps-snapshots/docs-helper-staging/d1")


def test_app_deployment_that_served_too_few_requests_is_rolled_back(tmp_path):
    """The same rule for an App: a running app that answered no request proves nothing, so the soak fails and the
    earlier deployment's snapshot is deployed again."""
    project = scaffolded("app-agent", tmp_path)
    replace(project / "resources" / "release_job.yml", "- --probe-requests\n          - '20'",
            "- --probe-requests\n          - '0'")
    code, report = rehearse(project)
    assert code == 1 and report["ok"] and report["rolled_back"] and not report["promoted"]
    assert [t["routes"] for t in report["traffic"]] == [{"d1": 100}, {"d2": 100}, {"d3": 100}]
    record = deployment_record(report)
    assert (record["reason"], record["probes"], record["restored"]) == (
        "too few requests to judge the candidate: it served 0 (0 of them probes), at least 20 are needed "
        "(--min-requests)", 0, "d1")


def test_app_with_one_name_for_every_target_keeps_it_where_deployed_and_new_targets_get_their_own(tmp_path):
    project = copy_project(FIXTURES / "app-agent", tmp_path / "app-agent")
    text = (project / "databricks.yml").read_text().replace("name: docs-helper-${bundle.target}", "name: docs-helper")
    (project / "databricks.yml").write_text(text[:text.index("  staging:")] + text[text.index("  prod:"):])
    prp, _ = generate(str(project))
    assert "App names: `helper_app` deploys as `docs-helper` in `dev`, `prod` (`databricks.yml:15`). Targets the " \
           "plan adds get their own (`targets.<target>.resources.apps.helper_app.name: docs-helper-${bundle.target}`" \
           "): `staging` → `docs-helper-staging`. `dev`, `prod` deploy it under one name: on one workspace they " \
           "share one app. They keep it: a deployed app is never renamed" in prp
    scaffold(str(project))
    from dabprp.parse.bundle_load import load_bundle
    from dabprp.rehearse.resolve import load_target

    loaded = load_bundle(str(project))
    names = {t: load_target(loaded, t).resource("apps", "helper_app")["name"] for t in ("dev", "staging", "prod")}
    assert names == {"dev": "docs-helper", "staging": "docs-helper-staging", "prod": "docs-helper"}
    code, report = rehearse(project)
    assert code == 0 and report["traffic"][-1] == {"endpoint": "docs-helper-staging", "routes": {"d2": 100}}


@pytest.mark.slow
def test_app_agent_bad_agent_is_blocked(tmp_path):
    code, report = rehearse(scaffolded("app-agent", tmp_path), "--agent", "bad")
    assert code == 1 and report["blocked_at"] == "docs_helper_release/Evaluation"
    assert [t["routes"] for t in report["traffic"]] == [{"d1": 100}]


def test_bundle_endpoint_mode_changes_the_endpoint_only_through_the_bundle(tmp_path):
    project = scaffolded("bundle-endpoint", tmp_path)
    assert 'entity_version: "${var.serving_version}"' in (project / "databricks.yml").read_text()
    deployment = (project / "resources" / "deployment_job.yml").read_text()
    assert "task_key: Deployment" not in deployment  # no SDK rollout task: CI runs `bundle deploy`
    code, report = rehearse(project)
    assert code == 0 and report["ok"] and report["serving"] == "bundle-endpoint"
    assert (report["champion_before"], report["champion_after"]) == ("1", "2")
    assert outcomes(report)[-2:] == [("rollout", "ok"), ("load_test", "ok")]
    # every configuration the endpoint ever had came from a `bundle deploy`: the bundle is its one owner
    assert report["endpoint_writes"] == [{"endpoint": "ticket-summary-staging", "by": "bundle",
                                          "versions": {"current": v}} for v in ("1", "2")]
    code, report = rehearse(project, "--canary-fault")
    assert code == 1 and report["ok"] and report["rolled_back"] and report["blocked_at"] == "ci/rollout"
    assert report["champion_after"] == "1"
    assert report["endpoint_writes"] == [{"endpoint": "ticket-summary-staging", "by": "bundle",
                                          "versions": {"current": v}} for v in ("1", "2", "1")]
    assert all(t["routes"] == {"current": 100} for t in report["traffic"])


NO_DATASET = ("exit code 2: no evaluation dataset: data/evals/eval-questions.json does not exist; create it as a "
              'JSON list of records such as [{"inputs": {"question": "a question"}, "expectations": '
              '{"expected_facts": ["a fact the answer must state"]}}] (or .jsonl, one record a line; or .csv with a '
              "`question` column)")


def test_endpoint_the_plan_adds_is_rolled_out_once_the_missing_dataset_exists(tmp_path):
    """multi-target: no evaluation dataset, and the endpoint the plan adds names its model by the model resource's
    fields (`${resources.registered_models.*}`), which `bundle summary` prints as written."""
    project = scaffolded("multi-target", tmp_path)
    code, report = rehearse(project)
    assert code == 1 and not report["ok"] and report["blocked_at"] == "ticket_triage_deployment/Evaluation"
    assert report["problems"] == [f"ticket_triage_deployment/Evaluation: {NO_DATASET}"]
    assert [w["versions"] for w in report["endpoint_writes"]] == [{"champion": "1"}]
    # the file, in the format the stage named
    dataset = [{"inputs": {"question": q}, "expectations": {"expected_facts": [f]}} for q, f in (
        ("Which team handles billing tickets?", "the billing team"), ("How urgent is a login outage?", "high"))]
    (project / "data" / "evals").mkdir(parents=True)
    (project / "data" / "evals" / "eval-questions.json").write_text(json.dumps(dataset))
    code, report = rehearse(project)
    assert code == 0 and report["ok"] and report["promoted"], report["problems"]
    assert outcomes(report)[-2:] == [("rollout", "ok"), ("load_test", "ok")]
    assert (report["champion_before"], report["champion_after"]) == ("1", "2")
    assert report["endpoint_writes"] == [{"endpoint": "ticket-triage-staging", "by": "bundle",
                                          "versions": {"champion": v}} for v in ("1", "2")]


@pytest.mark.slow
def test_bundle_endpoint_mode_bad_agent_never_reaches_the_bundle(tmp_path):
    code, report = rehearse(scaffolded("bundle-endpoint", tmp_path), "--agent", "bad")
    assert code == 1 and report["ok"] and report["blocked_at"] == "ticket_summary_deployment/Evaluation"
    assert [w["versions"] for w in report["endpoint_writes"]] == [{"current": "1"}]


@pytest.mark.slow
def test_bundle_endpoint_whose_version_is_not_the_variable_is_not_promoted(tmp_path):
    project = scaffolded("bundle-endpoint", tmp_path)
    replace(project / "databricks.yml", 'entity_version: "${var.serving_version}"', 'entity_version: "1"')
    code, report = rehearse(project)
    assert code == 1 and not report["promoted"] and report["blocked_at"] == "ci/rollout"
    rollout = next(s for s in report["steps"] if s["task"] == "rollout")
    assert rollout["detail"] == ("DeploymentFailed: after `bundle deploy --var=serving_version=2` endpoint "
                                 "`ticket-summary-staging` serves version 1: its entity `current` must take "
                                 "`entity_version` from `serving_version`")
    assert [w["versions"] for w in report["endpoint_writes"]] == [{"current": "1"}] * 3


@pytest.mark.slow
def test_ui_app_in_front_of_an_endpoint_rehearses_the_endpoint_and_approval_in_prod(tmp_path):
    project = scaffolded("rag-apps", tmp_path)
    code, report = rehearse(project, "--target", "prod")
    assert report["serving"] == "bundle-endpoint" and report["ok"], report["problems"]
    assert code == 0 and report["promoted"]
    approval = [(s["task"], s["outcome"]) for s in report["steps"] if s["task"].startswith("Approval")]
    # the first run fails by design; the approver tags the version and the run is repaired
    assert approval == [("Approval_Check", "failed"), ("Approval_Check (approver)", "ok"), ("Approval_Check", "ok")]


def test_bad_input_is_one_line_and_exit_2(tmp_path):
    done = subprocess.run([sys.executable, "-m", "dabprp", "rehearse", str(FIXTURES / "rag-apps")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip().endswith("no scaffolded stage code in src/stages: run `dabprp scaffold` first")
