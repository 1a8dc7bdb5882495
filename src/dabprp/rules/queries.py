"""Shared questions rules ask of the facts (which jobs deploy, where a missing thing belongs)."""

from __future__ import annotations

import re
from collections.abc import Mapping

from dabprp.facts import HardcodedSecret, Job, Location, MlflowCall, Project, Target, Task, literal_str
from dabprp.knowledge import is_approval_task_key, names_a_deployment_job
from dabprp.parse.bundle_load import DEFAULT_ROOT_FILE

DEPLOY_APIS = ("databricks.agents.deploy", "mlflow.register_model", "mlflow.deployments.create_endpoint")
JOB_ID_REF = re.compile(r"\$\{resources\.jobs\.([\w-]+)\.id\}")


def bundle_location(project: Project) -> Location:
    """Where bundle-level additions belong: the bundle root file (even when it does not exist yet)."""
    if project.bundle is not None:
        return Location(project.bundle.root_file, 1)
    return Location(DEFAULT_ROOT_FILE, 1)


def targets_location(project: Project) -> Location:
    b = project.bundle
    if b is None:
        return bundle_location(project)
    return b.targets[0].location if b.targets else Location(b.root_file, 1)


def hardcoded_secrets(project: Project) -> list[HardcodedSecret]:
    """Every credential written in the project (Python, bundle files, agent configurations), by location."""
    found = list(project.python.hardcoded_secrets) + [s for c in project.configs for s in c.hardcoded_secrets]
    found += project.bundle.hardcoded_secrets if project.bundle else ()
    return sorted({s.location: s for s in found}.values(), key=lambda s: s.location)


def jobs(project: Project) -> tuple[Job, ...]:
    return project.bundle.resources.jobs if project.bundle else ()


def calls_in(project: Project, path: str | None, *apis: str) -> list[MlflowCall]:
    return [c for c in project.python.calls(*apis) if path is None or c.location.path == path]


def task_calls(project: Project, task: Task, *apis: str) -> list[MlflowCall]:
    return calls_in(project, task.resolved_path, *apis) if task.resolved_path else []


def hands_over(project: Project, job: Job, jobs_by_key: Mapping[str, Job] | None = None) -> bool:
    """The job hands the versions it registers to a deployment job: it starts that job (run_job_task), or a task
    waits for the run MLflow starts for the version (it passes the id of a job that takes model versions).
    `jobs_by_key`: the project's jobs by key, when the caller asks this of every job (built once, not per job)."""
    if any(t.type == "run_job" for t in job.tasks):
        return True
    by_key = jobs_by_key if jobs_by_key is not None else {j.key: j for j in jobs(project)}
    referenced = {key for t in job.tasks for key in JOB_ID_REF.findall(" ".join(str(v) for v in t.parameters.values()))}
    return any(key != job.key and key in by_key and takes_model_version(project, by_key[key])
               for key in sorted(referenced))


def is_deploy_job(project: Project, job: Job, jobs_by_key: Mapping[str, Job] | None = None) -> bool:
    # a build job registers a version and hands it to the deployment job: it does not deploy
    handed = hands_over(project, job, jobs_by_key)
    apis = tuple(a for a in DEPLOY_APIS if not (handed and a == "mlflow.register_model"))
    if any(task_calls(project, t, *apis) for t in job.tasks):
        return True
    if any(is_approval_task(t) for t in job.tasks):
        return True
    return names_a_deployment_job(job.key) or names_a_deployment_job(job.name or "")


def makes_model_version(project: Project, task: Task) -> bool:
    """The task's code logs a model or registers a version (`*.log_model`, `register_model`,
    `MlflowClient.create_model_version`)."""
    return task.resolved_path is not None and any(
        c.api.endswith(".log_model") or c.api in ("mlflow.register_model", "MlflowClient.create_model_version")
        for c in project.python.mlflow_calls if c.location.path == task.resolved_path and not c.commented_out)


def takes_model_version(project: Project, job: Job) -> bool:
    """A deployment job meant to be started for a given model version (what MLflow 3 links to a model): it has
    an approval task, or a task reads `model_version`, or every task's code is known and none creates a version.
    A job that logs or registers the model itself is not one: linking it would start it for its own versions."""
    if any(p.name == "model_version" for p in job.parameters) or any(is_approval_task(t) for t in job.tasks):
        return True
    if any("model_version" in f"{k} {v}" for t in job.tasks for k, v in t.parameters.items()):
        return True
    if any(t.resolved_path is None or makes_model_version(project, t) for t in job.tasks):
        return False
    return any(task_calls(project, t, *DEPLOY_APIS) for t in job.tasks)


def deploy_jobs(project: Project) -> list[Job]:
    """The jobs that deploy, in bundle order; linear in jobs and tasks (the jobs are indexed by key once)."""
    all_jobs = jobs(project)
    by_key = {j.key: j for j in all_jobs}
    return [j for j in all_jobs if is_deploy_job(project, j, by_key)]


def is_approval_task(task: Task) -> bool:
    return is_approval_task_key(task.task_key)


def production_targets(project: Project) -> list[Target]:
    b = project.bundle
    return [t for t in b.targets if t.mode == "production"] if b else []


def first_call_or_bundle(project: Project, *apis: str) -> Location:
    found = project.python.calls(*apis)
    return found[0].location if found else bundle_location(project)


def uses_uc_registry(project: Project) -> bool:
    for call in project.python.calls("mlflow.set_registry_uri"):
        uri = literal_str(call.arguments.get("_0") or call.arguments.get("uri"))
        if uri is not None and "databricks-uc" in uri:
            return True
    return False


def three_level(name: str) -> bool:
    return bool(re.fullmatch(r"[^.\s]+\.[^.\s]+\.[^.\s]+", name))
