"""Deployed targets: where their state lives, the migrations the plan asks for, and what it reuses."""

from __future__ import annotations

from dabprp.facts import Project
from dabprp.plan.includes import include_matches
from dabprp.plan.model import Code, Environment, Evidence, Migration, parts_of, prose, text
from dabprp.plan.resources import ExistingKeys, resource_evidence
from dabprp.plan.reuse import Reused

# The CLI's default root (workspace `~` is /Workspace/Users/<deployer>): writing it out moves nothing.
DEFAULT_ROOT_PATH = "~/.bundle/${bundle.name}/${bundle.target}"
CI_ROOT_PATH = "/Workspace/Users/${workspace.current_user.userName}/.bundle/${bundle.name}/${bundle.target}"
"""The same folder, as the production targets the plan adds write it: CI deploys them as their service principal,
so the state lives in its home, which only it and admins can write (a root under /Workspace/Shared is writable by
every workspace user: the CLI warns, and `--strict` fails, unless the bundle grants `users` CAN_MANAGE). Written
this way, the plan knows the target was meant for CI's identity from the start."""
# Where a bundle without targets keeps its state (it deploys as the implicit target `default`).
IMPLICIT_ROOT_PATH = "~/.bundle/${bundle.name}/default"


def migrations(project: Project, envs: tuple[Environment, ...], deployer: str) -> tuple[Migration, ...]:
    """Changes the plan wants on targets that already exist, as ordered steps instead of edits: mode or root path,
    then `run_as`."""
    b = project.bundle
    if b is None:
        return ()
    out: list[Migration] = []
    for env in envs:
        target = b.target(env.name)
        if target is None and not env.implicit:
            continue
        mode = target.mode if target else None
        where = target.location if target else b.location
        if (mode or None) != env.mode and "development" not in (mode, env.mode):
            # no development mode on either side: no name prefix comes or goes, nothing is renamed
            own_root = target is not None and target.workspace is not None and target.workspace.root_path
            out.append(Migration(
                env.name, prose("`mode: {old}` → `mode: {new}`", old=mode or "unset", new=env.mode),
                (prose("Set `targets.{t}.mode: {mode}`" + ("" if own_root else
                       " and `workspace.root_path: {root}` (the CLI's default written out: the state stays where "
                       "it is; production mode requires an explicit root)") + ".",
                       t=env.name, mode=env.mode, root=DEFAULT_ROOT_PATH),
                 prose("`databricks bundle validate --strict -t {t}`, then `databricks bundle deploy -t {t}`.",
                       t=env.name)),
                "none: only development mode renames resources; production mode adds the CLI's production checks "
                "and renames, moves or recreates nothing.",
                where))
        elif (mode or None) != env.mode:
            out.append(Migration(
                env.name, prose("`mode: {old}` → `mode: {new}`"
                                + (" (the bundle's implicit `default` target, written out as this one)"
                                   if env.implicit else ""), old=mode or "unset", new=env.mode),
                (prose("`databricks bundle summary -t {t}` and note every resource ID.", t=env.name),
                 prose("`databricks bundle destroy -t {t}` (deletes the target's resources and files).", t=env.name),
                 prose("Set `targets.{t}.mode: {mode}`"
                       + (" and `workspace.root_path: {root}`" if env.mode == "production" else "")
                       + (" and remove `workspace.root_path: {implicit}`" if env.implicit else "") + ".",
                       t=env.name, mode=env.mode, root=CI_ROOT_PATH, implicit=IMPLICIT_ROOT_PATH),
                 prose("`databricks bundle deploy -t {t}`.", t=env.name)),
                "development mode prefixes the names of jobs, UC models and serving endpoints, so a mode change "
                "renames them: UC models and endpoints are destroyed and created again (versions, aliases, "
                "inference tables and endpoint URLs are lost), jobs lose their run history.",
                where))
        elif env.mode == "production" and env.root_path in (None, DEFAULT_ROOT_PATH):
            # the CLI's default root (implicit or written out): who deployed it so far is not known statically;
            # targets the plan adds say CI_ROOT_PATH (meant for the identity CI deploys as from the start)
            out.append(Migration(
                env.name, prose("deploying identity → the service principal (CI): `~` in `{root}` becomes its home, "
                                "a new, empty state (if a person deployed this target until now; not known "
                                "statically)", root=DEFAULT_ROOT_PATH),
                (prose("As the identity that deployed it: `databricks bundle summary -t {t} -o json` and note every "
                       "resource's ID.", t=env.name),
                 prose("With the service principal's credentials, for each resource: `databricks bundle deployment "
                       "bind <key> <id> -t {t} --auto-approve`, so its state adopts the deployed object instead of "
                       "creating a second one.", t=env.name),
                 prose("Deploy from CI (`databricks bundle deploy -t {t}` as the service principal); then delete "
                       "the old root's files.", t=env.name)),
                prose("no resource is recreated when every one is bound first; skipping the bind deploys a second "
                      "copy of every resource. Alternative: `bundle destroy` with the old root, then deploy with the "
                      "new one (every resource is deleted and created again)."),
                where))
    return (*out, *_run_as_migrations(project, envs, deployer))


def _run_as_migrations(project: Project, envs: tuple[Environment, ...], deployer: str) -> tuple[Migration, ...]:
    """Existing production targets that do not run as a service principal: scaffold keeps their `run_as` (it
    changes who every job runs as), so setting it is a migration the team does."""
    b = project.bundle
    if b is None:
        return ()
    out = []
    for env in envs:
        target = b.target(env.name)
        if not env.exists or env.mode != "production" or env.run_as == "service_principal":
            continue
        today = prose("{kind} `{who}`", kind=env.run_as, who=env.run_as_principal or "") if env.run_as else \
            "the deploying identity"
        out.append(Migration(
            env.name, text("`run_as`: ", *parts_of(today), " → service principal ",
                           Code(env.service_principal or deployer)),
            (prose("Give the identity that deploys `{t}` the Service Principal User role on `{sp}` (setting "
                   "`run_as` to a service principal requires it), or deploy as `{sp}` itself, as the CI workflow "
                   "does with its OAuth credentials.", t=env.name, sp=env.service_principal or deployer),
             prose("Set `targets.{t}.run_as.service_principal_name: {ref}`.", t=env.name, ref=deployer),
             prose("`databricks bundle deploy -t {t}`.", t=env.name)),
            prose("no resource is recreated; from that deploy on the target's jobs run as `{sp}`, which needs access "
                  "to everything they read and write. A deploy by another identity then supports only jobs and "
                  "pipelines (not serving endpoints or apps).", sp=env.service_principal or deployer),
            target.location if target else b.location))
    return tuple(out)


def reused_evidence(project: Project, reuse: dict[str, Reused], existing: ExistingKeys, folder: str,
                    covered: bool, envs: tuple[Environment, ...]) -> tuple[Evidence, ...]:
    """What the plan takes from the project instead of adding it, with where it is."""
    b = project.bundle
    if b is None:
        return ()
    out = [Evidence(f"variable for the {r.role}", text(Code(r.variable), " (", *parts_of(r.why), ")"), r.location)
           for r in sorted(reuse.values(), key=lambda r: r.role)]
    kinds = (("registered model", existing.model, b.resources.registered_models),
             ("experiment", existing.experiment, b.resources.experiments),
             ("serving endpoint", existing.endpoint, b.resources.model_serving_endpoints),
             ("app", existing.app, b.resources.apps),
             ("secret scope", existing.scope, b.resources.secret_scopes),
             ("deployment job", existing.deploy_job, b.resources.jobs))
    for label, key, items in kinds:
        found = next((i for i in items if i.key == key), None) if key else None
        if found is not None:
            out.append(resource_evidence(label, found))
    covering = next((i for i in b.includes if include_matches(i.pattern, f"{folder}/dabprp_probe.yml")), None)
    if covered and covering is not None:
        out.append(Evidence("include glob", text(Code(covering.pattern), " already covers ", Code(f"{folder}/")),
                            covering.location))
    pinned = {e.name for e in envs if e.exists and e.root_path == DEFAULT_ROOT_PATH}
    for target in b.targets:
        pinned_root = ("; ", Code(f"workspace.root_path: {DEFAULT_ROOT_PATH}"), " is the CLI's default written out, "
                       "so the state stays where it is") if target.name in pinned else ()
        out.append(Evidence("target", text(Code(target.name), " kept: mode, run_as and workspace (deployment state) "
                                       "unchanged", *pinned_root), target.location))
    return tuple(out)
