"""A stand-in for the Databricks CLI's `bundle summary` and `bundle deploy` of one target: the stage code of a
bundle-owned endpoint changes it only through these, and the fake workspace records that the bundle wrote it."""

from __future__ import annotations

import dataclasses
import json

from dabprp.rehearse.fakes import Workspace
from dabprp.rehearse.resolve import TargetConfig

ENDPOINTS = "model_serving_endpoints"


class BundleCli:
    """`bundle("deploy", "-t", T, "--var=k=v")` resolves the target's endpoints with those variables and applies them
    to the fake workspace, as a deploy would; `bundle("summary", ...)` prints the resolved resources as JSON."""

    def __init__(self, config: TargetConfig, workspace: Workspace) -> None:
        self.config = config
        self.workspace = workspace

    def __call__(self, *args: str) -> str:
        overrides = dict(a[len("--var="):].split("=", 1) for a in args if a.startswith("--var=") and "=" in a[6:])
        config = dataclasses.replace(self.config, variables={**self.config.variables, **overrides})
        target = args[args.index("-t") + 1] if "-t" in args else self.config.target
        if target != self.config.target:
            raise RuntimeError(f"the rehearsal deploys target `{self.config.target}`, not `{target}`")
        if args[0] == "summary":
            return json.dumps({"resources": {ENDPOINTS: {k: config.resource(ENDPOINTS, k)
                                                         for k in config.keys(ENDPOINTS)}}})
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
