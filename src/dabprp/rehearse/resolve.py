"""Bundle references resolved per target as the Databricks CLI does: the deploy-time `${...}` references (see
`dabprp.parse.bundle_resolve`, with the rehearsal's stand-in deployer) and `{{job.parameters.*}}`,
`{{tasks.*.values.*}}`, `{{task.name}}` (run time)."""

from __future__ import annotations

import re

from dabprp.parse.bundle_load import LoadedBundle
from dabprp.parse.bundle_resolve import Deployer, TargetConfig, Unresolved, resolve_deploy
from dabprp.parse.bundle_resolve import load_target as load_for

USER = "rehearsal@example.com"
SHORT_NAME = "rehearsal"
REHEARSAL_DEPLOYER = Deployer(USER, SHORT_NAME, "rehearsal-")
RUN_REF_RE = re.compile(r"\{\{\s*([A-Za-z0-9_.\-]+)\s*\}\}")

__all__ = ["REHEARSAL_DEPLOYER", "TargetConfig", "Unresolved", "load_target", "resolve_deploy", "resolve_run"]


def load_target(loaded: LoadedBundle, target: str) -> TargetConfig:
    """`target` as the rehearsal deploys it (a target without `mode` as the CLI deploys it: no mode, no prefixes)."""
    return load_for(loaded, target, REHEARSAL_DEPLOYER)


def resolve_run(value: str, task: str, job_params: dict[str, str], task_values: dict[str, dict[str, str]]) -> str:
    """`{{job.parameters.x}}`, `{{tasks.t.values.k}}` and `{{task.name}}` at run time."""

    def one(match: re.Match[str]) -> str:
        parts = match.group(1).split(".")
        if parts[:2] == ["job", "parameters"] and len(parts) == 3:
            if parts[2] not in job_params:
                raise Unresolved(f"the job has no parameter `{parts[2]}`")
            return job_params[parts[2]]
        if parts[0] == "tasks" and len(parts) == 4 and parts[2] == "values":
            value = task_values.get(parts[1], {}).get(parts[3])
            if value is None:
                raise Unresolved(f"task `{parts[1]}` set no task value `{parts[3]}`")
            return value
        if parts == ["task", "name"]:
            return task
        raise Unresolved(f"cannot resolve `{{{{{match.group(1)}}}}}`")

    return RUN_REF_RE.sub(one, value)
