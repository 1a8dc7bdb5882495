"""Facts of a bundle: targets, variables, resources, variable references."""

from __future__ import annotations

from dataclasses import field
from typing import Any

from dabprp.facts.code import HardcodedSecret
from dabprp.facts.location import Location
from dabprp.records import record


@record
class Include:
    pattern: str
    files: tuple[str, ...]
    location: Location


@record
class Variable:
    name: str
    location: Location
    default: Any = None
    description: str | None = None
    lookup: dict[str, Any] | None = None
    type: str | None = None
    value: Any = None
    """Effective value for the analyzed target (target override, else default)."""


@record
class RunAs:
    kind: str
    """`user`, `service_principal` or `group`."""
    principal: str
    location: Location


@record
class Permission:
    level: str
    principal_kind: str
    principal: str
    location: Location


@record
class Grant:
    principal: str
    privileges: tuple[str, ...]
    location: Location


@record
class Task:
    task_key: str
    type: str
    location: Location
    target: str | None = None
    """Notebook path, python file, wheel `package:entry_point`, job reference, … as written."""
    resolved_path: str | None = None
    """For notebook/python tasks: the root-relative file the path points at, if it exists."""
    depends_on: tuple[str, ...] = ()
    parameters: dict[str, Any] = field(default_factory=dict)
    max_retries: int | None = None
    timeout_seconds: int | None = None
    compute: str | None = None
    run_if: str | None = None


@record
class JobParameter:
    name: str
    default: Any
    location: Location


@record
class Job:
    key: str
    location: Location
    name: str | None = None
    tasks: tuple[Task, ...] = ()
    parameters: tuple[JobParameter, ...] = ()
    max_concurrent_runs: int | None = None
    timeout_seconds: int | None = None
    queue_enabled: bool | None = None
    schedule: dict[str, Any] | None = None
    trigger: dict[str, Any] | None = None
    email_notifications: dict[str, Any] | None = None
    webhook_notifications: dict[str, Any] | None = None
    health_rules: tuple[dict[str, Any], ...] = ()
    run_as: RunAs | None = None
    permissions: tuple[Permission, ...] = ()
    job_clusters: tuple[str, ...] = ()
    environments: tuple[str, ...] = ()
    tags: dict[str, Any] = field(default_factory=dict)


@record
class Experiment:
    key: str
    location: Location
    name: str | None = None
    permissions: tuple[Permission, ...] = ()


@record
class RegisteredModel:
    key: str
    location: Location
    catalog: str | None = None
    schema: str | None = None
    name: str | None = None
    grants: tuple[Grant, ...] = ()
    aliases: tuple[str, ...] = ()


@record
class ServedEntity:
    name: str | None
    entity_name: str | None
    entity_version: Any
    location: Location
    workload_size: str | None = None
    scale_to_zero: Any = None
    environment_vars: dict[str, Any] = field(default_factory=dict)


@record
class ServingEndpoint:
    key: str
    location: Location
    name: str | None = None
    served_entities: tuple[ServedEntity, ...] = ()
    traffic: tuple[dict[str, Any], ...] = ()
    inference_table: bool = False
    ai_gateway: dict[str, Any] | None = None
    permissions: tuple[Permission, ...] = ()


@record
class App:
    key: str
    location: Location
    name: str | None = None
    source_code_path: str | None = None
    resources: tuple[str, ...] = ()
    permissions: tuple[Permission, ...] = ()


@record
class OtherResource:
    type: str
    key: str
    location: Location
    name: str | None = None


@record
class Resources:
    jobs: tuple[Job, ...] = ()
    experiments: tuple[Experiment, ...] = ()
    registered_models: tuple[RegisteredModel, ...] = ()
    models: tuple[OtherResource, ...] = ()
    model_serving_endpoints: tuple[ServingEndpoint, ...] = ()
    apps: tuple[App, ...] = ()
    secret_scopes: tuple[OtherResource, ...] = ()
    quality_monitors: tuple[OtherResource, ...] = ()
    other: tuple[OtherResource, ...] = ()


@record
class Workspace:
    location: Location
    host: str | None = None
    root_path: str | None = None
    profile: str | None = None


@record
class Target:
    name: str
    location: Location
    mode: str | None = None
    default: bool = False
    workspace: Workspace | None = None
    run_as: RunAs | None = None
    permissions: tuple[Permission, ...] = ()
    presets: dict[str, Any] = field(default_factory=dict)
    variables: dict[str, Any] = field(default_factory=dict)
    resource_overrides: tuple[str, ...] = ()
    """`type.key` of every resource the target overrides or adds."""


@record
class DeployedName:
    """The name a workspace-unique resource deploys under in one target, resolved as the Databricks CLI does."""

    target: str
    kind: str
    """Resource type (`experiments`, `apps`, ...)."""
    key: str
    name: str | None
    """None: not known statically (it depends on the deploying identity, a lookup or a value given at deploy)."""
    workspace: str | None
    """The target's `workspace.host` (lower case, without scheme), else `profile <name>`; None: neither is set
    (the workspace the CLI's environment points at)."""
    location: Location
    """Where the name is written for this target."""
    overridden: bool = False
    """The target's own section sets the name."""


@record
class VarRef:
    expression: str
    location: Location
    resolved: Any = None
    is_resolved: bool = False


@record
class Bundle:
    root_file: str
    location: Location
    name: str | None = None
    includes: tuple[Include, ...] = ()
    variables: tuple[Variable, ...] = ()
    workspace: Workspace | None = None
    run_as: RunAs | None = None
    permissions: tuple[Permission, ...] = ()
    presets: dict[str, Any] = field(default_factory=dict)
    sync: dict[str, Any] = field(default_factory=dict)
    artifacts: dict[str, Any] = field(default_factory=dict)
    targets: tuple[Target, ...] = ()
    selected_target: str | None = None
    """The target whose effective configuration `resources` shows (None: top level only)."""
    resources: Resources = field(default_factory=Resources)
    var_refs: tuple[VarRef, ...] = ()
    top_level_keys: tuple[str, ...] = ()
    files: tuple[str, ...] = ()
    hardcoded_secrets: tuple[HardcodedSecret, ...] = ()
    """Credentials written in the bundle files (redacted in every other fact)."""
    deployed_names: tuple[DeployedName, ...] = ()
    """The deployed name of each workspace-unique resource in each target."""
    name_location: Location | None = None
    """Where `bundle.name` is written."""

    def target(self, name: str) -> Target | None:
        return next((t for t in self.targets if t.name == name), None)
