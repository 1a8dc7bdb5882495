"""The files `dabprp scaffold` writes for a plan: rendered in memory, classified against the disk, written atomically.
`dabprp.api.scaffold` runs it; the PRP shows the same change set."""

from __future__ import annotations

import os
from dataclasses import replace
from typing import Any

import yaml

from dabprp.confined_io import read_text
from dabprp.errors import DabprpError
from dabprp.facts import Job, ProblemKind, Project
from dabprp.parse.bundle_load import ROOT_FILES
from dabprp.parse.yaml_source import load_plain
from dabprp.plan.model import Bind, Plan
from dabprp.records import record
from dabprp.rules.queries import is_deploy_job, takes_model_version
from dabprp.scaffold import files
from dabprp.scaffold.changes import FileChange, classify, read_manifest, unified_diff, write_all
from dabprp.scaffold.yaml_edit import merge_bundle, serve_version_from
from dabprp.settings import Settings

DEPLOY_JOB_KEYS = {"queue": {"enabled": True}, "max_concurrent_runs": 1}
VERSION_PARAMETERS = ("model_name", "model_version")


@record
class ScaffoldResult:
    changes: tuple[FileChange, ...]
    notes: tuple[str, ...]
    written: bool
    binds: tuple[Bind, ...] = ()
    """Resources the scaffolded bundle adds that already exist outside it (bind before the first deploy)."""

    def of(self, kind: str) -> list[FileChange]:
        return [c for c in self.changes if c.kind == kind]

    def diff(self) -> str:
        return "".join(unified_diff(c) for c in self.changes if c.kind in ("create", "update"))


def planned_changes(path: str, plan: Plan, project: Project, settings: Settings, force: bool = False,
                    bundle_only: bool = False) -> tuple[tuple[FileChange, ...], tuple[str, ...]]:
    """Every file scaffold would write for `plan`, classified against what is on disk, and notes on values kept.
    Nothing is written. `bundle_only`: only the bundle YAML (root file and resource files)."""
    present = next((name for name in ROOT_FILES if os.path.lexists(os.path.join(path, name))), None)
    if project.bundle is None and present is not None:
        problem = next((p for p in project.problems if p.location.path == present), None)
        why = problem.message if problem else "it does not load"
        raise DabprpError(present, problem.location.line if problem else None,
                          f"the bundle could not be read ({why}); scaffold never replaces it")
    bad = next((p for p in project.problems if p.bundle and p.kind is ProblemKind.UNREADABLE), None)
    if bad is not None:
        raise DabprpError(bad.location.path, bad.location.line, f"fix the bundle first: {bad.message}")
    manifest = read_manifest(path)
    contents: dict[str, tuple[str, bool]] = {}
    notes: list[str] = []
    root_file = plan.bundle_files[0].file
    old_bundle = _read(path, root_file) if project.bundle else ""
    all_jobs = project.bundle.resources.jobs if project.bundle else ()
    by_key = {j.key: j for j in all_jobs}
    # a project whose code shows no agent: its deployment jobs deploy something else, left as they are
    additions = {j.key: deploy_job_keys(project, j) for j in all_jobs
                 if plan.agent.found and j.location.path == root_file and is_deploy_job(project, j, by_key)}
    new_bundle, merge_notes, changed = merge_bundle(old_bundle, root_file, files.planned_bundle(plan), force,
                                                    {k: keys for k, (keys, _) in additions.items()})
    notes += merge_notes
    notes += [f"{root_file}: deployment job `{k}` gets {', '.join(fields)}" + (f"; {why}" if why else "")
              for k, (_, why) in additions.items() if (fields := changed.get(k))]
    if not old_bundle:
        new_bundle = files.header() + "\n" + new_bundle
    contents[root_file] = (new_bundle, True)
    rollout = plan.bundle_rollout
    if rollout is not None and rollout.edit_at is not None:  # the bundle's endpoint serves the variable's version
        file = rollout.edit_at.path
        text = contents[file][0] if file in contents else _read(path, file)
        contents[file] = (serve_version_from(text, file, rollout.endpoint_key, rollout.entity,
                                             "${var.%s}" % rollout.variable), True)
    generated = dict(files.resource_files(plan))
    if not bundle_only:
        generated.update({**files.stage_files(plan, project, settings), **files.test_files(plan, project),
                          **files.ci_workflow(plan, project)})
    for name, text in generated.items():
        contents[name] = (text, False)
    changes = tuple(_keep_deployed(classify(path, name, text, force, manifest, user_edit))
                    for name, (text, user_edit) in sorted(contents.items()))
    return changes, tuple(notes)


def deploy_job_keys(project: Project, job: Job) -> tuple[dict[str, Any], str]:
    """The keys scaffold adds to an existing deployment job where missing, and what the notes say of them.
    `model_name`/`model_version` job parameters only for a job started for a model version: a job parameter
    overrides the task parameter of the same name, so its default is the value the tasks pass today (a job
    that logs or registers the model itself gets none: linked to the model, it would start for its own versions)."""
    keys: dict[str, Any] = dict(DEPLOY_JOB_KEYS)
    if not takes_model_version(project, job):
        return keys, ""
    params, kept = [], []
    for name in VERSION_PARAMETERS:
        passed = {repr(t.parameters[name]): t.parameters[name] for t in job.tasks if name in t.parameters}
        if len(passed) > 1:  # one job default would override different task values
            kept.append(name)
            continue
        params.append({"name": name, "default": next(iter(passed.values()), "")})
    if params:
        keys = {"parameters": params, **keys}
    why = f"not {', '.join(kept)}: its tasks pass different values a job parameter would override" if kept else ""
    return keys, why


def write(path: str, changes: tuple[FileChange, ...]) -> None:
    """Write the create/update changes atomically and record their hashes in the manifest."""
    write_all(path, list(changes), read_manifest(path))


def _keep_deployed(change: FileChange) -> FileChange:
    """Even with --force, a bundle file is never overwritten with one that drops a resource it defines
    (the deployment would destroy it): such a file is kept, as a conflict."""
    if change.kind != "update" or change.old is None or not change.path.endswith((".yml", ".yaml")):
        return change
    lost = sorted(_resource_keys(change.old) - _resource_keys(change.new))
    if not lost:
        return change
    return replace(change, new=change.old, kind="conflict",
                   reason=f"kept: overwriting it would destroy {', '.join(lost)}")


def _resource_keys(text: str) -> set[str]:
    try:
        doc = load_plain(text)
    except yaml.YAMLError:
        return set()
    resources = doc.get("resources") if isinstance(doc, dict) else None
    if not isinstance(resources, dict):
        return set()
    return {f"{rtype}.{key}" for rtype, items in resources.items() if isinstance(items, dict) for key in items}


def _read(root: str, rel: str) -> str:
    text = read_text(os.path.join(root, rel), rel, root=root)
    if text is None:
        raise DabprpError(rel, None, "cannot read: no such file")
    return text


__all__ = ["FileChange", "ScaffoldResult", "planned_changes", "write"]
