"""Bundle documents for the plan, built as data (render and scaffold dump them)."""

from __future__ import annotations

from typing import Any

from dabprp.plan.model import Environment, Gate


def environment_doc(name: str, envs: tuple[Environment, ...], variables: dict[str, dict[str, Any]],
                    env_values: dict[str, dict[str, Any]], includes: list[str],
                    deployer_refs: dict[str, Any], deployer: str = "${var.deployer_sp}",
                    own_names: dict[str, dict[str, dict[str, dict[str, str]]]] | None = None) -> dict[str, Any]:
    """What the plan adds to the root bundle file. An existing target gets no new `mode`, `default` or `run_as`
    (each renames or re-owns its deployed resources) and keeps its deployment state (workspace). `own_names`: per
    target the plan adds, the resource names it sets so it deploys no name another target on its workspace has
    (an existing target keeps its names: renaming a deployed resource replaces it)."""
    targets: dict[str, Any] = {}
    has_default = any(e.exists and e.default and not e.implicit for e in envs)
    for env in envs:
        target: dict[str, Any] = {}
        if not env.exists:
            target["mode"] = env.mode
        if env.default and not has_default and (not env.exists or env.implicit):
            target["default"] = True
        if env.root_path and not env.root_path_exists:
            target["workspace"] = {"root_path": env.root_path}
        overrides = dict(env_values.get(env.name, {}))
        production = env.mode == "production"
        # the project's own deployer variable keeps its values
        if production and env.service_principal and "deployer_sp" in variables:
            overrides["deployer_sp"] = env.service_principal if env.service_principal_is_id else {
                "lookup": {"service_principal": env.service_principal}}
        if production and not env.exists:
            target["run_as"] = {"service_principal_name": deployer}
        if overrides:
            target["variables"] = overrides
        if production and deployer_refs:
            target["resources"] = dict(deployer_refs)
        for kind, items in (own_names or {}).get(env.name, {}).items() if not env.exists else ():
            kinds = target.setdefault("resources", {})
            kinds[kind] = {**kinds.get(kind, {}), **{k: {**kinds.get(kind, {}).get(k, {}), **v}
                                                     for k, v in items.items()}}
        if production:  # added only where the target has none (an existing list is kept)
            target["permissions"] = [{"level": "CAN_MANAGE", "group_name": "${var.admin_group}"}]
        targets[env.name] = target
    return {
        "bundle": {"name": name, "databricks_cli_version": ">= 1.3.0"},
        "include": includes,
        "variables": variables,
        # no top-level permissions: they apply to every resource, and on a secret scope CAN_VIEW is READ (a
        # broad consumer group would read every environment's secrets); each planned resource has its own
        "targets": targets,
    }


def environments_block(dependencies: list[str]) -> list[dict[str, Any]]:
    return [{"environment_key": "default",
             "spec": {"environment_version": "4", "dependencies": dependencies}}]


def notifications(email: str) -> dict[str, Any]:
    return {"on_failure": [email], "on_duration_warning_threshold_exceeded": [email]}


def health(seconds: int) -> dict[str, Any]:
    return {"rules": [{"metric": "RUN_DURATION_SECONDS", "op": "GREATER_THAN", "value": seconds}]}


def py_task(key: str, file: str, args: list[str], depends: list[str], retries: int,
            timeout: int) -> dict[str, Any]:
    task: dict[str, Any] = {"task_key": key}
    if depends:
        task["depends_on"] = [{"task_key": d} for d in depends]
    task["environment_key"] = "default"
    task["spark_python_task"] = {"python_file": file, "parameters": args}
    task["max_retries"] = retries
    if retries:
        task["min_retry_interval_millis"] = 60000
    task["timeout_seconds"] = timeout
    return task


def gate_args(gates: tuple[Gate, ...]) -> list[str]:
    return [f"--gate={g.metric}>={g.threshold}" for g in gates if g.blocking]
