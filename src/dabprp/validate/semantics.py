"""Checks the bundle schema cannot express (each with an ID, like the rules), per target."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from dabprp.findings import Hit, Severity, Stage
from dabprp.knowledge import (
    TARGET_MODES,
    TOP_LEVEL_PERMISSION_LEVELS,
    is_approval_task_key,
    names_a_deployment_job,
)
from dabprp.parse.bundle_values import as_dict
from dabprp.validate.context import TargetView, walk_strings
from dabprp.validate.schema import bundle_schema

REF_RE = re.compile(r"\$\{([^${}]+)\}")  # `$` excluded: linear on text full of `${`
SERVING_LIKE = ("model_serving_endpoints", "apps", "quality_monitors")


@dataclass(frozen=True, slots=True)
class Check:
    id: str
    title: str
    severity: Severity
    stage: Stage
    fix: str
    run: Callable[[TargetView], Iterator[Hit]]
    per_bundle: bool = False
    """True: looks at the whole bundle once, not at each target's effective tree."""


CHECKS: list[Check] = []


def check(check_id: str, title: str, severity: Severity, fix: str, stage: Stage = Stage.DEPLOY,
          per_bundle: bool = False) -> Callable[[Callable[[TargetView], Iterator[Hit]]], Callable]:
    def attach(fn: Callable[[TargetView], Iterator[Hit]]) -> Callable:
        CHECKS.append(Check(check_id, title, severity, stage, fix, fn, per_bundle))
        return fn

    return attach


@check("DAB901", "Unknown top-level key", Severity.WARNING, "Fix the spelling; the CLI only warns.", per_bundle=True)
def unknown_top_level(view: TargetView) -> Iterator[Hit]:
    known = list(bundle_schema()["properties"])
    for key in view.loaded.tree:
        if key not in known and not str(key).startswith("x-"):
            close = difflib.get_close_matches(str(key), known, n=1)
            hint = f"; did you mean `{close[0]}`?" if close else ""
            yield Hit(view.loaded.loc.locate((key,)), f"unknown top-level key `{key}`{hint}")


@check("DAB902", "Invalid target mode", Severity.ERROR, "Use `development` or `production`.", per_bundle=True)
def invalid_mode(view: TargetView) -> Iterator[Hit]:
    for name, spec in view.targets().items():
        mode = spec.get("mode") if isinstance(spec, dict) else None
        if mode is not None and mode not in TARGET_MODES:
            yield Hit(view.loaded.loc.locate(("targets", name, "mode")),
                      f"target `{name}` has mode `{mode}` (allowed: development, production)")


@check("DAB903", "More than one default target", Severity.ERROR, "Keep `default: true` on one target only.",
       per_bundle=True)
def several_defaults(view: TargetView) -> Iterator[Hit]:
    defaults = [n for n, s in view.targets().items() if isinstance(s, dict) and s.get("default") is True]
    for name in defaults[1:]:
        yield Hit(view.loaded.loc.locate(("targets", name, "default")),
                  f"targets {', '.join(f'`{d}`' for d in defaults)} are all marked default")


def _tasks(spec: dict[str, Any]) -> list[dict[str, Any]]:
    tasks = spec.get("tasks")
    return [t for t in tasks if isinstance(t, dict)] if isinstance(tasks, list) else []


@check("DAB904", "Task depends on a missing task", Severity.ERROR, "Name an existing `task_key` in `depends_on`.")
def missing_dependency(view: TargetView) -> Iterator[Hit]:
    for key, spec in view.jobs():
        tasks = _tasks(spec)
        names = {t.get("task_key") for t in tasks}
        for i, task in enumerate(spec.get("tasks") or []):
            if not isinstance(task, dict):
                continue
            for j, dep in enumerate(task.get("depends_on") or []):
                name = dep.get("task_key") if isinstance(dep, dict) else None
                if name not in names:
                    yield Hit(view.at("resources", "jobs", key, "tasks", i, "depends_on", j),
                              f"task `{key}.{task.get('task_key')}` depends on missing task `{name}`")


@check("DAB905", "Task dependency cycle", Severity.ERROR, "Remove one edge of the cycle.")
def dependency_cycle(view: TargetView) -> Iterator[Hit]:
    for key, spec in view.jobs():
        graph = {t.get("task_key"): [d.get("task_key") for d in (t.get("depends_on") or []) if isinstance(d, dict)]
                 for t in _tasks(spec)}
        cycle = _find_cycle(graph)
        if cycle:
            index = next(i for i, t in enumerate(spec.get("tasks") or []) if isinstance(t, dict)
                         and t.get("task_key") == cycle[0])
            yield Hit(view.at("resources", "jobs", key, "tasks", index),
                      f"job `{key}` has a dependency cycle: {' -> '.join(str(c) for c in cycle)}")


def _find_cycle(graph: dict[Any, list[Any]]) -> list[Any] | None:
    state: dict[Any, int] = {}
    stack: list[Any] = []

    def visit(node: Any) -> list[Any] | None:
        state[node] = 1
        stack.append(node)
        for nxt in graph.get(node, []):
            if nxt not in graph:
                continue
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt):], nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph, key=str):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


PATH_FIELDS = (("notebook_task", "notebook_path", True), ("spark_python_task", "python_file", False))


@check("DAB906", "File does not exist", Severity.ERROR,
       "Fix the path; it is relative to the YAML file that declares it (notebooks may drop the extension).")
def missing_paths(view: TargetView) -> Iterator[Hit]:
    for key, spec in view.jobs():
        for i, task in enumerate(spec.get("tasks") or []):
            if not isinstance(task, dict):
                continue
            for kind, field, notebook in PATH_FIELDS:
                body = task.get(kind)
                path = body.get(field) if isinstance(body, dict) else None
                if body and isinstance(body, dict) and body.get("source") == "GIT":
                    continue
                if isinstance(path, str) and "${" not in path and not path.startswith("/"):
                    where = view.at("resources", "jobs", key, "tasks", i, kind, field)
                    if not view.exists(where.path, path, notebook):
                        yield Hit(where, f"`{path}` (task `{key}.{task.get('task_key')}`) does not exist "
                                  f"relative to {where.path}")
    apps = (view.tree.get("resources") or {}).get("apps") if isinstance(view.tree.get("resources"), dict) else None
    for key, spec in (apps or {}).items() if isinstance(apps, dict) else []:
        path = spec.get("source_code_path") if isinstance(spec, dict) else None
        if isinstance(path, str) and "${" not in path and not path.startswith("/"):
            where = view.at("resources", "apps", key, "source_code_path")
            if not view.exists(where.path, path, False):
                yield Hit(where, f"app `{key}` source_code_path `{path}` does not exist")


_TARGETS_STRINGS: dict[str, tuple[Any, list[tuple[tuple[Any, ...], str]]]] = {}


def reference_strings(view: TargetView) -> Iterator[tuple[tuple[Any, ...], str]]:
    """The strings of the effective tree that contain `${`, with their paths. The `targets` section is the
    same object in every target's view, so its strings are collected once per bundle, not once per target."""
    for key, value in view.tree.items():
        if key != "targets":
            yield from ((p, t) for p, t in walk_strings(value, (key,)) if "${" in t)
    targets = view.tree.get("targets")
    if targets is None:
        return
    cached = _TARGETS_STRINGS.get("last")
    if cached is None or cached[0] is not targets:
        cached = (targets, [(p, t) for p, t in walk_strings(targets, ("targets",)) if "${" in t])
        _TARGETS_STRINGS["last"] = cached
    yield from cached[1]


@check("DAB907", "Undefined variable", Severity.ERROR, "Declare the variable under top-level `variables`.")
def undefined_variable(view: TargetView) -> Iterator[Hit]:
    declared = view.loaded.tree.get("variables")
    names = set(declared) if isinstance(declared, dict) else set()
    for path, text in reference_strings(view):
        for match in REF_RE.finditer(text):
            expr = match.group(1).strip()
            if expr.startswith("var."):
                name = re.split(r"[.\[]", expr[4:], maxsplit=1)[0]
                if name not in names:
                    yield Hit(view.at(*path), f"`${{{expr}}}` uses undefined variable `{name}`")


@check("DAB908", "Reference to a missing resource", Severity.ERROR, "Reference an existing resource key.")
def missing_resource_ref(view: TargetView) -> Iterator[Hit]:
    resources = as_dict(view.tree.get("resources"))
    for path, text in reference_strings(view):
        for match in REF_RE.finditer(text):
            parts = match.group(1).strip().split(".")
            if parts[0] == "resources" and len(parts) >= 3:
                group = resources.get(parts[1])
                if not isinstance(group, dict) or parts[2] not in group:
                    yield Hit(view.at(*path), f"`${{{match.group(1)}}}` names missing resource "
                              f"`{parts[1]}.{parts[2]}`")


@check("DAB909", "Variable without a value", Severity.ERROR,
       "Give the variable a `default`, a `lookup` or a value in this target.")
def variable_without_value(view: TargetView) -> Iterator[Hit]:
    declared = view.loaded.tree.get("variables")
    if not isinstance(declared, dict):
        return
    overrides: dict[str, Any] = {}
    if view.target:
        overrides = as_dict(as_dict(view.targets().get(view.target)).get("variables"))
    for name, spec in declared.items():
        spec = spec if isinstance(spec, dict) else {"default": spec}
        if "default" in spec or "lookup" in spec or name in overrides:
            continue
        yield Hit(view.loaded.loc.locate(("variables", name)),
                  f"variable `{name}` has no value in target `{view.target or 'default'}`")


def _target_spec(view: TargetView) -> dict[str, Any]:
    spec = view.targets().get(view.target) if view.target else None
    return spec if isinstance(spec, dict) else {}


def _missing_root_path(view: TargetView) -> bool | None:
    """None: not applicable; True: the CLI errors; False: the CLI only recommends (every job has run_as)."""
    spec = _target_spec(view)
    workspace = as_dict(view.tree.get("workspace"))
    if spec.get("mode") != "production" or workspace.get("root_path"):
        return None
    jobs = list(view.jobs())
    every_job_run_as = bool(view.tree.get("run_as")) or (bool(jobs) and all(s.get("run_as") for _, s in jobs))
    return not every_job_run_as


@check("DAB910", "Production target without root_path", Severity.ERROR,
       "Set `workspace.root_path` on the production target.")
def production_root_path(view: TargetView) -> Iterator[Hit]:
    if _missing_root_path(view) is True:
        yield Hit(view.loaded.loc.locate(("targets", view.target)),
                  f"production target `{view.target}` has no `workspace.root_path`")


@check("DAB915", "Production target without root_path (every job has run_as)", Severity.WARNING,
       "Set `workspace.root_path` so only one copy is deployed; the CLI recommends it.")
def production_root_path_recommended(view: TargetView) -> Iterator[Hit]:
    if _missing_root_path(view) is False:
        yield Hit(view.loaded.loc.locate(("targets", view.target)),
                  f"production target `{view.target}` has no `workspace.root_path` (recommended when every "
                  "job sets run_as)")


@check("DAB911", "User run_as with serving endpoints, apps or monitors", Severity.ERROR,
       "Run as a service principal and deploy as that principal, or put `run_as` on the jobs only.",
       Stage.SECURITY)
def user_run_as_with_serving(view: TargetView) -> Iterator[Hit]:
    spec = _target_spec(view)
    run_as = as_dict(view.tree.get("run_as"))
    if spec.get("mode") != "production" or not run_as.get("user_name"):
        return
    resources = as_dict(view.tree.get("resources"))
    kinds = [k for k in SERVING_LIKE if resources.get(k)]
    if kinds:
        yield Hit(view.at("run_as"), f"target `{view.target}` runs as user `{run_as['user_name']}` while the "
                  f"bundle declares {', '.join(kinds)}")


@check("DAB912", "Approval task with retries", Severity.ERROR, "Set `max_retries: 0` on approval tasks.")
def approval_retries(view: TargetView) -> Iterator[Hit]:
    for key, spec in view.jobs():
        for i, task in enumerate(spec.get("tasks") or []):
            if isinstance(task, dict) and is_approval_task_key(task.get("task_key")) \
                    and task.get("max_retries") not in (None, 0):
                yield Hit(view.at("resources", "jobs", key, "tasks", i, "max_retries"),
                          f"approval task `{key}.{task.get('task_key')}` has max_retries {task.get('max_retries')}")


@check("DAB913", "Deployment job without model_name/model_version", Severity.WARNING,
       "Add job-level parameters `model_name` and `model_version`.")
def deployment_parameters(view: TargetView) -> Iterator[Hit]:
    for key, spec in view.jobs():
        has_approval = any(is_approval_task_key(t.get("task_key")) for t in _tasks(spec))
        if not has_approval and not (names_a_deployment_job(key) or names_a_deployment_job(str(spec.get("name", "")))):
            continue
        names = {p.get("name") for p in spec.get("parameters") or [] if isinstance(p, dict)}
        missing = [n for n in ("model_name", "model_version") if n not in names]
        if missing:
            yield Hit(view.at("resources", "jobs", key), f"deployment job `{key}` lacks {', '.join(missing)}")


@check("DAB914", "Invalid top-level permission level", Severity.ERROR,
       "Top-level permissions take only CAN_VIEW, CAN_RUN and CAN_MANAGE.", Stage.SECURITY, per_bundle=True)
def top_level_permission(view: TargetView) -> Iterator[Hit]:
    places: list[tuple[tuple[Any, ...], Any]] = [(("permissions",), view.loaded.tree.get("permissions"))]
    places += [(("targets", n, "permissions"), s.get("permissions")) for n, s in view.targets().items()
               if isinstance(s, dict)]
    for path, perms in places:
        for i, perm in enumerate(perms if isinstance(perms, list) else []):
            level = perm.get("level") if isinstance(perm, dict) else None
            if level not in TOP_LEVEL_PERMISSION_LEVELS:
                yield Hit(view.loaded.loc.locate((*path, i, "level")),
                          f"permission level `{level}` is not allowed at the top level")
