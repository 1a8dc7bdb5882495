"""The planned jobs and their tasks, as data."""

from __future__ import annotations

from dabprp.plan.text import Text
from dabprp.records import record


@record
class TaskParam:
    """One command-line argument of a task: `flag value` (or `flag=value` when `joined`)."""

    flag: str
    value: str
    joined: bool = False

    def argv(self) -> list[str]:
        return [f"{self.flag}={self.value}"] if self.joined else [self.flag, self.value]


@record
class JobParam:
    name: str
    default: str


@record
class PlannedTask:
    key: str
    file: str | None
    depends_on: tuple[str, ...]
    max_retries: int
    purpose: str | Text
    params: tuple[TaskParam, ...] = ()
    produces: tuple[str, ...] = ()
    """Task values this task sets with `dbutils.jobs.taskValues.set`."""
    run_job: str | None = None
    """Key of the job a `run_job_task` starts; `params` are then its job parameters."""
    timeout: int = 3600
    waits_for: str | None = None
    """Key of a job whose run this task waits for without starting it (its timeout covers that job's)."""


@record
class PlannedJob:
    key: str
    stage: str
    purpose: str | Text
    file: str
    tasks: tuple[PlannedTask, ...]
    trigger: str | Text
    role: str = ""
    """`tests`, `build`, `deployment`, `load_test`, `link` or `release` (what the job is for)."""
    parameters: tuple[JobParam, ...] = ()
    dependencies: tuple[str, ...] = ()
    """The job environment's pinned requirements (everything its tasks import)."""
    reused: bool = False
    """The project's own job (its tasks are not the plan's)."""

    @property
    def timeout(self) -> int:
        """The job's bound: its tasks run one after another (a run_job_task's time is the started job's)."""
        return sum(t.timeout for t in self.tasks if t.run_job is None) or 3600
