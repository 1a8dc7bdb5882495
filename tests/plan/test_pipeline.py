"""The plan's pipeline: serving mode from evidence, typed data flow checked at build time, gates from scorers."""

from __future__ import annotations

import ast
import inspect
import re

import pytest

from dabprp.api import plan, scaffold
from dabprp.plan import dataflow
from dabprp.plan.model import JobParam, PlannedJob, PlannedTask, Ref, TaskParam
from tests.conftest import EXAMPLE, FIXTURES, copy_project


@pytest.mark.parametrize("name,kind,evidence,ui", [
    ("example", "agents-deploy", ["src/deployment.py:82"], None),
    ("bundle-endpoint", "bundle-endpoint", ["databricks.yml:21"], None),
    ("app-agent", "app-agent", ["agent_server/agent.py:10", "agent_server/start_server.py:5"], None),
    ("rag-apps", "bundle-endpoint", [None], "databricks.yml:24"),
])
def test_serving_mode_from_evidence(name, kind, evidence, ui):
    built, _ = plan(str(EXAMPLE if name == "example" else FIXTURES / name))
    mode = built.serving_mode
    assert mode.kind == kind
    assert [str(e.location) if e.location else None for e in mode.evidence] == evidence
    assert (str(mode.ui_app.location) if mode.ui_app else None) == ui


def test_model_serving_plan_builds_publishes_and_consumes_the_version():
    built, _ = plan(str(EXAMPLE))
    assert [(j.role, j.key) for j in built.jobs] == [
        ("tests", "multiagent_genie_tests"), ("build", "multiagent_genie_build"),
        ("load_test", "multiagent_genie_load_test"), ("deployment", "multiagent_genie_deployment"),
        ("link", "multiagent_genie_link_deployment_job")]
    build = built.job("build")
    assert build is not None and build.tasks[0].produces == ("model_version", "model_uri")
    # MLflow starts the deployment job for the new version (the link job connects them): the build job waits for
    # that run and never starts one
    waiter = build.tasks[1]
    assert (waiter.key, waiter.waits_for, waiter.run_job, waiter.depends_on) == (
        "await_deployment", "multiagent_genie_deployment", None, ("build",))
    assert [t.run_job for j in built.jobs for t in j.tasks] == [None] * sum(len(j.tasks) for j in built.jobs)
    assert [dataflow.refs(p.value) for p in waiter.params][1:3] == [
        [Ref("task_value", "build.model_version")], [Ref("resource", "jobs.multiagent_genie_deployment.id")]]
    deployment = built.job("deployment")
    assert deployment is not None and [t.max_retries for t in deployment.tasks] == [0, 0, 0]
    deploy = deployment.tasks[2]
    endpoint = next(p.value for p in deploy.params if p.flag == "--endpoint")
    assert dataflow.refs(endpoint) == [Ref("resource", f"registered_models.multiagent_genie_model.{f}")
                                       for f in ("catalog_name", "schema_name", "name")]


def test_gates_are_the_scorers_the_evaluation_runs():
    built, _ = plan(str(EXAMPLE))
    scorers = [c.name for c in built.eval_checks]
    evaluation = built.job("deployment").tasks[0]  # type: ignore[union-attr]
    gates = [p.value.split(">=")[0] for p in evaluation.params if p.flag == "--gate"]
    assert gates == [f"{s}/mean" for s in scorers]
    assert [g.metric for g in built.gates if g.stage == "evaluate"] == gates
    # the project's own Guidelines judge keeps its name
    assert "cites_fiscal_year" in scorers and "guidelines" not in scorers
    rag, _ = plan(str(FIXTURES / "rag-apps"))
    assert [c.name for c in rag.eval_checks] == ["retrieval_groundedness", "safety", "cites_manual"]


def job(tasks: tuple[PlannedTask, ...], params: tuple[JobParam, ...] = ()) -> PlannedJob:
    return PlannedJob("j", "deploy", "", "resources/j.yml", tasks, "", "deployment", params)


@pytest.mark.parametrize("task,problem", [
    (PlannedTask("t", "x.py", (), 0, "", (TaskParam("--a", "${var.nope}"),)),
     "job `j` task `t` consumes `${var.nope}` (--a): no variable `nope` is declared"),
    (PlannedTask("t", "x.py", (), 0, "", (TaskParam("--a", "${resources.apps.gone.name}"),)),
     "job `j` task `t` consumes `${resources.apps.gone.name}` (--a): no resource `apps.gone` in the bundle"),
    (PlannedTask("t", "x.py", (), 0, "", (TaskParam("--a", "{{job.parameters.model_version}}"),)),
     "job `j` task `t` consumes `{{job.parameters.model_version}}` (--a): the job has no parameter "
     "`model_version`"),
    (PlannedTask("t", "x.py", (), 0, "", (TaskParam("--v", "{{tasks.build.values.model_version}}"),)),
     "job `j` task `t` consumes `{{tasks.build.values.model_version}}` (--v): task `build` does not run before "
     "it (add it to depends_on)"),
    (PlannedTask("t", "x.py", ("build",), 0, "", (TaskParam("--v", "{{tasks.build.values.version}}"),)),
     "job `j` task `t` consumes `{{tasks.build.values.version}}` (--v): task `build` does not set the task "
     "value `version`"),
])
def test_a_consumer_without_producer_fails_the_plan(task, problem):
    build = PlannedTask("build", "b.py", (), 0, "", (), ("model_version",))
    with pytest.raises(dataflow.DataFlowError) as failure:
        dataflow.check([job((build, task))], variables={"catalog"}, resources={"jobs.j"})
    assert str(failure.value).splitlines()[1:] == [f"  {problem}"]


def test_a_wired_job_passes_the_check():
    build = PlannedTask("build", "b.py", (), 0, "", (TaskParam("--c", "${var.catalog}"),), ("model_version",))
    use = PlannedTask("use", "u.py", ("build",), 0, "", (
        TaskParam("--v", "{{tasks.build.values.model_version}}"), TaskParam("--t", "{{task.name}}"),
        TaskParam("--m", "{{job.parameters.model_name}}"), TaskParam("--e", "${resources.apps.a.name}")))
    dataflow.check([job((build, use), (JobParam("model_name", ""),))], {"catalog"}, {"apps.a", "jobs.j"})


# Calls the generated stage code makes, and the installed callables they must fit (methods: by their last
# dotted names, e.g. `registry.set_registered_model_alias`, `self.client.serving_endpoints.get`).
def api_targets() -> tuple[dict[str, object], dict[str, object]]:
    mlflow = pytest.importorskip("mlflow")
    from databricks.sdk.config import Config
    from databricks.sdk.service.apps import AppsAPI
    from databricks.sdk.service.jobs import JobsAPI
    from databricks.sdk.service.serving import ServingEndpointsAPI

    client = mlflow.MlflowClient
    functions = {
        "mlflow.pyfunc.log_model": mlflow.pyfunc.log_model, "mlflow.models.predict": mlflow.models.predict,
        "mlflow.register_model": mlflow.register_model, "mlflow.genai.evaluate": mlflow.genai.evaluate,
        "mlflow.set_experiment": mlflow.set_experiment, "mlflow.pyfunc.load_model": mlflow.pyfunc.load_model,
    }
    try:  # the `agents-deploy` owner creates the endpoint with it
        from databricks import agents

        functions["agents.deploy"] = agents.deploy
    except ImportError:
        pass
    methods = {
        "set_registered_model_alias": client.set_registered_model_alias,
        "set_model_version_tag": client.set_model_version_tag, "get_model_version": client.get_model_version,
        "get_model_version_by_alias": client.get_model_version_by_alias,
        "update_registered_model": client.update_registered_model, "log_dict": client.log_dict,
        "serving_endpoints.update_config_and_wait": ServingEndpointsAPI.update_config_and_wait,
        "serving_endpoints.export_metrics": ServingEndpointsAPI.export_metrics,
        "serving_endpoints.get": ServingEndpointsAPI.get,
        "apps.deploy_and_wait": AppsAPI.deploy_and_wait, "apps.get": AppsAPI.get,
        "list_runs": JobsAPI.list_runs, "get_run": JobsAPI.get_run, "config.authenticate": Config.authenticate,
    }
    return functions, methods


def dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Attribute):
        return f"{dotted(node.value)}.{node.attr}"
    if isinstance(node, ast.Call):
        return dotted(node.func) + "()"
    return node.id if isinstance(node, ast.Name) else ""


@pytest.mark.parametrize("fixture", ["example", "app-agent"])
def test_generated_calls_fit_the_installed_signatures(fixture, tmp_path):
    project = copy_project(EXAMPLE if fixture == "example" else FIXTURES / fixture, tmp_path / "p")
    scaffold(str(project))
    functions, methods = api_targets()
    checked = set()
    for path in sorted((project / "src" / "stages").glob("*.py")):
        for call in (n for n in ast.walk(ast.parse(path.read_text())) if isinstance(n, ast.Call)):
            name = dotted(call.func)
            key = name if name in functions else next((k for k in methods if name.endswith("." + k)), None)
            if key is None:
                continue
            target = functions.get(key) or methods[key]
            params = list(inspect.signature(target).parameters)  # type: ignore[arg-type]
            positional = params[1:] if key in methods else params
            unknown = {k.arg for k in call.keywords if k.arg} - set(params)
            assert not unknown, f"{path.name}:{call.lineno} {name}: no parameter {sorted(unknown)}"
            assert len(call.args) <= len(positional), f"{path.name}:{call.lineno} {name}: too many arguments"
            checked.add(key)
    expected = {"mlflow.genai.evaluate", "mlflow.set_experiment", "apps.get", "apps.deploy_and_wait",
                "config.authenticate"} if fixture == "app-agent" else {
            "mlflow.pyfunc.log_model", "mlflow.models.predict", "mlflow.register_model", "mlflow.genai.evaluate",
            "mlflow.pyfunc.load_model", "set_registered_model_alias", "set_model_version_tag", "get_model_version",
            "update_registered_model", "serving_endpoints.update_config_and_wait",
            "serving_endpoints.export_metrics", "serving_endpoints.get", "list_runs", "get_run",
            "config.authenticate", *(["agents.deploy"] if "agents.deploy" in functions else [])}
    assert expected <= checked, sorted(expected - checked)


def test_promotion_pattern_is_deploy_code_unless_the_project_copies_versions(tmp_path):
    built, _ = plan(str(EXAMPLE))
    assert built.promotion is not None and (built.promotion.label, built.promotion.location) == ("deploy-code", None)
    project = copy_project(FIXTURES / "bundle-endpoint", tmp_path / "p")
    (project / "agent" / "promote.py").write_text(
        "from mlflow import MlflowClient\n\n"
        "client = MlflowClient()\n"
        "client.copy_model_version('models:/dev.a.m/3', 'prod.a.m')\n")
    built, _ = plan(str(project))
    assert built.promotion is not None
    assert (built.promotion.label, str(built.promotion.location)) == ("deploy-models", "agent/promote.py:4")


def test_bundle_endpoint_plan_rolls_out_through_the_bundle():
    built, _ = plan(str(FIXTURES / "bundle-endpoint"))
    assert built.bundle_rollout is not None
    assert (built.bundle_rollout.endpoint_key, built.bundle_rollout.entity, built.bundle_rollout.variable,
            built.bundle_rollout.served_today, str(built.bundle_rollout.edit_at)) == (
        "summary_endpoint", "current", "serving_version", "1", "databricks.yml:25")
    deployment = built.job("deployment")
    assert deployment is not None and [t.key for t in deployment.tasks] == ["Evaluation", "Approval_Check"]
    assert built.rollout is not None and [a for p in built.rollout.params for a in p.argv()] == [
        "--target", "${bundle.target}", "--endpoint-key", "summary_endpoint", "--entity", "current",
        "--variable", "serving_version", "--soak-seconds", "600", "--max-error-rate", "0.01",
        "--min-requests", "20", "--probe-requests", "20"]


def test_the_sdk_has_no_call_for_one_served_entity():
    """The canary probes `served-models/<entity>/invocations` over HTTP with the SDK's credentials because the
    installed SDK has no call for that path (`query` goes through the traffic split)."""
    pytest.importorskip("databricks.sdk")
    from databricks.sdk.service import serving

    source = inspect.getsource(serving)
    assert "/served-models/{served_model_name}/build-logs" in source and "/served-models/{served_model_name}/logs" \
        in source
    assert "served-models/{served_model_name}/invocations" not in source and "invocations" in source


@pytest.mark.parametrize("name,waits", [
    ("example", [("multiagent_genie_build", "await_deployment", "multiagent_genie_deployment")]),
    ("bundle-endpoint", [("ticket_summary_build", "await_deployment", "ticket_summary_deployment")]),
    ("app-agent", []),
])
def test_a_job_that_waits_on_another_outlasts_it(name, waits, tmp_path):
    """Timeouts come from the plan's own bounds: a job that waits on another job's run lasts at least the waited
    job's timeout (plus the approval wait) plus its own tasks, in the plan and in the scaffolded YAML."""
    import yaml

    from dabprp.plan.pipeline import APPROVAL_WAIT_SECONDS, DEPLOYMENT_START_SECONDS

    project = copy_project(EXAMPLE if name == "example" else FIXTURES / name, tmp_path / "p")
    built, _ = plan(str(project))
    jobs = {j.key: j for j in built.jobs}
    found = [(j.key, t.key, t.waits_for or t.run_job) for j in built.jobs for t in j.tasks if t.waits_for or t.run_job]
    assert found == waits
    for key, task_key, waited_key in found:
        job, waited = jobs[key], jobs[str(waited_key)]
        task = next(t for t in job.tasks if t.key == task_key)
        own = sum(t.timeout for t in job.tasks if t is not task and t.run_job is None)
        assert task.timeout == DEPLOYMENT_START_SECONDS + waited.timeout + APPROVAL_WAIT_SECONDS
        assert job.timeout >= waited.timeout + APPROVAL_WAIT_SECONDS + own
    scaffold(str(project))
    for job in built.jobs:
        written = yaml.safe_load((project / job.file).read_text())["resources"]["jobs"][job.key]
        assert written["timeout_seconds"] == job.timeout
        assert [t["timeout_seconds"] for t in written["tasks"]] == [t.timeout for t in job.tasks]


def test_timeouts_follow_the_rollout_steps_and_soak():
    from dabprp.plan.pipeline import SERVING_UPDATE_SECONDS, rollout_timeout

    assert rollout_timeout((10, 50, 100), 600) == 3 * 600 + 5 * SERVING_UPDATE_SECONDS
    built, _ = plan(str(EXAMPLE))
    deployment = built.job("deployment")
    assert deployment is not None and deployment.tasks[2].timeout == 7800 and deployment.timeout == 13800
    build = built.job("build")
    assert build is not None and (build.tasks[1].timeout, build.timeout) == (43500, 47100)
    five, _ = plan(str(EXAMPLE), overrides={"rollout_steps": [1, 5, 25, 50, 100]})
    longer = five.job("deployment")
    assert longer is not None and longer.tasks[2].timeout == rollout_timeout((1, 5, 25, 50, 100), 600) == 11400
    assert five.job("build").tasks[1].timeout == 43500 + 11400 - 7800  # type: ignore[union-attr]


@pytest.mark.parametrize("project", [EXAMPLE, FIXTURES / "app-agent", FIXTURES / "bundle-endpoint",
                                     FIXTURES / "notebooks"], ids=lambda p: p.name)
def test_every_job_that_evaluates_installs_what_the_judges_import(project):
    """On a Databricks tracking URI MLflow's built-in judges default to the Databricks judge model, which
    databricks-agents provides: without it every judge errors and no gate metric exists."""
    from mlflow.genai.judges import utils

    assert utils.get_default_model.__code__.co_names.count("is_databricks_uri")  # the reason, as installed
    built, _ = plan(str(project))
    evaluating = [j for j in built.jobs if any((t.file or "").endswith("/evaluate.py") for t in j.tasks)]
    assert evaluating
    for job in evaluating:
        names = {re.split(r"[<>=!~\[; ]", d, maxsplit=1)[0].lower() for d in job.dependencies}
        assert "databricks-agents" in names, (job.key, job.dependencies)
