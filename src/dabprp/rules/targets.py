"""1xx: targets and environments."""

from __future__ import annotations

from collections.abc import Iterator

from dabprp.facts import Permission, Project, Target
from dabprp.findings import Hit, Severity, Stage
from dabprp.knowledge import DOCS
from dabprp.rules import rule
from dabprp.rules.queries import bundle_location, targets_location


@rule("DAB100", "No bundle", severity=Severity.ERROR, stage=Stage.DEPLOY,
      fix="Create `databricks.yml` with dev, staging and prod targets around the agent code.",
      docs=(DOCS["bundles"],))
def no_bundle(project: Project) -> Iterator[Hit]:
    """Without a bundle nothing about deployment is versioned, reviewed or repeatable."""
    if project.bundle is None and not any(p.bundle for p in project.problems):
        yield Hit(bundle_location(project), "the project has no bundle (`databricks.yml`)")


def _has_target(project: Project, *names: str) -> bool:
    b = project.bundle
    return b is not None and any(t.name.lower() in names for t in b.targets)


@rule("DAB101", "No staging target", severity=Severity.ERROR, stage=Stage.STAGE,
      fix="Add a `staging` target in production mode, with its own catalog and a service principal `run_as`.",
      docs=(DOCS["targets"],))
def no_staging_target(project: Project) -> Iterator[Hit]:
    """Without staging, changes go from development straight to production."""
    if project.bundle is not None and not _has_target(project, "staging", "stage", "stg", "qa", "test"):
        yield Hit(targets_location(project), "no staging target: targets are "
                  + (", ".join(t.name for t in project.bundle.targets) or "none"))


@rule("DAB102", "No production target", severity=Severity.ERROR, stage=Stage.DEPLOY,
      fix="Add a `prod` target in production mode with `workspace.root_path` and a service principal `run_as`.",
      docs=(DOCS["targets"],))
def no_prod_target(project: Project) -> Iterator[Hit]:
    """Production needs its own target so its configuration, identity and permissions are explicit."""
    if project.bundle is not None and not _has_target(project, "prod", "production", "prd"):
        yield Hit(targets_location(project), "no production target")


@rule("DAB103", "Development target in production mode", severity=Severity.WARNING, stage=Stage.STAGE,
      fix="Set `mode: development` on the dev target; keep production mode for staging and prod.",
      docs=(DOCS["targets"],))
def dev_in_production_mode(project: Project) -> Iterator[Hit]:
    """Production mode on the only or the dev target removes dev-mode isolation (name prefixes,
    paused schedules) so every developer deploys over the same resources."""
    b = project.bundle
    if b is None:
        return
    for t in b.targets:
        if t.mode == "production" and (len(b.targets) == 1 or t.name.lower() in ("dev", "development")):
            yield Hit(t.location, f"target `{t.name}` uses `mode: production`"
                      + (" and is the only target" if len(b.targets) == 1 else ""))


@rule("DAB104", "No default target", severity=Severity.WARNING, stage=Stage.STAGE,
      fix="Mark the dev target `default: true` so a bare `databricks bundle deploy` never reaches production.",
      docs=(DOCS["targets"],))
def no_default_target(project: Project) -> Iterator[Hit]:
    """With several targets and no default, every command needs `-t`, and mistakes pick the wrong one."""
    b = project.bundle
    if b is not None and len(b.targets) > 1 and not any(t.default for t in b.targets):
        yield Hit(targets_location(project), "several targets and none has `default: true`")


@rule("DAB105", "Production target without root_path", severity=Severity.ERROR, stage=Stage.DEPLOY,
      fix="Set `workspace.root_path` (e.g. `~/.bundle/${bundle.name}/${bundle.target}`, in the home of the service "
          "principal CI deploys as).",
      docs=(DOCS["targets"],), cli_check=True)
def production_without_root_path(project: Project) -> Iterator[Hit]:
    """The CLI requires an explicit root_path in production mode so only one copy is deployed, unless every
    job sets `run_as` (then it only recommends it: DAB915)."""
    for target, every_job_run_as in _production_without_root_path(project):
        if not every_job_run_as:
            yield Hit(target.location, f"production target `{target.name}` has no `workspace.root_path`")


@rule("DAB915", "Production target without root_path (every job has run_as)", severity=Severity.WARNING,
      stage=Stage.DEPLOY, fix="Set `workspace.root_path` so only one copy is deployed; the CLI recommends it.",
      docs=(DOCS["targets"],), cli_check=True)
def production_root_path_recommended(project: Project) -> Iterator[Hit]:
    """When every job sets `run_as`, the CLI accepts a production target without root_path but recommends one."""
    for target, every_job_run_as in _production_without_root_path(project):
        if every_job_run_as:
            yield Hit(target.location, f"production target `{target.name}` has no `workspace.root_path` "
                      "(recommended when every job sets run_as)")


def _production_without_root_path(project: Project) -> Iterator[tuple[Target, bool]]:
    """Production targets without an explicit root_path, each with: does every job set run_as?"""
    b = project.bundle
    if b is None:
        return
    top = b.workspace.root_path if b.workspace else None
    jobs = b.resources.jobs
    for t in b.targets:
        if t.mode == "production" and not top and not (t.workspace and t.workspace.root_path):
            yield t, bool(b.run_as or t.run_as) or (bool(jobs) and all(j.run_as for j in jobs))


@rule("DAB106", "Hard-coded workspace host", severity=Severity.WARNING, stage=Stage.SECURITY,
      fix="Give each target its own `workspace.host` (or a `profile`) and drop the top-level host.",
      docs=(DOCS["targets"],))
def hardcoded_host(project: Project) -> Iterator[Hit]:
    """A single hard-coded host ties every target to one workspace; staging and prod cannot be separated."""
    b = project.bundle
    if b is None:
        return
    hosts = {t.workspace.host for t in b.targets if t.workspace and t.workspace.host}
    if b.workspace and b.workspace.host:
        yield Hit(b.workspace.location, f"top-level `workspace.host` is hard-coded to `{b.workspace.host}`")
    elif len(b.targets) > 1 and len(hosts) == 1 and all(t.workspace and t.workspace.host for t in b.targets):
        yield Hit(b.targets[0].location, "every target uses the same workspace host")


SHARED_ROOT = "/Workspace/Shared/"


@rule("DAB919", "Bundle root writable by every workspace user", severity=Severity.WARNING, stage=Stage.SECURITY,
      fix="Deploy production targets from CI as their service principal with `workspace.root_path: "
          "~/.bundle/${bundle.name}/${bundle.target}` (its home); keep /Workspace/Shared only if every user may change "
          "the deployed code, and then say so with `permissions: [{level: CAN_MANAGE, group_name: users}]`.",
      docs=(DOCS["targets"],), cli_check=True)
def shared_root_writable(project: Project) -> Iterator[Hit]:
    """Every workspace user can write under /Workspace/Shared, so anyone could change the code a target's jobs run
    (as their `run_as`). The CLI warns unless the bundle grants `users` CAN_MANAGE, and `--strict` fails on it."""
    b = project.bundle
    if b is None:
        return
    top = b.workspace.root_path if b.workspace else None
    if not b.targets and b.workspace and top and top.startswith(SHARED_ROOT) and not _users_manage(b.permissions):
        yield Hit(b.workspace.location, f"the bundle deploys to `{top}`, which every workspace user can write")
    for target in b.targets:
        own = target.workspace.root_path if target.workspace else None
        root = own or top
        if root is None or not root.startswith(SHARED_ROOT):
            continue
        if _users_manage((*b.permissions, *target.permissions)):
            continue
        where = target.workspace.location if own and target.workspace else (
            b.workspace.location if b.workspace else target.location)
        yield Hit(where, f"target `{target.name}` deploys to `{root}`, which every workspace user can write")


def _users_manage(granted: tuple[Permission, ...]) -> bool:
    """The bundle says every user may manage it (what the CLI looks for before it warns)."""
    return any(p.principal_kind == "group" and p.principal == "users" and p.level == "CAN_MANAGE" for p in granted)
