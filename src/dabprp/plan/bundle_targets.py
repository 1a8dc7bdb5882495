"""The targets the plan writes into the root bundle file, as data."""

from __future__ import annotations

from dabprp.plan.bundle_model import Permission, ResourceEdit, Target, TargetValue, Variable
from dabprp.plan.model import Environment


def planned_targets(envs: tuple[Environment, ...], variables: dict[str, Variable],
                    env_values: dict[str, dict[str, str]], deployer_edits: tuple[ResourceEdit, ...],
                    deployer: str = "${var.deployer_sp}",
                    own_names: dict[str, tuple[ResourceEdit, ...]] | None = None) -> tuple[Target, ...]:
    """What the plan adds to each target. An existing target gets no new `mode`, `default` or `run_as` (each
    renames or re-owns its deployed resources) and keeps its deployment state (workspace). `own_names`: per target
    the plan adds, the resource names it sets so it deploys no name another target on its workspace has (an
    existing target keeps its names: renaming a deployed resource replaces it)."""
    out = []
    has_default = any(e.exists and e.default and not e.implicit for e in envs)
    for env in envs:
        values = [TargetValue(k, v) for k, v in env_values.get(env.name, {}).items()]
        production = env.mode == "production"
        # the project's own deployer variable keeps its values
        if production and env.service_principal and "deployer_sp" in variables:
            values.append(TargetValue("deployer_sp", env.service_principal) if env.service_principal_is_id
                          else TargetValue("deployer_sp", lookup_service_principal=env.service_principal))
        edits = {(e.kind, e.key): e for e in (deployer_edits if production else ())}
        for named in (own_names or {}).get(env.name, ()) if not env.exists else ():
            was = edits.get((named.kind, named.key))
            edits[(named.kind, named.key)] = named if was is None else ResourceEdit(
                was.kind, was.key, was.grants, was.permissions, was.run_as_service_principal,
                (*was.fields, *named.fields))
        out.append(Target(
            env.name,
            mode=None if env.exists else env.mode,
            default=env.default and not has_default and (not env.exists or env.implicit),
            root_path=env.root_path if env.root_path and not env.root_path_exists else None,
            run_as_service_principal=deployer if production and not env.exists else None,
            variables=tuple(values),
            resources=tuple(edits.values()),
            # added only where the target has none (an existing list is kept)
            permissions=(Permission("CAN_MANAGE", group_name="${var.admin_group}"),) if production else ()))
    return tuple(out)
