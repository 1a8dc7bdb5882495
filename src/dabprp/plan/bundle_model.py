"""What the plan puts into bundle files, as typed data: variables, targets and resources. Each object gives its
configuration tree (`spec()`, the bundle schema's own field names) for the resolver and for render and scaffold,
which alone write YAML."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from dabprp.plan.jobs_model import PlannedJob, PlannedTask
from dabprp.plan.text import Text
from dabprp.records import record

SERVERLESS_ENVIRONMENT = "4"
"""The serverless environment version the planned jobs run in."""
SERVERLESS_PYTHON = "3.12"
"""Its Python version (CI runs the tests under the same one)."""


@record
class Permission:
    """A workspace ACL entry on a resource: `level` for one group or service principal."""

    level: str
    group_name: str | None = None
    service_principal_name: str | None = None

    @property
    def principal(self) -> str:
        return self.group_name or self.service_principal_name or ""

    def spec(self) -> dict[str, Any]:
        who = ("group_name", self.group_name) if self.group_name else (
            "service_principal_name", self.service_principal_name)
        return {"level": self.level, who[0]: who[1]}


@record
class UCGrant:
    """A Unity Catalog grant on a securable the bundle declares."""

    principal: str
    privileges: tuple[str, ...]

    def spec(self) -> dict[str, Any]:
        return {"principal": self.principal, "privileges": list(self.privileges)}


@record
class JobEnvironment:
    """A serverless job environment: its key, environment version and pinned packages."""

    dependencies: tuple[str, ...]
    key: str = "default"
    version: str = SERVERLESS_ENVIRONMENT

    def spec(self) -> dict[str, Any]:
        return {"environment_key": self.key,
                "spec": {"environment_version": self.version, "dependencies": list(self.dependencies)}}


@record
class Variable:
    """A bundle variable the plan adds. `default` None: none (every command must pass a value); a tuple of job
    environments: a complex variable."""

    name: str
    description: str
    default: str | tuple[JobEnvironment, ...] | None = None

    def spec(self) -> dict[str, Any]:
        out: dict[str, Any] = {"description": self.description}
        if isinstance(self.default, tuple):
            out["type"] = "complex"
            out["default"] = [e.spec() for e in self.default]
        elif self.default is not None:
            out["default"] = self.default
        return out


@record
class TargetValue:
    """A variable's value in one target: a literal, or a lookup of a service principal by name."""

    name: str
    value: str | None = None
    lookup_service_principal: str | None = None

    def spec(self) -> Any:
        if self.lookup_service_principal is not None:
            return {"lookup": {"service_principal": self.lookup_service_principal}}
        return self.value


@record
class ResourceEdit:
    """What a target sets on one resource: grants, permissions, the identity a job runs as, name fields."""

    kind: str
    key: str
    grants: tuple[UCGrant, ...] = ()
    permissions: tuple[Permission, ...] = ()
    run_as_service_principal: str | None = None
    fields: tuple[tuple[str, str], ...] = ()

    def spec(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.grants:
            out["grants"] = [g.spec() for g in self.grants]
        if self.permissions:
            out["permissions"] = [p.spec() for p in self.permissions]
        if self.run_as_service_principal is not None:
            out["run_as"] = {"service_principal_name": self.run_as_service_principal}
        out.update(self.fields)
        return out

    def principals(self) -> Iterator[str]:
        yield from (g.principal for g in self.grants)
        yield from (p.principal for p in self.permissions)
        if self.run_as_service_principal is not None:
            yield self.run_as_service_principal


@record
class Target:
    """What the plan writes into one target. An existing target gets no `mode`, `default` or `run_as`."""

    name: str
    mode: str | None = None
    default: bool = False
    root_path: str | None = None
    run_as_service_principal: str | None = None
    variables: tuple[TargetValue, ...] = ()
    resources: tuple[ResourceEdit, ...] = ()
    permissions: tuple[Permission, ...] = ()

    def spec(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.mode is not None:
            out["mode"] = self.mode
        if self.default:
            out["default"] = True
        if self.root_path is not None:
            out["workspace"] = {"root_path": self.root_path}
        if self.run_as_service_principal is not None:
            out["run_as"] = {"service_principal_name": self.run_as_service_principal}
        if self.variables:
            out["variables"] = {v.name: v.spec() for v in self.variables}
        if self.resources:
            kinds: dict[str, dict[str, Any]] = {}
            for edit in self.resources:
                kinds.setdefault(edit.kind, {})[edit.key] = edit.spec()
            out["resources"] = kinds
        if self.permissions:
            out["permissions"] = [p.spec() for p in self.permissions]
        return out


@record
class RegisteredModel:
    """A Unity Catalog registered model with its grants."""

    key: str
    catalog_name: str
    schema_name: str
    name: str
    comment: str
    grants: tuple[UCGrant, ...]
    kind: str = "registered_models"

    def spec(self) -> dict[str, Any]:
        return {"catalog_name": self.catalog_name, "schema_name": self.schema_name, "name": self.name,
                "comment": self.comment, "grants": [g.spec() for g in self.grants]}

    def principals(self) -> Iterator[str]:
        return (g.principal for g in self.grants)


@record
class Experiment:
    """An MLflow experiment with its permissions."""

    key: str
    name: str
    permissions: tuple[Permission, ...]
    kind: str = "experiments"

    def spec(self) -> dict[str, Any]:
        return {"name": self.name, "permissions": [p.spec() for p in self.permissions]}

    def principals(self) -> Iterator[str]:
        return (p.principal for p in self.permissions)


@record
class SecretScope:
    """A Databricks-backed secret scope with its permissions."""

    key: str
    name: str
    permissions: tuple[Permission, ...]
    backend_type: str = "DATABRICKS"
    kind: str = "secret_scopes"

    def spec(self) -> dict[str, Any]:
        return {"name": self.name, "backend_type": self.backend_type,
                "permissions": [p.spec() for p in self.permissions]}

    def principals(self) -> Iterator[str]:
        return (p.principal for p in self.permissions)


@record
class ServedEntity:
    """One served model version of an endpoint, with the environment its container gets."""

    name: str
    entity_name: str
    entity_version: str
    workload_size: str
    scale_to_zero_enabled: bool
    environment_vars: tuple[tuple[str, str], ...] = ()

    def spec(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "entity_name": self.entity_name,
                               "entity_version": self.entity_version, "workload_size": self.workload_size,
                               "scale_to_zero_enabled": self.scale_to_zero_enabled}
        if self.environment_vars:
            out["environment_vars"] = dict(self.environment_vars)
        return out


@record
class InferenceTable:
    """Where an endpoint's AI gateway logs requests and responses."""

    catalog_name: str
    schema_name: str
    table_name_prefix: str

    def spec(self) -> dict[str, Any]:
        return {"enabled": True, "catalog_name": self.catalog_name, "schema_name": self.schema_name,
                "table_name_prefix": self.table_name_prefix}


@record
class ServingEndpoint:
    """A model serving endpoint the bundle owns: served entities, traffic routes (percent), inference table."""

    key: str
    name: str
    served_entities: tuple[ServedEntity, ...]
    routes: tuple[tuple[str, int], ...]
    inference_table: InferenceTable | None
    permissions: tuple[Permission, ...]
    notify_on_update_failure: tuple[str, ...] = ()
    kind: str = "model_serving_endpoints"

    def spec(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "config": {
            "served_entities": [e.spec() for e in self.served_entities],
            "traffic_config": {"routes": [{"served_entity_name": n, "traffic_percentage": p}
                                          for n, p in self.routes]}}}
        if self.inference_table is not None:
            out["ai_gateway"] = {"inference_table_config": self.inference_table.spec()}
        out["permissions"] = [p.spec() for p in self.permissions]
        if self.notify_on_update_failure:
            out["email_notifications"] = {"on_update_failure": list(self.notify_on_update_failure)}
        return out

    def principals(self) -> Iterator[str]:
        return (p.principal for p in self.permissions)


@record
class AppSecret:
    """A secret an app reads, exposed to it as the app resource `name`."""

    name: str
    scope: str
    key: str
    permission: str = "READ"

    def spec(self) -> dict[str, Any]:
        return {"name": self.name, "secret": {"scope": self.scope, "key": self.key, "permission": self.permission}}


@record
class App:
    """A Databricks App: its source folder, start command, environment, secrets and permissions."""

    key: str
    name: str
    description: str
    source_code_path: str
    command: tuple[str, ...]
    env: tuple[tuple[str, str], ...]
    secrets: tuple[AppSecret, ...]
    permissions: tuple[Permission, ...]
    kind: str = "apps"

    def spec(self) -> dict[str, Any]:
        return {"name": self.name, "description": self.description, "source_code_path": self.source_code_path,
                "config": {"command": list(self.command),
                           "env": [{"name": n, "value": v} for n, v in self.env]},
                "resources": [s.spec() for s in self.secrets],
                "permissions": [p.spec() for p in self.permissions]}

    def principals(self) -> Iterator[str]:
        return (p.principal for p in self.permissions)


@record
class JobResource:
    """A planned job as a bundle resource: the job (`key`, in the plan's jobs) with its deployed name, the stage
    folder relative to the file, where failures are mailed, and the complex variable holding its environment."""

    key: str
    name: str
    stages: str
    email: str
    environment_var: str | None
    permissions: tuple[Permission, ...]
    kind: str = "jobs"

    def spec_of(self, job: PlannedJob) -> dict[str, Any]:
        timeout = job.timeout
        doc: dict[str, Any] = {"name": self.name}
        if job.parameters:
            doc["parameters"] = [{"name": p.name, "default": p.default} for p in job.parameters]
        doc.update({"max_concurrent_runs": 1, "queue": {"enabled": True},
                    "email_notifications": {"on_failure": [self.email],
                                            "on_duration_warning_threshold_exceeded": [self.email]}})
        if any(t.run_job is None for t in job.tasks):
            doc["environments"] = "${var.%s}" % self.environment_var if self.environment_var else \
                [JobEnvironment(job.dependencies).spec()]
        doc["timeout_seconds"] = timeout
        doc["health"] = {"rules": [{"metric": "RUN_DURATION_SECONDS", "op": "GREATER_THAN",
                                    "value": int(timeout * 0.75)}]}
        doc["tasks"] = [_task_spec(t, self.stages) for t in job.tasks]
        doc["permissions"] = [p.spec() for p in self.permissions]
        return doc

    def principals(self) -> Iterator[str]:
        return (p.principal for p in self.permissions)


def _task_spec(task: PlannedTask, stages: str) -> dict[str, Any]:
    doc: dict[str, Any] = {"task_key": task.key}
    if task.depends_on:
        doc["depends_on"] = [{"task_key": d} for d in task.depends_on]
    if task.run_job is not None:
        doc["run_job_task"] = {"job_id": "${resources.jobs.%s.id}" % task.run_job,
                               "job_parameters": {p.flag: p.value for p in task.params}}
    else:
        doc["environment_key"] = "default"
        file = (task.file or "").rsplit("/", 1)[-1]
        doc["spark_python_task"] = {"python_file": f"{stages}/{file}",
                                    "parameters": [a for p in task.params for a in p.argv()]}
    doc["max_retries"] = task.max_retries
    if task.max_retries:
        doc["min_retry_interval_millis"] = 60000
    doc["timeout_seconds"] = task.timeout
    return doc


Resource = RegisteredModel | Experiment | SecretScope | ServingEndpoint | App | JobResource


@record
class BundleFile:
    """A bundle file the plan adds or edits, as data: the root file's bundle name, includes, variables and
    targets, or the resources of a resource file. `document()` gives its configuration tree."""

    title: str | Text
    file: str
    bundle_name: str | None = None
    """Set on the root file (with `cli_version`): the plan writes `bundle:`, `include:`, `variables:` and
    `targets:` there, even when empty."""
    cli_version: str = ">= 1.3.0"
    includes: tuple[str, ...] = ()
    variables: tuple[Variable, ...] = ()
    targets: tuple[Target, ...] = ()
    resources: tuple[Resource, ...] = ()

    def document(self, jobs: Mapping[str, PlannedJob]) -> dict[str, Any]:
        """The file's configuration tree; `jobs`: the plan's jobs by key (a job resource is built from its job)."""
        out: dict[str, Any] = {}
        if self.bundle_name is not None:
            out["bundle"] = {"name": self.bundle_name, "databricks_cli_version": self.cli_version}
            out["include"] = list(self.includes)
            out["variables"] = {v.name: v.spec() for v in self.variables}
            # no top-level permissions: they apply to every resource, and on a secret scope CAN_VIEW is READ (a
            # broad consumer group would read every environment's secrets); each planned resource has its own
            out["targets"] = {t.name: t.spec() for t in self.targets}
        if self.resources:
            kinds: dict[str, dict[str, Any]] = {}
            for r in self.resources:
                spec = r.spec_of(jobs[r.key]) if isinstance(r, JobResource) else r.spec()
                kinds.setdefault(r.kind, {})[r.key] = spec
            out["resources"] = kinds
        return out

    def of_kind(self, kind: str) -> tuple[Resource, ...]:
        """The resources of `kind` this file defines at top level."""
        return tuple(r for r in self.resources if r.kind == kind)

    def declares(self, kind: str) -> bool:
        """The file defines a resource of `kind` (at top level) or sets one in a target."""
        return any(r.kind == kind for r in self.resources) or any(
            e.kind == kind for t in self.targets for e in t.resources)

    def grants_to(self, kind: str, principal: str, key: str | None = None) -> bool:
        """The file grants `principal` something on a resource of `kind` (`key`: that one), as a UC grant, a
        permission or the identity it runs as, at top level or in a target."""
        found: list[Resource | ResourceEdit] = [*self.of_kind(kind),
                                                *(e for t in self.targets for e in t.resources if e.kind == kind)]
        return any(principal in set(r.principals()) for r in found if key is None or r.key == key)
