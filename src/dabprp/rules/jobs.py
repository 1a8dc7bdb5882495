"""2xx: jobs and tasks of the pipeline."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from dabprp.facts import Job, Project
from dabprp.findings import Hit, Severity, Stage
from dabprp.knowledge import DOCS
from dabprp.parse.bundle_values import as_dict
from dabprp.rules import Subject, rule
from dabprp.rules.bundle_view import TargetView, tasks_of
from dabprp.rules.queries import bundle_location, deploy_jobs, is_approval_task, jobs, takes_model_version, task_calls


def _runs_tests(project: Project, job: Job) -> bool:
    for t in job.tasks:
        text = f"{t.task_key} {t.target or ''} {t.parameters}".lower()
        if "pytest" in text or "test" in t.task_key.lower():
            return True
    return False


@rule("DAB201", "No test job", severity=Severity.ERROR, stage=Stage.TEST,
      fix="Add a job (or a first task) that runs the unit and integration tests on the target's compute.",
      docs=(DOCS["ci_cd"],))
def no_test_job(project: Project) -> Iterator[Hit]:
    """Nothing in the bundle runs the agent's tests before evaluation or deployment."""
    if project.bundle is not None and not any(_runs_tests(project, j) for j in jobs(project)):
        yield Hit(bundle_location(project), "no job or task runs tests")


@rule("DAB202", "No evaluation job", severity=Severity.ERROR, stage=Stage.EVALUATE,
      fix="Add an evaluation job that runs `mlflow.genai.evaluate` and fails when a quality gate is missed.",
      docs=(DOCS["genai_eval"],))
def no_evaluation_job(project: Project) -> Iterator[Hit]:
    """Evaluation that is not a job cannot gate promotion."""
    if project.bundle is None:
        return
    for j in jobs(project):
        if any(task_calls(project, t, "mlflow.genai.evaluate") or "eval" in t.task_key.lower() for t in j.tasks):
            return
    yield Hit(bundle_location(project), "no job runs an evaluation")


@rule("DAB203", "Deployment job without model_name/model_version parameters", severity=Severity.ERROR,
      stage=Stage.DEPLOY,
      fix="Declare job-level `parameters` `model_name` and `model_version` (not task parameters).",
      docs=(DOCS["deployment_job"],))
def deploy_job_without_parameters(project: Project) -> Iterator[Hit]:
    """An MLflow 3 deployment job is started for each new model version with these two job parameters."""
    for job in (j for j in deploy_jobs(project) if takes_model_version(project, j)):
        names = {p.name for p in job.parameters}
        missing = [n for n in ("model_name", "model_version") if n not in names]
        if missing:
            yield Hit(job.location, f"deployment job `{job.key}` lacks job parameters {', '.join(missing)}")


@rule("DAB204", "Deployment job concurrency not limited to 1", severity=Severity.ERROR, stage=Stage.DEPLOY,
      fix="Set `max_concurrent_runs: 1` explicitly (development mode otherwise sets 4).",
      docs=(DOCS["deployment_job"],))
def deploy_job_concurrency(project: Project) -> Iterator[Hit]:
    """Two deployments of the same model at once race on the endpoint and the aliases."""
    for job in deploy_jobs(project):
        if job.max_concurrent_runs != 1:
            yield Hit(job.location, f"deployment job `{job.key}` has max_concurrent_runs "
                      f"{job.max_concurrent_runs if job.max_concurrent_runs is not None else 'unset'}")


@rule("DAB205", "Approval task with retries", severity=Severity.ERROR, stage=Stage.DEPLOY,
      fix="Set `max_retries: 0` on approval tasks: their first run fails by design until the tag is set.",
      docs=(DOCS["deployment_job"],))
def approval_with_retries(project: Project) -> Iterator[Hit]:
    """Retries on an approval task re-run a check that is meant to wait for a human."""
    for job in jobs(project):
        for t in job.tasks:
            if is_approval_task(t) and (t.max_retries or 0) != 0:
                yield Hit(t.location, f"approval task `{t.task_key}` has max_retries {t.max_retries}")


@rule("DAB206", "Tasks without retries", severity=Severity.NOTE, stage=Stage.DEPLOY,
      fix="Give non-approval tasks `max_retries` (e.g. 2) with `min_retry_interval_millis`.",
      docs=(DOCS["jobs"],))
def tasks_without_retries(project: Project) -> Iterator[Hit]:
    """Transient failures (cluster start, endpoint warm-up) fail the whole pipeline without retries."""
    for job in jobs(project):
        for t in job.tasks:
            if not is_approval_task(t) and t.max_retries is None and t.type != "condition":
                yield Hit(t.location, f"task `{job.key}.{t.task_key}` has no retry policy")


@rule("DAB207", "Job without timeout", severity=Severity.WARNING, stage=Stage.DEPLOY,
      fix="Set `timeout_seconds` on the job (and on long tasks).", docs=(DOCS["jobs"],))
def job_without_timeout(project: Project) -> Iterator[Hit]:
    """A hung evaluation or deployment holds the single concurrency slot forever."""
    for job in jobs(project):
        if not job.timeout_seconds:
            yield Hit(job.location, f"job `{job.key}` has no timeout_seconds")


@rule("DAB208", "Job without failure notifications", severity=Severity.WARNING, stage=Stage.OBSERVABILITY,
      fix="Add `email_notifications.on_failure` or `webhook_notifications.on_failure`.", docs=(DOCS["jobs"],))
def job_without_notifications(project: Project) -> Iterator[Hit]:
    """A failed gate or deployment that nobody hears about is a silent outage."""
    for job in jobs(project):
        emails = (job.email_notifications or {}).get("on_failure")
        hooks = (job.webhook_notifications or {}).get("on_failure")
        if not emails and not hooks:
            yield Hit(job.location, f"job `{job.key}` notifies nobody on failure")


@rule("DAB209", "Job without health rules", severity=Severity.NOTE, stage=Stage.OBSERVABILITY,
      fix="Add `health.rules` with `RUN_DURATION_SECONDS GREATER_THAN <budget>`.", docs=(DOCS["jobs"],))
def job_without_health(project: Project) -> Iterator[Hit]:
    """Health rules warn before a slow run reaches its timeout."""
    for job in jobs(project):
        if not job.health_rules:
            yield Hit(job.location, f"job `{job.key}` has no health rules")


@rule("DAB210", "No approval step", severity=Severity.ERROR, stage=Stage.DEPLOY,
      fix="Add an `Approval_Check` task between evaluation and deployment (UC tag approval).",
      docs=(DOCS["deployment_job"],))
def no_approval(project: Project) -> Iterator[Hit]:
    """Without an approval task any version that passes evaluation reaches production unreviewed."""
    if project.bundle is None:
        return
    if not any(is_approval_task(t) for j in jobs(project) for t in j.tasks):
        where = deploy_jobs(project)
        yield Hit(where[0].location if where else bundle_location(project), "no approval task in any job")


@rule("DAB211", "Deployment job without queueing", severity=Severity.NOTE, stage=Stage.DEPLOY,
      fix="Set `queue: {enabled: true}` so versions registered during a run wait instead of being skipped.",
      docs=(DOCS["deployment_job"],))
def deploy_job_without_queue(project: Project) -> Iterator[Hit]:
    """With one concurrent run and no queue, a second version's deployment run is skipped."""
    for job in deploy_jobs(project):
        if job.queue_enabled is not True:
            yield Hit(job.location, f"deployment job `{job.key}` does not enable the run queue")


TASK_PATH_FIELDS = (("notebook_task", "notebook_path", True), ("spark_python_task", "python_file", False))


@rule("DAB212", "Task file does not exist", severity=Severity.ERROR, stage=Stage.TEST,
      fix="Point the task at an existing notebook or file, relative to the YAML file that declares it "
          "(notebooks may drop the extension).", docs=(DOCS["jobs"],), subject=Subject.TARGET, cli_check=True)
def task_path_missing(view: TargetView) -> Iterator[Hit]:
    """The CLI resolves task paths relative to the declaring YAML file; a missing file fails the deploy."""
    yield from view.job_hits(_missing_task_paths)


def _missing_task_paths(view: TargetView, raw_key: Any, spec: dict[str, Any]) -> Iterator[Hit]:
    key = str(raw_key)
    for i, task in tasks_of(spec):
        for kind, field, notebook in TASK_PATH_FIELDS:
            body = as_dict(task.get(kind))
            path = body.get(field)
            if body.get("source") == "GIT" or not isinstance(path, str) or "${" in path or path.startswith("/"):
                continue
            where = view.at("resources", "jobs", key, "tasks", i, kind, field)
            if not view.exists(where.path, path, notebook):
                yield Hit(where, f"task `{key}.{task.get('task_key')}` points at missing `{path}` "
                          f"(relative to {where.path})")


@rule("DAB213", "No load test or rollback rehearsal before production", severity=Severity.WARNING,
      stage=Stage.STAGE,
      fix="Add a staging job that deploys the candidate, load-tests it against latency and error budgets and "
          "rehearses the rollback.", docs=(DOCS["serving_traffic"],))
def no_staging_rehearsal(project: Project) -> Iterator[Hit]:
    """Latency under load and the rollback path are first exercised in production otherwise."""
    if project.bundle is None:
        return
    words = ("load", "stress", "rollback")
    for job in jobs(project):
        for t in job.tasks:
            if any(w in f"{t.task_key} {t.target or ''}".lower() for w in words):
                return
    yield Hit(bundle_location(project), "no job load-tests a candidate or rehearses a rollback")
