"""Data flow of the planned jobs: every value a task consumes names its producer, checked when the plan is built."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from dabprp.plan.model import PlannedJob, PlannedTask, Ref

REF_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("variable", re.compile(r"\$\{var\.([A-Za-z0-9_-]+)[^}]*\}")),
    ("resource", re.compile(r"\$\{resources\.([a-z_]+\.[A-Za-z0-9_-]+\.[a-z_]+)\}")),
    ("bundle", re.compile(r"\$\{bundle\.([a-z_]+)\}")),
    ("workspace", re.compile(r"\$\{workspace\.([a-z_.]+)\}")),
    ("job_parameter", re.compile(r"\{\{\s*job\.parameters\.([A-Za-z0-9_-]+)\s*\}\}")),
    ("task_value", re.compile(r"\{\{\s*tasks\.([A-Za-z0-9_-]+\.)values\.([A-Za-z0-9_-]+)\s*\}\}")),
    ("task", re.compile(r"\{\{\s*task\.([a-z_]+)\s*\}\}")),
)
BUNDLE_FIELDS = frozenset({"name", "target"})
WORKSPACE_FIELDS = frozenset({"file_path", "root_path", "artifact_path", "current_user.userName",
                              "current_user.short_name"})
TASK_FIELDS = frozenset({"name"})


class DataFlowError(ValueError):
    """A planned task consumes a value nothing produces: the plan is wrong, never written."""


def refs(value: str) -> list[Ref]:
    """The references in one parameter value, in order."""
    found: list[tuple[int, Ref]] = []
    for kind, pattern in REF_PATTERNS:
        for m in pattern.finditer(value):
            name = "".join(m.groups())
            found.append((m.start(), Ref(kind, name)))
    return [r for _, r in sorted(found, key=lambda item: item[0])]


def upstream(task: PlannedTask, tasks: dict[str, PlannedTask]) -> set[str]:
    """Keys of every task `task` waits for, directly or through others."""
    seen: set[str] = set()
    todo = list(task.depends_on)
    while todo:
        key = todo.pop()
        if key in seen or key not in tasks:
            continue
        seen.add(key)
        todo.extend(tasks[key].depends_on)
    return seen


def missing_producers(jobs: Iterable[PlannedJob], variables: Iterable[str],
                      resources: Iterable[str]) -> Iterator[str]:
    """One message per consumed value without a producer. `resources` holds `type.key` of every resource
    the bundle will have (the project's and the plan's)."""
    declared = set(variables)
    known = set(resources)
    by_key = {j.key: j for j in jobs}
    for job in by_key.values():
        tasks = {t.key: t for t in job.tasks}
        params = {p.name for p in job.parameters}
        for task in job.tasks:
            where = f"job `{job.key}` task `{task.key}`"
            for dep in task.depends_on:
                if dep not in tasks:
                    yield f"{where} depends on `{dep}`, which is not a task of the job"
            if task.run_job is not None:
                target = by_key.get(task.run_job)
                if f"jobs.{task.run_job}" not in known or target is None:
                    yield f"{where} runs job `{task.run_job}`, which the bundle does not define"
                else:
                    wanted = {p.name for p in target.parameters}
                    for p in task.params:
                        if p.flag not in wanted:
                            yield f"{where} passes `{p.flag}` to job `{task.run_job}`, which has no such parameter"
            if task.waits_for is not None and (f"jobs.{task.waits_for}" not in known or task.waits_for not in by_key):
                yield f"{where} waits for job `{task.waits_for}`, which the bundle does not define"
            before = upstream(task, tasks)
            for param in task.params:
                for ref in refs(param.value):
                    problem = _unproduced(ref, declared, known, params, tasks, before)
                    if problem:
                        yield f"{where} consumes `{param.value}` ({param.flag}): {problem}"


def _unproduced(ref: Ref, variables: set[str], resources: set[str], params: set[str],
                tasks: dict[str, PlannedTask], before: set[str]) -> str | None:
    if ref.kind == "variable":
        return None if ref.name in variables else f"no variable `{ref.name}` is declared"
    if ref.kind == "resource":
        kind, key, _ = ref.name.split(".")
        return None if f"{kind}.{key}" in resources else f"no resource `{kind}.{key}` in the bundle"
    if ref.kind == "bundle":
        return None if ref.name in BUNDLE_FIELDS else f"`bundle.{ref.name}` is not a bundle field"
    if ref.kind == "workspace":
        return None if ref.name in WORKSPACE_FIELDS else f"`workspace.{ref.name}` is not a workspace field"
    if ref.kind == "job_parameter":
        return None if ref.name in params else f"the job has no parameter `{ref.name}`"
    if ref.kind == "task":
        return None if ref.name in TASK_FIELDS else f"`task.{ref.name}` is not a task field"
    producer, _, value = ref.name.partition(".")
    if producer not in tasks:
        return f"no task `{producer}` in the job"
    if producer not in before:
        return f"task `{producer}` does not run before it (add it to depends_on)"
    if value not in tasks[producer].produces:
        return f"task `{producer}` does not set the task value `{value}`"
    return None


def check(jobs: Iterable[PlannedJob], variables: Iterable[str], resources: Iterable[str]) -> None:
    """Raise DataFlowError listing every consumer without a producer."""
    problems = list(missing_producers(list(jobs), variables, resources))
    if problems:
        raise DataFlowError("plan data flow is broken:\n  " + "\n  ".join(problems))
