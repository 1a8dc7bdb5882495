"""The PRP's compact view of scaffold's bundle change set: jobs and tasks as tables, other files and edits as the
YAML data they add, settings every job shares said once. Read back, the view gives exactly what scaffold writes."""

from __future__ import annotations

import functools
import shlex
from collections.abc import Sequence
from typing import Any

import yaml

from dabprp.errors import DabprpError
from dabprp.parse.yaml_source import parse_yaml
from dabprp.records import record
from dabprp.render.yaml_text import SAFE_DUMPER

WIDTH = 100
"""A collection goes on one line (flow style) when that line fits in this many columns."""
_NO_WRAP = 1 << 30


@record
class FileView:
    """One bundle file of the change set as the PRP shows it."""

    title: str
    file: str
    action: str
    """`create`, `update`, `identical` or `conflict` (scaffold's classification), or `planned` (the plan's
    document, shown when scaffold would not edit the bundle)."""
    fence: str
    """`yaml` (text: the added data), `diff` (text: a unified diff), or empty (nothing to show)."""
    text: str
    reason: str = ""
    jobs: tuple[str, ...] = ()
    """The jobs of a file that holds only jobs: they are shown in the job and task tables instead of YAML."""


@record
class JobRow:
    """One job of scaffold's files: the cells of the job table (Markdown, escaped for a table)."""

    key: str
    name: str
    environment: str
    parameters: str
    timeout: str
    other: str


@record
class TaskRow:
    job: str
    key: str
    depends_on: str
    runs: str
    arguments: str
    retries: str
    timeout: str
    other: str


@record
class BundleView:
    shared_job_settings: str
    """YAML of the settings every job in scaffold's job files has (not repeated in the tables), or empty."""
    files: tuple[FileView, ...]
    """Files shown under their own heading: YAML, a diff, or only their name and state."""
    job_files: tuple[FileView, ...]
    """New or unchanged files that hold only jobs: named once, their jobs are in the tables."""
    jobs: dict[str, JobRow]
    tasks: tuple[TaskRow, ...]


@record
class BundleChange:
    """One bundle file of scaffold's change set, as the view needs it."""

    title: str
    file: str
    action: str
    old: str | None
    new: str
    diff: str
    reason: str = ""


def bundle_view(changes: Sequence[BundleChange]) -> BundleView:
    """Files that hold only jobs become job and task tables (their shared settings said once); other new files
    are shown as data; edits as the keys they add or change (a unified diff when that cannot say it, e.g. a
    removed key); files already in place and kept conflicts without a body."""
    tabled = {c.file: load(c.new, c.file) for c in changes
              if c.action in ("create", "planned", "update", "identical") and only_jobs(c)}
    shared = shared_settings([job for data in tabled.values() for job in jobs_of(data)])
    views, job_rows, task_rows = [], {}, []
    for c in changes:
        keys: tuple[str, ...] = ()
        if c.file in tabled:
            jobs = tabled[c.file]["resources"]["jobs"]
            keys = tuple(jobs)
            for key, job in jobs.items():
                job_rows[key] = job_row(key, job, shared)
                task_rows += [task_row(key, t) for t in job.get("tasks") or ()]
        if c.action in ("create", "planned"):
            text = "" if keys else compact_yaml(load(c.new, c.file))
            views.append(FileView(c.title, c.file, c.action, "yaml" if text else "", text, c.reason, keys))
        elif c.action == "update":
            views.append(_edit_view(c, keys))
        elif c.action == "conflict" and c.diff:
            views.append(FileView(c.title, c.file, c.action, "diff", c.diff, c.reason))
        else:
            views.append(FileView(c.title, c.file, c.action, "", "", c.reason, keys))
    listed = tuple(v for v in views if v.jobs and v.action in ("create", "planned", "identical"))
    return BundleView(compact_yaml(shared) if shared else "", tuple(v for v in views if v not in listed), listed,
                      job_rows, tuple(task_rows))


def only_jobs(c: BundleChange) -> bool:
    """Whether the file is `resources: {jobs: {...}}` with every job and task a mapping."""
    try:
        data = load(c.new, c.file)
    except DabprpError:
        return False
    if not (isinstance(data, dict) and list(data) == ["resources"] and isinstance(data["resources"], dict)
            and list(data["resources"]) == ["jobs"] and isinstance(data["resources"]["jobs"], dict)):
        return False
    jobs = data["resources"]["jobs"].values()
    return all(isinstance(j, dict) and isinstance(j.get("tasks", []), list)
               and all(isinstance(t, dict) for t in j.get("tasks", [])) for j in jobs)


def _edit_view(c: BundleChange, jobs: tuple[str, ...]) -> FileView:
    try:
        old, new = load(c.old or "", c.file), load(c.new, c.file)
    except DabprpError:
        return FileView(c.title, c.file, c.action, "diff", c.diff, c.reason, jobs)
    added = overlay(old, new)
    if not isinstance(added, dict) or not added or merged(old, added) != new:
        return FileView(c.title, c.file, c.action, "diff", c.diff, c.reason, jobs)
    return FileView(c.title, c.file, c.action, "yaml", compact_yaml(added), c.reason, jobs)


def job_row(key: str, job: dict[str, Any], shared: dict[str, Any]) -> JobRow:
    rest = {k: v for k, v in job.items() if k not in shared and k != "tasks"}
    name = _code(rest.pop("name")) if isinstance(rest.get("name"), str) else "-"
    environment = _code(rest.pop("environments")) if isinstance(rest.get("environments"), str) else "-"
    params = rest.get("parameters")
    parameters = "-"
    if isinstance(params, list) and params and all(
            isinstance(p, dict) and list(p) == ["name", "default"] and isinstance(p["name"], str)
            and "=" not in p["name"] and isinstance(p["default"], str) for p in params):
        parameters = _code(" ".join(_arg(f"{p['name']}={p['default']}") for p in rest.pop("parameters")))
    return JobRow(_code(key), name, environment, parameters, _timeout(rest), _other(rest))


def task_row(job: str, task: dict[str, Any]) -> TaskRow:
    rest = dict(task)
    key = _code(rest.pop("task_key")) if isinstance(rest.get("task_key"), str) else "-"
    depends = "-"
    deps = rest.get("depends_on")
    if isinstance(deps, list) and deps and all(isinstance(d, dict) and list(d) == ["task_key"] for d in deps):
        depends = ", ".join(_code(d["task_key"]) for d in rest.pop("depends_on"))
    runs, arguments = "-", "-"
    python, run_job = rest.get("spark_python_task"), rest.get("run_job_task")
    if isinstance(python, dict) and set(python) <= {"python_file", "parameters"} and "python_file" in python \
            and _plain_list(python.get("parameters", [])):
        runs = _code(python["python_file"])
        args = python.get("parameters", [])
        arguments = _code(" ".join(_arg(a) for a in args)) if args else "-"
        del rest["spark_python_task"]
    elif isinstance(run_job, dict) and set(run_job) <= {"job_id", "job_parameters"} and "job_id" in run_job \
            and isinstance(run_job.get("job_parameters", {}), dict) \
            and _plain_list(list(run_job.get("job_parameters", {}).values())) \
            and not any("=" in str(k) or not isinstance(k, str) for k in run_job.get("job_parameters", {})):
        runs = "job " + _code(run_job["job_id"])
        params = run_job.get("job_parameters", {})
        arguments = _code(" ".join(_arg(f"{k}={v}") for k, v in params.items())) if params else "-"
        del rest["run_job_task"]
    retries = str(rest.pop("max_retries")) if type(rest.get("max_retries")) is int else "-"
    return TaskRow(_code(job), key, depends, runs, arguments, retries, _timeout(rest), _other(rest))


def _plain_list(values: Any) -> bool:
    """Strings only (what task parameters are), so a shell word reads back as exactly the value."""
    return isinstance(values, list) and all(isinstance(v, str) for v in values)


def _arg(text: str) -> str:
    """One argument as a shell word: quoted only when it is empty or holds white space or quotes."""
    return shlex.quote(text) if not text or any(c.isspace() or c in "'\"\\" for c in text) else text


def _timeout(rest: dict[str, Any]) -> str:
    """`timeout_seconds`, and a single run-duration health rule, as `2400 s (warn > 1800 s)`."""
    seconds = rest.get("timeout_seconds")
    if type(seconds) is not int:
        return "-"
    del rest["timeout_seconds"]
    health = rest.get("health")
    rules = health.get("rules") if isinstance(health, dict) and list(health) == ["rules"] else None
    rule = rules[0] if isinstance(rules, list) and len(rules) == 1 and isinstance(rules[0], dict) else {}
    if list(rule) == ["metric", "op", "value"] and rule["metric"] == "RUN_DURATION_SECONDS" \
            and rule["op"] == "GREATER_THAN" and type(rule["value"]) is int:
        del rest["health"]
        return f"{seconds} s (warn > {rule['value']} s)"
    return f"{seconds} s"


def _other(rest: dict[str, Any]) -> str:
    return _code(_flow(rest)[1:-1]) if rest else "-"


def _code(value: Any) -> str:
    """A value as a code span in a table cell (`|` escaped, as tables need)."""
    text = (value if isinstance(value, str) else _scalar(value)).replace("|", "\\|")
    return f"`` {text} ``" if "`" in text else f"`{text}`"


def load(text: str, path: str) -> Any:
    """The plain data of a YAML file (an empty file is an empty mapping)."""
    value = parse_yaml(text, path).value
    return {} if value is None else value


def jobs_of(data: Any) -> list[dict[str, Any]]:
    jobs = data.get("resources", {}).get("jobs") if isinstance(data, dict) else None
    if not isinstance(jobs, dict):
        return []
    return [j for j in jobs.values() if isinstance(j, dict)]


def shared_settings(jobs: list[dict[str, Any]]) -> dict[str, Any]:
    """Job settings (not the name or tasks) equal in every job, when there are at least two jobs."""
    if len(jobs) < 2:
        return {}
    return {k: v for k, v in jobs[0].items()
            if k not in ("name", "tasks") and all(k in j and j[k] == v for j in jobs[1:])}


def overlay(old: Any, new: Any) -> Any:
    """The part of `new` that `old` lacks: added keys, and changed values whole (lists included)."""
    if isinstance(old, dict) and isinstance(new, dict):
        return {k: (overlay(old[k], v) if k in old else v) for k, v in new.items() if k not in old or old[k] != v}
    return new


def merged(old: Any, added: Any) -> Any:
    """`old` with `added` merged in: mappings key by key, anything else replaced."""
    if isinstance(old, dict) and isinstance(added, dict):
        out = dict(old)
        for k, v in added.items():
            out[k] = merged(old[k], v) if k in old else v
        return out
    return added


def with_shared(data: Any, shared: dict[str, Any]) -> Any:
    """A new file's data with the shared job settings put back into each of its jobs."""
    for job in jobs_of(data):
        job.update(shared)
    return data


def compact_yaml(data: Any) -> str:
    """Block YAML in which a list of plain values, or any collection whose flow form fits in WIDTH, is one line."""
    return "\n".join(_block(data, 0)) + "\n"


def _scalar(value: Any) -> str:
    """A plain value as block YAML writes it (quoted only when it must be)."""
    return _scalar_text(value) if isinstance(value, _PLAIN) else _dump_scalar(value)


def _key(value: Any) -> str:
    return _key_text(value) if isinstance(value, _PLAIN) else _dump_key(value)


_PLAIN = (str, int, float, type(None))
"""Values whose YAML text is remembered: keys and scalars repeat across a file (a dump each costs tens of µs);
the cache is by type as well (`1` and `True` are equal keys of a dict but different YAML)."""


def _dump_scalar(value: Any) -> str:
    text = yaml.dump({0: value}, Dumper=SAFE_DUMPER, default_flow_style=False, width=_NO_WRAP, allow_unicode=True)
    return text[3:].rstrip("\n")


def _dump_key(value: Any) -> str:
    return yaml.dump({value: 0}, Dumper=SAFE_DUMPER, default_flow_style=False, width=_NO_WRAP,
                     allow_unicode=True)[:-4]


_scalar_text = functools.lru_cache(maxsize=4096, typed=True)(_dump_scalar)
_key_text = functools.lru_cache(maxsize=4096, typed=True)(_dump_key)


def _flow(value: Any) -> str:
    return yaml.dump(value, Dumper=SAFE_DUMPER, default_flow_style=True, width=_NO_WRAP, allow_unicode=True,
                     sort_keys=False).strip()


def _is_collection(value: Any) -> bool:
    return isinstance(value, (dict, list))


def _inline(value: Any, used: int) -> str | None:
    """`value` on one line, when it is a scalar, a list of scalars, or fits in WIDTH after `used` columns."""
    if not _is_collection(value):
        return _scalar(value)
    if not value:
        return "{}" if isinstance(value, dict) else "[]"
    text = _flow(value)
    scalars = isinstance(value, list) and not any(_is_collection(v) for v in value)
    return text if scalars or used + len(text) <= WIDTH else None


def _block(data: Any, indent: int) -> list[str]:
    """`data` (a collection; its caller found it too wide for one line) as block YAML at `indent`."""
    pad = " " * indent
    if not _is_collection(data) or not data:
        return [pad + str(_inline(data, indent))]
    lines: list[str] = []
    if isinstance(data, dict):
        for key, value in data.items():
            head = f"{pad}{_key(key)}:"
            one = _inline(value, len(head) + 1)
            if one is not None:
                lines.append(f"{head} {one}")
            else:
                # lists sit at their key's indent, as scaffold writes them
                lines.append(head)
                lines += _block(value, indent if isinstance(value, list) else indent + 2)
        return lines
    for item in data:
        one = _inline(item, indent + 2)
        if one is not None:
            lines.append(f"{pad}- {one}")
            continue
        inner = _block(item, indent + 2)
        lines.append(f"{pad}- {inner[0][indent + 2:]}")
        lines += inner[1:]
    return lines
