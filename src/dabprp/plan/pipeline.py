"""The planned jobs and tasks of each serving mode, with every task parameter named by its producer."""

from __future__ import annotations

import re

from dabprp.facts import MlflowCall, Project
from dabprp.plan.model import Gate, JobParam, PlannedJob, PlannedTask, ServingMode, TaskParam, prose
from dabprp.records import record

STAGES_DIR = "src/stages"
# What the stage code imports, added to the project's own requirements when it does not name them.
STAGE_PACKAGES = {
    "tests": ("pytest==9.0.3", "PyYAML==6.0.3"),
    "model": ("mlflow==3.17.2", "databricks-sdk==0.167.0"),
    "agents": ("databricks-agents==1.13.0",),
    "client": ("databricks-sdk==0.167.0",),
}
DEFAULT_SOAK_SECONDS = 600
MODEL_STAGE_FILES = ("__init__", "build", "evaluate", "approve", "deploy", "await_deployment", "link_deployment_job",
                     "loadtest", "run_tests", "validate_config")
"""The stage modules scaffold writes under STAGES_DIR for an agent served from a registered model."""
APP_STAGE_FILES = ("__init__", "evaluate", "deploy", "loadtest", "run_tests", "validate_config")
"""The stage modules for an agent that runs in a Databricks App."""
MIN_CANARY_REQUESTS = 20
"""Requests a canary step (or an app's soak) must see before it is judged; the deploy stage sends that many probe
requests of its own per step, so staging, where no user sends traffic, still has the evidence."""
SERVING_UPDATE_SECONDS = 1200
"""Bound on one serving change: an endpoint configuration update (a new served entity is built and provisioned)
or an app deployment."""
DEPLOYMENT_START_SECONDS = 900
"""How long the build job waits for MLflow to start the deployment run of the version it registered."""
APPROVAL_WAIT_SECONDS = 28800
"""How long the build job waits for an approver when the deployment run stops at its approval task (the run
itself continues whenever it is approved)."""


def rollout_timeout(steps: tuple[int, ...], soak_seconds: int) -> int:
    """A canary's bound: each step's soak, plus a configuration update per step, the final one and a rollback."""
    return len(steps) * soak_seconds + (len(steps) + 2) * SERVING_UPDATE_SECONDS


@record
class Wiring:
    """The bundle expressions the stage tasks receive (resolved per target by the Databricks CLI)."""

    key: str
    model_name: str
    experiment: str
    endpoint: str
    deploy_job: str
    deploy_job_reused: bool
    agent_file: str | None
    model_config: str | None
    app_source: str | None = None
    folder: str = "resources"
    catalog: str = "${var.catalog}"
    """The project's catalog variable (under whatever name it has)."""
    """Where the bundle keeps resource files (the plan's job files go there)."""


def jobs(mode: ServingMode, wiring: Wiring, gates: tuple[Gate, ...], steps: tuple[int, ...],
         p95_ms: int, max_error_rate: float, project: Project) -> tuple[PlannedJob, ...]:
    """Test → Build → Evaluate → Approve → Deploy (+ load test, link) for Model Serving; Test → Evaluate →
    Deploy (+ load test) for an App that runs the agent."""
    k, s = wiring.key, STAGES_DIR
    deps = requirements(project)
    eval_gates = tuple(TaskParam("--gate", f"{g.metric}>={g.threshold:g}", joined=True)
                       for g in gates if g.stage == "evaluate" and g.blocking)
    config = (TaskParam("--config", wiring.model_config),) if wiring.model_config else ()
    tests = PlannedJob(f"{k}_tests", "test", "unit tests and configuration check", f"{wiring.folder}/test_job.yml", (
        PlannedTask("unit_tests", f"{s}/run_tests.py", (), 1, "pytest on tests/", (
            TaskParam("--tests-dir", "tests"),), timeout=1800),
        PlannedTask("validate_config", f"{s}/validate_config.py", ("unit_tests",), 1,
                    "no placeholders left in the agent configuration", (
                        *config, TaskParam("--catalog", wiring.catalog)), timeout=600),
    ), "CI on every pull request", "tests", (), merge(deps, STAGE_PACKAGES["tests"]))
    health = (TaskParam("--p95-ms", str(p95_ms)), TaskParam("--max-error-rate", f"{max_error_rate:g}"))
    evidence = (TaskParam("--min-requests", str(MIN_CANARY_REQUESTS)),
                TaskParam("--probe-requests", str(MIN_CANARY_REQUESTS)))
    load = PlannedJob(f"{k}_load_test", "stage", "load test of the staging deployment against the budgets",
                      f"{wiring.folder}/load_test_job.yml", (
                          PlannedTask("load_test", f"{s}/loadtest.py", (), 0, "latency and error budgets under load", (
                              TaskParam("--endpoint" if mode.serves_from_model else "--app", wiring.endpoint),
                              *health, TaskParam("--requests", "200"), TaskParam("--concurrency", "4")),
                              timeout=1800),
                      ), "CI after the staging rollout", "load_test", (), merge((), STAGE_PACKAGES["client"]))
    model_deps = merge(deps, STAGE_PACKAGES["model"] + (STAGE_PACKAGES["agents"] if mode.kind == "agents-deploy"
                                                          else ()))
    # MLflow's built-in judges run through databricks-agents on a Databricks tracking URI
    eval_deps = merge(model_deps, STAGE_PACKAGES["agents"])
    if not mode.serves_from_model:
        release = PlannedJob(f"{k}_release", "deploy", "evaluate the app's agent, then deploy the app with rollback",
                             f"{wiring.folder}/release_job.yml", (
                                 PlannedTask("Evaluation", f"{s}/evaluate.py", (), 0, "the agent's @invoke on the "
                                             "evaluation set, gated", (
                                                 TaskParam("--agent-file", wiring.agent_file or ""),
                                                 TaskParam("--experiment", wiring.experiment), *eval_gates),
                                             timeout=5400),
                                 PlannedTask("Deployment", f"{s}/deploy.py", ("Evaluation",), 0,
                                             "deploy the app from the bundle's source, probed and health-checked, "
                                             "with rollback", (
                                                 TaskParam("--app", wiring.endpoint),
                                                 TaskParam("--source-code-path", wiring.app_source or ""),
                                                 TaskParam("--soak-seconds", str(DEFAULT_SOAK_SECONDS)), health[1],
                                                 *evidence),
                                             timeout=DEFAULT_SOAK_SECONDS + 2 * SERVING_UPDATE_SECONDS),
                             ), prose("CI after `bundle deploy` of each target"), "release", (), eval_deps)
        return tests, release, load
    model = TaskParam("--model-name", "{{job.parameters.model_name}}")
    version = TaskParam("--model-version", "{{job.parameters.model_version}}")
    # a bundle-owned endpoint changes only through `bundle deploy` (a CI step, plan.rollout): no SDK rollout task
    rollout = () if mode.kind == "bundle-endpoint" else (
        PlannedTask("Deployment", f"{s}/deploy.py", ("Approval_Check",), 0,
                    "canary rollout on the endpoint, probed, soaked and judged by its metrics, exact rollback", (
                        model, version, TaskParam("--endpoint", wiring.endpoint),
                        TaskParam("--steps", ",".join(str(x) for x in steps)),
                        TaskParam("--soak-seconds", str(DEFAULT_SOAK_SECONDS)), health[1], *evidence),
                    timeout=rollout_timeout(steps, DEFAULT_SOAK_SECONDS)),)
    deployment = PlannedJob(
        wiring.deploy_job, "deploy", "MLflow 3 deployment job: evaluate, approve and roll out one model version"
        if rollout else prose("MLflow 3 deployment job: evaluate and approve one model version (alias `challenger`)"),
        f"{wiring.folder}/deployment_job.yml", (
            PlannedTask("Evaluation", f"{s}/evaluate.py", (), 0, "evaluate this version; gates from its scorers", (
                model, version, TaskParam("--experiment", wiring.experiment), *eval_gates), timeout=5400),
            PlannedTask("Approval_Check", f"{s}/approve.py", ("Evaluation",), 0,
                        prose("UC tag `Approval_Check=Approved` where approval is required; then alias `challenger`"), (
                            model, version, TaskParam("--tag", "{{task.name}}"),
                            TaskParam("--required", "${var.approval_required}")), timeout=600),
            *rollout,
        ), prose("started by MLflow for every new version of the UC model (the link job connects it); nothing "
                 "else starts it"), "deployment",
        (JobParam("model_name", wiring.model_name), JobParam("model_version", "")), eval_deps,
        reused=wiring.deploy_job_reused)
    waited = deployed_timeout(project, deployment)
    build = PlannedJob(f"{k}_build", "build", "log the agent from this commit, check it, register the version; "
                       "wait for the deployment run MLflow starts for it", f"{wiring.folder}/build_job.yml", (
                           PlannedTask("build", f"{s}/build.py", (), 0, "log, mlflow.models.predict, register", (
                               TaskParam("--agent-file", wiring.agent_file or ""), *config,
                               TaskParam("--model-name", wiring.model_name),
                               TaskParam("--experiment", wiring.experiment), TaskParam("--env-manager", "uv")),
                               ("model_version", "model_uri"), timeout=3600),
                           PlannedTask("await_deployment", f"{s}/await_deployment.py", ("build",), 0,
                                       prose("wait for the deployment run MLflow starts for this version (never "
                                             "start one) and fail unless it succeeds"), (
                                           TaskParam("--model-name", wiring.model_name),
                                           TaskParam("--model-version", "{{tasks.build.values.model_version}}"),
                                           TaskParam("--job-id", "${resources.jobs.%s.id}" % wiring.deploy_job),
                                           TaskParam("--start-timeout-seconds", str(DEPLOYMENT_START_SECONDS)),
                                           TaskParam("--approval-wait-seconds", str(APPROVAL_WAIT_SECONDS))),
                                       timeout=DEPLOYMENT_START_SECONDS + waited + APPROVAL_WAIT_SECONDS,
                                       waits_for=wiring.deploy_job),
                       ), prose("CI after `bundle deploy` of each target (every environment builds from the same "
                                "commit)"),
                       "build", (), model_deps)
    link = PlannedJob(f"{k}_link_deployment_job", "deploy", "post-deploy: link the deployment job to the model",
                      f"{wiring.folder}/link_job.yml", (
                          PlannedTask("link", f"{s}/link_deployment_job.py", (), 2,
                                      "update_registered_model(deployment_job_id=...)", (
                                          TaskParam("--model-name", wiring.model_name),
                                          TaskParam("--job-id", "${resources.jobs.%s.id}" % wiring.deploy_job)),
                                      timeout=600),
                      ), prose("once after each `bundle deploy` of staging and prod"), "link", (),
                      merge((), STAGE_PACKAGES["model"]))
    return tests, build, load, deployment, link


def deployed_timeout(project: Project, deployment: PlannedJob) -> int:
    """The deployment job's bound: the project's own `timeout_seconds` when it keeps its job, else the plan's."""
    b = project.bundle
    own = next((j for j in (b.resources.jobs if b else ()) if j.key == deployment.key), None)
    if deployment.reused and own is not None and own.timeout_seconds:
        return own.timeout_seconds
    return deployment.timeout


def own_calls(project: Project, *apis: str) -> list[MlflowCall]:
    """Calls in the project's own code: dabprp's generated stage files are not evidence about the project."""
    generated = project.python.generated_paths()
    return [c for c in project.python.calls(*apis) if c.location.path not in generated]


def _name(requirement: str) -> str:
    return re.sub(r"[-_.]+", "-", re.split(r"[\s\[<>=!~;@]", requirement.strip(), maxsplit=1)[0]).lower()


def requirements(project: Project) -> tuple[str, ...]:
    """The project's requirements, one entry per package (a pinned spec wins over a bare name)."""
    out: dict[str, str] = {}
    for r in project.repo.requirements:
        name = _name(r.name)
        if name and (name not in out or r.spec):
            out[name] = f"{r.name}{r.spec}"
    return tuple(out[n] for n in sorted(out))


def merge(base: tuple[str, ...], extra: tuple[str, ...]) -> tuple[str, ...]:
    """`base` plus what `extra` names that `base` does not: one spec per package, so pip can resolve it."""
    out = {_name(r): r for r in base}
    for r in extra:
        out.setdefault(_name(r), r)
    return tuple(out[n] for n in sorted(out))
