"""The files `dabprp scaffold` writes for a plan: rendered in memory, classified against the disk, written atomically.
`dabprp.api.scaffold` runs it; the PRP shows the same change set."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace

import yaml

from dabprp.confined_io import read_text
from dabprp.errors import DabprpError
from dabprp.facts import ProblemKind, Project
from dabprp.parse.bundle_load import ROOT_FILES
from dabprp.parse.yaml_source import load_plain
from dabprp.plan.model import Plan
from dabprp.rules.queries import is_deploy_job
from dabprp.scaffold import files
from dabprp.scaffold.changes import FileChange, classify, read_manifest, unified_diff, write_all
from dabprp.scaffold.yaml_edit import merge_bundle, serve_version_from
from dabprp.settings import Settings

DEPLOY_JOB_KEYS = {"parameters": [{"name": "model_name", "default": ""}, {"name": "model_version", "default": ""}],
                   "queue": {"enabled": True}, "max_concurrent_runs": 1}


@dataclass(frozen=True, slots=True)
class ScaffoldResult:
    changes: tuple[FileChange, ...]
    notes: tuple[str, ...]
    written: bool

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
        why = next((p.message for p in project.problems if p.location.path == present), "it does not load")
        raise DabprpError(present, None, f"the bundle could not be read ({why}); scaffold never replaces it")
    bad = next((p for p in project.problems if p.bundle and p.kind is ProblemKind.UNREADABLE), None)
    if bad is not None:
        raise DabprpError(bad.location.path, bad.location.line, f"fix the bundle first: {bad.message}")
    manifest = read_manifest(path)
    contents: dict[str, tuple[str, bool]] = {}
    notes: list[str] = []
    root_file = plan.bundle_files[0].file
    old_bundle = _read(path, root_file) if project.bundle else ""
    deploy_jobs = [j.key for j in (project.bundle.resources.jobs if project.bundle else ())
                   if j.location.path == root_file and is_deploy_job(project, j)]
    new_bundle, merge_notes, jobs_changed = merge_bundle(old_bundle, root_file, files.planned_bundle(plan), force,
                                                         {k: DEPLOY_JOB_KEYS for k in deploy_jobs})
    notes += merge_notes
    if jobs_changed:
        notes += [f"{root_file}: deployment job `{k}` gets the missing model_name/model_version parameters, "
                  "queue and max_concurrent_runs: 1" for k in deploy_jobs]
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
