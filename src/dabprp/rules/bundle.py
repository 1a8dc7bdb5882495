"""9xx: the bundle as the Databricks CLI would validate it: schema and the checks the schema cannot express.

These rules look at each checked target's effective configuration (TARGET) or at the whole bundle
once (BUNDLE); `dabprp validate` runs this family only, `check` and `generate` run it with the others."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Iterator
from typing import Any

from dabprp.facts import DeployedName, Location, Project
from dabprp.findings import Hit, Severity, Stage
from dabprp.knowledge import (
    APP_NAME_MAX,
    RESOURCE_LABELS,
    TARGET_MODES,
    TOP_LEVEL_PERMISSION_LEVELS,
    app_name_problem,
    is_approval_task_key,
)
from dabprp.parse.bundle_names import same_name_key
from dabprp.parse.bundle_values import as_dict, as_list
from dabprp.rules import Subject, rule
from dabprp.rules.bundle_view import TargetView, tasks_of
from dabprp.validate.schema import TOP_LEVEL_KEYS
from dabprp.validate.violations import schema_violations

SERVING_LIKE = ("model_serving_endpoints", "apps", "quality_monitors")
TARGET, BUNDLE = Subject.TARGET, Subject.BUNDLE


@rule("DAB900", "Bundle schema violation", severity=Severity.ERROR, stage=Stage.DEPLOY,
      fix="Match the official bundle JSON schema.", subject=TARGET, cli_check=True)
def schema_violation(view: TargetView) -> Iterator[Hit]:
    """The effective configuration of a target does not match the official bundle JSON schema. Violations the
    Databricks CLI only warns about (unknown fields, enum values, missing required fields) are warnings."""
    for v in schema_violations(view.tree, view.loc, view.first, view.schema_cache):
        yield Hit(v.location, v.message, severity=Severity.WARNING if v.cli_warns_only else None)


@rule("DAB901", "Unknown top-level key", severity=Severity.WARNING, stage=Stage.DEPLOY,
      fix="Fix the spelling; the CLI only warns.", subject=BUNDLE, cli_check=True)
def unknown_top_level(view: TargetView) -> Iterator[Hit]:
    """A top-level key the bundle schema does not know is ignored by the CLI (with a warning)."""
    known = list(TOP_LEVEL_KEYS)
    for key in view.loaded.tree:
        if key not in known and not str(key).startswith("x-"):
            close = difflib.get_close_matches(str(key), known, n=1)
            hint = f"; did you mean `{close[0]}`?" if close else ""
            yield Hit(view.loaded.loc.locate((key,)), f"unknown top-level key `{key}`{hint}")


@rule("DAB902", "Invalid target mode", severity=Severity.ERROR, stage=Stage.DEPLOY,
      fix="Use `development` or `production`.", subject=BUNDLE, cli_check=True)
def invalid_mode(view: TargetView) -> Iterator[Hit]:
    """A target mode other than development or production fails the deploy."""
    for name, spec in view.targets().items():
        mode = as_dict(spec).get("mode")
        if mode is not None and mode not in TARGET_MODES:
            yield Hit(view.loaded.loc.locate(("targets", name, "mode")),
                      f"target `{name}` has mode `{mode}` (allowed: development, production)")


@rule("DAB903", "More than one default target", severity=Severity.ERROR, stage=Stage.DEPLOY,
      fix="Keep `default: true` on one target only.", subject=BUNDLE, cli_check=True)
def several_defaults(view: TargetView) -> Iterator[Hit]:
    """The CLI refuses a bundle with several default targets."""
    defaults = [n for n, s in view.targets().items() if as_dict(s).get("default") is True]
    for name in defaults[1:]:
        yield Hit(view.loaded.loc.locate(("targets", name, "default")),
                  f"targets {', '.join(f'`{d}`' for d in defaults)} are all marked default")


@rule("DAB904", "Task depends on a missing task", severity=Severity.ERROR, stage=Stage.DEPLOY,
      fix="Name an existing `task_key` in `depends_on`.", subject=TARGET, cli_check=True)
def missing_dependency(view: TargetView) -> Iterator[Hit]:
    """A `depends_on` entry that names no task of the job fails the deploy."""
    yield from view.job_hits(_missing_dependencies)


def _missing_dependencies(view: TargetView, raw_key: Any, spec: dict[str, Any]) -> Iterator[Hit]:
    key = str(raw_key)
    tasks = tasks_of(spec)
    names = {t.get("task_key") for _, t in tasks}
    for i, task in tasks:
        for j, dep in enumerate(as_list(task.get("depends_on"))):
            name = dep.get("task_key") if isinstance(dep, dict) else None
            if name not in names:
                yield Hit(view.at("resources", "jobs", key, "tasks", i, "depends_on", j),
                          f"task `{key}.{task.get('task_key')}` depends on missing task `{name}`")


@rule("DAB905", "Task dependency cycle", severity=Severity.ERROR, stage=Stage.DEPLOY,
      fix="Remove one edge of the cycle.", subject=TARGET, cli_check=True)
def dependency_cycle(view: TargetView) -> Iterator[Hit]:
    """Tasks that depend on each other in a cycle can never start."""
    yield from view.job_hits(_dependency_cycle)


def _dependency_cycle(view: TargetView, raw_key: Any, spec: dict[str, Any]) -> Iterator[Hit]:
    key = str(raw_key)
    tasks = tasks_of(spec)
    graph = {t.get("task_key"): [d.get("task_key") for d in as_list(t.get("depends_on")) if isinstance(d, dict)]
             for _, t in tasks}
    cycle = _find_cycle(graph)
    if cycle:
        index = next(i for i, t in tasks if t.get("task_key") == cycle[0])
        yield Hit(view.at("resources", "jobs", key, "tasks", index),
                  f"job `{key}` has a dependency cycle: {' -> '.join(str(c) for c in cycle)}")


def _find_cycle(graph: dict[Any, list[Any]]) -> list[Any] | None:
    """The first dependency cycle found by a depth-first walk in key order (iterative: a chain of any
    length, and no closure that would keep the graph alive until a full collection)."""
    state: dict[Any, int] = {}
    for start in sorted(graph, key=str):
        if start in state:
            continue
        state[start] = 1
        stack: list[Any] = [start]
        pending = [iter(graph.get(start, []))]
        while pending:
            for nxt in pending[-1]:
                if nxt not in graph:
                    continue
                if state.get(nxt) == 1:
                    return [*stack[stack.index(nxt):], nxt]
                if nxt not in state:
                    state[nxt] = 1
                    stack.append(nxt)
                    pending.append(iter(graph.get(nxt, [])))
                    break
            else:
                state[stack.pop()] = 2
                pending.pop()
    return None


@rule("DAB907", "Undefined variable", severity=Severity.ERROR, stage=Stage.DEPLOY,
      fix="Declare the variable under top-level `variables`.", subject=TARGET, cli_check=True)
def undefined_variable(view: TargetView) -> Iterator[Hit]:
    """`${var.name}` of a variable that is not declared fails the deploy."""
    yield from _undefined_variables(view, view.other_references())
    yield from view.job_hits(_job_undefined_variables)


def _job_undefined_variables(view: TargetView, key: Any, spec: dict[str, Any]) -> Iterator[Hit]:
    return _undefined_variables(view, view.job_references(key, spec))


def _undefined_variables(view: TargetView, references: Iterable[tuple[tuple[Any, ...], str]]) -> Iterator[Hit]:
    names = set(as_dict(view.loaded.tree.get("variables")))  # declared at the top: the same in every target
    for path, ref in references:
        expr = ref.strip()
        if expr.startswith("var."):
            name = re.split(r"[.\[]", expr[4:], maxsplit=1)[0]
            if name not in names:
                yield Hit(view.at(*path), f"`${{{expr}}}` uses undefined variable `{name}`")


@rule("DAB908", "Reference to a missing resource", severity=Severity.ERROR, stage=Stage.DEPLOY,
      fix="Reference an existing resource key.", subject=TARGET, cli_check=True)
def missing_resource_ref(view: TargetView) -> Iterator[Hit]:
    """`${resources.<type>.<key>...}` of a resource the target does not declare fails the deploy."""
    resources = as_dict(view.tree.get("resources"))
    for path, ref in [*view.other_references(), *view.per_job(_job_resource_references)]:
        parts = ref.strip().split(".")
        if parts[0] == "resources" and len(parts) >= 3:
            group = resources.get(parts[1])
            if not isinstance(group, dict) or parts[2] not in group:
                yield Hit(view.at(*path), f"`${{{ref}}}` names missing resource `{parts[1]}.{parts[2]}`")


def _job_resource_references(view: TargetView, key: Any, spec: dict[str, Any]) -> list[tuple[tuple[Any, ...], str]]:
    return [r for r in view.job_references(key, spec) if r[1].strip().startswith("resources.")]


@rule("DAB909", "Variable without a value", severity=Severity.ERROR, stage=Stage.DEPLOY,
      fix="Give the variable a `default`, a `lookup` or a value in this target.", subject=TARGET, cli_check=True)
def variable_without_value(view: TargetView) -> Iterator[Hit]:
    """A declared variable with neither default, lookup nor a value in the target fails the deploy. A variable
    whose `description` names its own assignment (`--var NAME=`) is a deploy-time input by design (such as the
    served version scaffold writes, which every CI command passes): a deploy without it is meant to fail."""
    declared = view.loaded.tree.get("variables")
    if not isinstance(declared, dict):
        return
    overrides = as_dict(view.target_spec().get("variables"))
    for name, spec in declared.items():
        spec = spec if isinstance(spec, dict) else {"default": spec}
        if "default" in spec or "lookup" in spec or name in overrides:
            continue
        if any(f"--var{sep}{name}=" in str(spec.get("description") or "") for sep in (" ", "=")):
            continue
        yield Hit(view.loaded.loc.locate(("variables", name)),
                  f"variable `{name}` has no value in target `{view.target or 'default'}`")


@rule("DAB911", "User run_as with serving endpoints, apps or monitors", severity=Severity.ERROR,
      stage=Stage.SECURITY, fix="Run as a service principal and deploy as that principal, or put `run_as` on the "
                                "jobs only.", subject=TARGET, cli_check=True)
def user_run_as_with_serving(view: TargetView) -> Iterator[Hit]:
    """In production, a bundle-wide user `run_as` cannot be applied to serving endpoints, apps or monitors."""
    run_as = as_dict(view.tree.get("run_as"))
    if view.target_spec().get("mode") != "production" or not run_as.get("user_name"):
        return
    kinds = [k for k in SERVING_LIKE if view.resources(k)]
    if kinds:
        yield Hit(view.at("run_as"), f"target `{view.target}` runs as user `{run_as['user_name']}` while the "
                  f"bundle declares {', '.join(kinds)}")


@rule("DAB912", "Approval task with retries", severity=Severity.ERROR, stage=Stage.DEPLOY,
      fix="Set `max_retries: 0` on approval tasks.", subject=TARGET, cli_check=True)
def approval_retries(view: TargetView) -> Iterator[Hit]:
    """A retried approval task re-checks the approval tag instead of waiting for a person."""
    yield from view.job_hits(_approval_retries)


def _approval_retries(view: TargetView, raw_key: Any, spec: dict[str, Any]) -> Iterator[Hit]:
    key = str(raw_key)
    for i, task in tasks_of(spec):
        if is_approval_task_key(task.get("task_key")) and task.get("max_retries") not in (None, 0):
            yield Hit(view.at("resources", "jobs", key, "tasks", i, "max_retries"),
                      f"approval task `{key}.{task.get('task_key')}` has max_retries {task.get('max_retries')}")


@rule("DAB914", "Invalid top-level permission level", severity=Severity.ERROR, stage=Stage.SECURITY,
      fix="Top-level permissions take only CAN_VIEW, CAN_RUN and CAN_MANAGE.", subject=BUNDLE, cli_check=True)
def top_level_permission(view: TargetView) -> Iterator[Hit]:
    """Top-level (and target-level) permissions accept only CAN_VIEW, CAN_RUN and CAN_MANAGE."""
    places: list[tuple[tuple[Any, ...], Any]] = [(("permissions",), view.loaded.tree.get("permissions"))]
    places += [(("targets", n, "permissions"), s.get("permissions")) for n, s in view.targets().items()
               if isinstance(s, dict)]
    for path, perms in places:
        for i, perm in enumerate(as_list(perms)):
            level = perm.get("level") if isinstance(perm, dict) else None
            if level not in TOP_LEVEL_PERMISSION_LEVELS:
                yield Hit(view.loaded.loc.locate((*path, i, "level")),
                          f"permission level `{level}` is not allowed at the top level")


@rule("DAB916", "App source code path does not exist", severity=Severity.ERROR, stage=Stage.DEPLOY,
      fix="Point `source_code_path` at an existing directory, relative to the YAML file that declares it.",
      subject=TARGET, cli_check=True)
def app_source_missing(view: TargetView) -> Iterator[Hit]:
    """The CLI uploads an app's `source_code_path`; a path that does not exist fails the deploy."""
    for key, spec in view.resources("apps").items():
        path = as_dict(spec).get("source_code_path")
        if isinstance(path, str) and "${" not in path and not path.startswith("/"):
            where = view.at("resources", "apps", key, "source_code_path")
            if not view.exists(where.path, path, False):
                yield Hit(where, f"app `{key}` source_code_path `{path}` does not exist")


@rule("DAB917", "Targets deploy one name twice to a workspace", severity=Severity.ERROR, stage=Stage.DEPLOY,
      fix="Give the resource its own name in each target on that workspace (e.g. with `${bundle.target}` or "
          "`${workspace.root_path}`), in the targets that have not deployed it yet.", cli_check=True)
def shared_workspace_name(project: Project) -> Iterator[Hit]:
    """Experiments, apps, serving endpoints, secret scopes, workspace models, vector search endpoints and quality
    monitors have names unique in a workspace (registered models, schemas and volumes: in its metastore). Two
    targets on one workspace host (or profile) that resolve a resource to the same name make the second deploy
    fail: the object exists. Names are resolved per target as the CLI
    does (variables, target overrides, `${bundle.target}`, name prefixes); a name that depends on the deploying
    identity (`${workspace.current_user.*}`, development-mode prefixes) or a lookup, and targets without a host
    or profile, are not judged."""
    if project.bundle is None:
        return
    groups: dict[tuple[str, str, str], list[DeployedName]] = {}
    for n in project.bundle.deployed_names:
        if n.name is not None:  # same target, same workspace; else a known, shared host
            scope = n.workspace if n.workspace is not None else f"target {n.target}"
            groups.setdefault((n.kind, scope, same_name_key(n.kind, n.name)), []).append(n)
    for (kind, scope, _), found in sorted(groups.items()):
        name = found[0].name
        if len({(n.target, n.key) for n in found}) < 2:
            continue
        where = sorted(found, key=lambda n: (n.overridden, n.location))[-1].location
        keys = sorted({n.key for n in found})
        who = ", ".join(f"`{t}`" for t in sorted({n.target for n in found}))
        where_to = f"workspace `{scope}`" if not scope.startswith("target ") else "one workspace"
        label = RESOURCE_LABELS.get(kind, kind)
        yield Hit(where, f"{label} {', '.join(f'`{k}`' for k in keys)} deploys as `{name}` on {where_to} in "
                         f"targets {who}: the name is unique there, so the second deploy fails",
                  evidence=tuple(sorted({n.location for n in found} - {where})))


@rule("DAB918", "Invalid app name", severity=Severity.ERROR, stage=Stage.DEPLOY,
      fix=f"Name the app with lowercase letters, digits and hyphens, at most {APP_NAME_MAX} characters in every "
          "target (`${bundle.target}` adds the target's name); an app's name cannot change once it is created.",
      cli_check=True)
def invalid_app_name(project: Project) -> Iterator[Hit]:
    """Databricks creates an app only under a name of lowercase letters, digits and hyphens, at most 30 characters
    long; the deploy that would create it fails. Names are resolved per target as the CLI does (variables, target
    overrides, `${bundle.target}`); a name not known statically (a lookup, the deploying identity, a value given at
    deploy time) is not judged."""
    if project.bundle is None:
        return
    targets_of: dict[tuple[Location, str, str], list[str]] = {}
    for n in project.bundle.deployed_names:
        if n.kind == "apps" and n.name is not None and "${" not in n.name and app_name_problem(n.name):
            targets_of.setdefault((n.location, n.key, n.name), []).append(n.target)
    for (where, key, name), targets in sorted(targets_of.items()):
        which = ", ".join(f"`{t}`" for t in sorted(set(targets)))
        yield Hit(where, f"app `{key}` deploys as `{name}` in target{'s' if len(set(targets)) > 1 else ''} "
                         f"{which}: the name {app_name_problem(name)}")


@rule("DAB920", "Unreadable or invalid bundle input", severity=Severity.ERROR, stage=Stage.DEPLOY,
      fix="Fix the file so the bundle loads.", cli_check=True)
def bundle_input_problem(project: Project) -> Iterator[Hit]:
    """A bundle file could not be read or merged (invalid YAML, an include that matches nothing, a duplicate
    key): the CLI stops there."""
    for problem in project.problems:
        if problem.bundle:
            yield Hit(problem.location, problem.message)
