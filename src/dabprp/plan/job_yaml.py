"""Bundle job documents rendered from the planned jobs: the YAML says exactly what the plan's tasks consume."""

from __future__ import annotations

from typing import Any

from dabprp.plan import bundle_yaml as by
from dabprp.plan.model import PlannedJob, PlannedTask


def task_doc(task: PlannedTask, stages: str) -> dict[str, Any]:
    doc: dict[str, Any] = {"task_key": task.key}
    if task.depends_on:
        doc["depends_on"] = [{"task_key": d} for d in task.depends_on]
    if task.run_job is not None:
        doc["run_job_task"] = {"job_id": "${resources.jobs.%s.id}" % task.run_job,
                               "job_parameters": {p.flag: p.value for p in task.params}}
    else:
        doc["environment_key"] = "default"
        file = (task.file or "").rsplit("/", 1)[-1]
        doc["spark_python_task"] = {"python_file": f"{stages}/{file}",
                                    "parameters": [a for p in task.params for a in p.argv()]}
    doc["max_retries"] = task.max_retries
    if task.max_retries:
        doc["min_retry_interval_millis"] = 60000
    doc["timeout_seconds"] = task.timeout
    return doc


def job_doc(job: PlannedJob, bundle_name: str, stages: str, email: str, environment_var: str | None = None,
            **extra: Any) -> dict[str, Any]:
    """One job resource; `stages` is the stage directory relative to the job's YAML file; `environment_var` names
    the complex variable holding the job's environment (else it is written inline)."""
    timeout = job.timeout
    short = job.role.replace("_", "-") if job.role else job.key.replace("_", "-")
    doc: dict[str, Any] = {"name": f"{bundle_name}-{short}-${{bundle.target}}"}
    if job.parameters:
        doc["parameters"] = [{"name": p.name, "default": p.default} for p in job.parameters]
    doc.update(extra)
    doc.update({"max_concurrent_runs": 1, "queue": {"enabled": True},
                "email_notifications": by.notifications(email)})
    if any(t.run_job is None for t in job.tasks):
        doc["environments"] = "${var.%s}" % environment_var if environment_var else \
            by.environments_block(list(job.dependencies))
    doc["timeout_seconds"] = timeout
    doc["health"] = by.health(int(timeout * 0.75))
    doc["tasks"] = [task_doc(t, stages) for t in job.tasks]
    doc["permissions"] = [{"level": "CAN_MANAGE_RUN", "group_name": "${var.approver_group}"},
                          {"level": "CAN_VIEW", "group_name": "${var.consumer_group}"}]
    return doc
