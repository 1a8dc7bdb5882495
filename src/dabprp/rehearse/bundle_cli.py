"""A stand-in for the Databricks CLI's `bundle summary` and `bundle deploy` of one target: the stage code of a
bundle-owned endpoint changes it only through these, and the fake workspace records that the bundle wrote it."""

from __future__ import annotations

import dataclasses
import json
import re
from typing import Any

from dabprp.rehearse.fakes import Workspace
from dabprp.rehearse.resolve import TargetConfig

ENDPOINTS = "model_serving_endpoints"
ENGINES = ("direct", "terraform")
# What the terraform engine's `Interpolate` mutator rewrites `${resources.<kind>.` to (databricks/cli
# bundle/deploy/terraform/interpolate.go); a reference to any other kind is replaced by the configured value.
TERRAFORM_TYPES = {"pipelines": "databricks_pipeline", "jobs": "databricks_job", "models": "databricks_mlflow_model",
                   "experiments": "databricks_mlflow_experiment", ENDPOINTS: "databricks_model_serving",
                   "registered_models": "databricks_registered_model", "quality_monitors": "databricks_quality_monitor",
                   "schemas": "databricks_schema", "volumes": "databricks_volume", "clusters": "databricks_cluster",
                   "dashboards": "databricks_dashboard"}
RESOURCE_REF_RE = re.compile(r"\$\{resources\.([A-Za-z0-9_]+)\.([A-Za-z0-9_\-]+)\.([A-Za-z0-9_.\-\[\]]+)\}")


class BundleCli:
    """`bundle("deploy", "-t", T, "--var=k=v")` resolves the target's endpoints with those variables and applies them
    to the fake workspace, as a deploy would; `bundle("summary", ...)` prints the target's resources as JSON the way
    the CLI does: `${bundle.*}`, `${workspace.*}` and `${var.*}` resolved, references to other resources
    (`${resources.*}`) left as written (the CLI resolves them only while deploying). `engine="terraform"` prints what
    a CLI on the terraform engine prints in a fresh checkout (no local state: CI): those references in Terraform's
    spelling, `${databricks_registered_model.KEY.name}`."""

    def __init__(self, config: TargetConfig, workspace: Workspace, engine: str = "direct") -> None:
        if engine not in ENGINES:
            raise ValueError(f"engine must be one of {ENGINES}, not `{engine}`")
        self.config = config
        self.workspace = workspace
        self.engine = engine

    def __call__(self, *args: str) -> str:
        overrides = dict(a[len("--var="):].split("=", 1) for a in args if a.startswith("--var=") and "=" in a[6:])
        config = dataclasses.replace(self.config, variables={**self.config.variables, **overrides})
        target = args[args.index("-t") + 1] if "-t" in args else self.config.target
        if target != self.config.target:
            raise RuntimeError(f"the rehearsal deploys target `{self.config.target}`, not `{target}`")
        if args[0] == "summary":
            resources = {kind: {k: config.resource(kind, k, summary=True) for k in config.keys(kind)}
                         for kind in sorted(config.raw)}
            if self.engine == "terraform":
                resources = _terraform_spelling(resources, config)
            return json.dumps({"resources": resources})
        if args[0] == "deploy":
            selected = [args[i + 1] for i, a in enumerate(args[:-1]) if a == "--select"]
            for key in config.keys(ENDPOINTS):
                if selected and f"{ENDPOINTS}.{key}" not in selected:  # `--select`: only those resources
                    continue
                spec = config.resource(ENDPOINTS, key)
                body = spec.get("config") or {}
                entities = list(body.get("served_entities") or [])
                routes = {str(r.get("served_entity_name")): int(r.get("traffic_percentage") or 0)
                          for r in (body.get("traffic_config") or {}).get("routes") or []}
                if not routes and entities:
                    routes = {str(entities[0].get("name")): 100}
                with self.workspace.lock:
                    self.workspace.set_endpoint(str(spec.get("name")), entities, routes, by="bundle")
            return ""
        raise RuntimeError(f"the rehearsal does not stand in for `databricks bundle {args[0]}`")


def _terraform_spelling(value: Any, config: TargetConfig) -> Any:
    """`${resources.KIND.KEY.FIELD}` as the terraform engine's `Interpolate` leaves it in the configuration."""
    if isinstance(value, dict):
        return {k: _terraform_spelling(v, config) for k, v in value.items()}
    if isinstance(value, list):
        return [_terraform_spelling(v, config) for v in value]
    if not isinstance(value, str):
        return value

    def one(match: re.Match[str]) -> str:
        kind, key, field = match.groups()
        if kind in TERRAFORM_TYPES:
            return "${%s.%s.%s}" % (TERRAFORM_TYPES[kind], key, field)
        return str(config.resource(kind, key, summary=True).get(field, match.group(0)))

    return RESOURCE_REF_RE.sub(one, value)
