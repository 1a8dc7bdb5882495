"""The facts vocabulary: immutable records, each with the Location it was read from."""

from __future__ import annotations

from dataclasses import dataclass, field, fields, is_dataclass
from enum import Enum
from typing import Any


@dataclass(frozen=True, slots=True, order=True)
class Location:
    """A place in the analyzed project: a root-relative POSIX path and a 1-based line."""

    path: str
    line: int = 1

    def __str__(self) -> str:
        return f"{self.path}:{self.line}"


# --------------------------------------------------------------------------- bundle


@dataclass(frozen=True, slots=True)
class Include:
    pattern: str
    files: tuple[str, ...]
    location: Location


@dataclass(frozen=True, slots=True)
class Variable:
    name: str
    location: Location
    default: Any = None
    description: str | None = None
    lookup: dict[str, Any] | None = None
    type: str | None = None
    value: Any = None
    """Effective value for the analyzed target (target override, else default)."""


@dataclass(frozen=True, slots=True)
class RunAs:
    kind: str
    """`user`, `service_principal` or `group`."""
    principal: str
    location: Location


@dataclass(frozen=True, slots=True)
class Permission:
    level: str
    principal_kind: str
    principal: str
    location: Location


@dataclass(frozen=True, slots=True)
class Grant:
    principal: str
    privileges: tuple[str, ...]
    location: Location


@dataclass(frozen=True, slots=True)
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


@dataclass(frozen=True, slots=True)
class JobParameter:
    name: str
    default: Any
    location: Location


@dataclass(frozen=True, slots=True)
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


@dataclass(frozen=True, slots=True)
class Experiment:
    key: str
    location: Location
    name: str | None = None
    permissions: tuple[Permission, ...] = ()


@dataclass(frozen=True, slots=True)
class RegisteredModel:
    key: str
    location: Location
    catalog: str | None = None
    schema: str | None = None
    name: str | None = None
    grants: tuple[Grant, ...] = ()
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ServedEntity:
    name: str | None
    entity_name: str | None
    entity_version: Any
    location: Location
    workload_size: str | None = None
    scale_to_zero: Any = None
    environment_vars: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ServingEndpoint:
    key: str
    location: Location
    name: str | None = None
    served_entities: tuple[ServedEntity, ...] = ()
    traffic: tuple[dict[str, Any], ...] = ()
    inference_table: bool = False
    ai_gateway: dict[str, Any] | None = None
    permissions: tuple[Permission, ...] = ()


@dataclass(frozen=True, slots=True)
class App:
    key: str
    location: Location
    name: str | None = None
    source_code_path: str | None = None
    resources: tuple[str, ...] = ()
    permissions: tuple[Permission, ...] = ()


@dataclass(frozen=True, slots=True)
class OtherResource:
    type: str
    key: str
    location: Location
    name: str | None = None


@dataclass(frozen=True, slots=True)
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


@dataclass(frozen=True, slots=True)
class Workspace:
    location: Location
    host: str | None = None
    root_path: str | None = None
    profile: str | None = None


@dataclass(frozen=True, slots=True)
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


@dataclass(frozen=True, slots=True)
class VarRef:
    expression: str
    location: Location
    resolved: Any = None
    is_resolved: bool = False


@dataclass(frozen=True, slots=True)
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

    def target(self, name: str) -> Target | None:
        return next((t for t in self.targets if t.name == name), None)


# --------------------------------------------------------------------------- python


@dataclass(frozen=True, slots=True)
class GraphNode:
    name: str
    function: str | None
    location: Location


@dataclass(frozen=True, slots=True)
class GraphEdge:
    source: str
    target: str
    location: Location
    conditional: bool = False
    router: str | None = None


@dataclass(frozen=True, slots=True)
class AgentGraph:
    variable: str
    state_type: str | None
    location: Location
    nodes: tuple[GraphNode, ...] = ()
    edges: tuple[GraphEdge, ...] = ()
    entry_point: str | None = None
    finish_points: tuple[str, ...] = ()
    compiled_at: Location | None = None


@dataclass(frozen=True, slots=True)
class RoutingModel:
    name: str
    location: Location
    fields: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Field name → the Literal values it may take."""
    used_by: tuple[str, ...] = ()
    """Functions calling `with_structured_output(<this class>)`."""


@dataclass(frozen=True, slots=True)
class CodeFact:
    """One notable call or construct in Python code (parallelism, endpoints, tools, config reads)."""

    kind: str
    name: str
    location: Location
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class AgentClass:
    name: str
    base: str
    location: Location
    methods: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class MlflowCall:
    api: str
    location: Location
    args: dict[str, Any] = field(default_factory=dict)
    commented_out: bool = False


@dataclass(frozen=True, slots=True)
class TraceSpan:
    function: str
    location: Location
    name: str | None = None
    span_type: str | None = None


@dataclass(frozen=True, slots=True)
class SecretRef:
    scope: str | None
    key: str | None
    location: Location
    via: str = "dbutils.secrets.get"


@dataclass(frozen=True, slots=True)
class HardcodedSecret:
    kind: str
    location: Location
    redacted: str = "***redacted***"


@dataclass(frozen=True, slots=True)
class Magic:
    command: str
    location: Location
    argument: str = ""


@dataclass(frozen=True, slots=True)
class SourceFile:
    path: str
    kind: str
    """`python`, `databricks-notebook` or `ipynb`."""
    functions: tuple[str, ...] = ()
    magics: tuple[Magic, ...] = ()
    syntax_error: str | None = None
    syntax_error_line: int | None = None
    generated: bool = False
    """Starts with dabprp's "Generated by dabprp" header (written by `dabprp scaffold`)."""


# --------------------------------------------------------------------------- config, evals, repo


@dataclass(frozen=True, slots=True)
class ConfigValue:
    key: str
    value: Any
    location: Location


@dataclass(frozen=True, slots=True)
class Prompt:
    key: str
    length: int
    location: Location


@dataclass(frozen=True, slots=True)
class DataScope:
    entities: tuple[str, ...] = ()
    year_min: int | None = None
    year_max: int | None = None
    data_sources: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    evidence: tuple[Location, ...] = ()


@dataclass(frozen=True, slots=True)
class AgentConfig:
    path: str
    location: Location
    keys: tuple[ConfigValue, ...] = ()
    placeholders: tuple[ConfigValue, ...] = ()
    llm_endpoints: tuple[ConfigValue, ...] = ()
    genie_spaces: tuple[ConfigValue, ...] = ()
    secret_names: tuple[ConfigValue, ...] = ()
    prompts: tuple[Prompt, ...] = ()
    scope: DataScope = field(default_factory=DataScope)


@dataclass(frozen=True, slots=True)
class EvalSet:
    path: str
    location: Location
    records: int
    fields: tuple[str, ...] = ()
    categories: dict[str, int] = field(default_factory=dict)
    referenced_from: tuple[Location, ...] = ()
    error: str | None = None


@dataclass(frozen=True, slots=True)
class TestFile:
    path: str
    tests: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CiDefinition:
    path: str
    system: str
    runs_bundle_commands: tuple[str, ...] = ()
    runs_tests: bool = False


@dataclass(frozen=True, slots=True)
class Requirement:
    name: str
    spec: str
    pinning: str
    """`exact`, `range` or `none`."""
    location: Location


@dataclass(frozen=True, slots=True)
class RepoSignals:
    tests: tuple[TestFile, ...] = ()
    ci: tuple[CiDefinition, ...] = ()
    requirements: tuple[Requirement, ...] = ()
    ignored_secret_files: tuple[str, ...] = ()
    tracked_secret_files: tuple[str, ...] = ()
    has_pyproject: bool = False


@dataclass(frozen=True, slots=True)
class PythonFacts:
    files: tuple[SourceFile, ...] = ()
    graphs: tuple[AgentGraph, ...] = ()
    routing_models: tuple[RoutingModel, ...] = ()
    agent_classes: tuple[AgentClass, ...] = ()
    mlflow_calls: tuple[MlflowCall, ...] = ()
    trace_spans: tuple[TraceSpan, ...] = ()
    code: tuple[CodeFact, ...] = ()
    secret_refs: tuple[SecretRef, ...] = ()
    hardcoded_secrets: tuple[HardcodedSecret, ...] = ()
    scorers: tuple[CodeFact, ...] = ()

    def calls(self, *apis: str) -> list[MlflowCall]:
        return [c for c in self.mlflow_calls if c.api in apis and not c.commented_out]


@dataclass(frozen=True, slots=True)
class Problem:
    """Input that could not be read (bad YAML, missing include, …): a fact, not a crash."""

    location: Location
    message: str


@dataclass(frozen=True, slots=True)
class Project:
    root: str
    """The project's directory name (never an absolute path)."""
    bundle: Bundle | None
    python: PythonFacts
    configs: tuple[AgentConfig, ...] = ()
    evalsets: tuple[EvalSet, ...] = ()
    repo: RepoSignals = field(default_factory=RepoSignals)
    problems: tuple[Problem, ...] = ()
    files: tuple[str, ...] = ()

    def exists(self, path: str) -> bool:
        return path in self.files


# --------------------------------------------------------------------------- serialization


def to_data(obj: Any) -> Any:
    """Facts as JSON-ready data: dataclasses become dicts in field order, Locations `path:line`."""
    if isinstance(obj, Location):
        return {"path": obj.path, "line": obj.line}
    if is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_data(getattr(obj, f.name)) for f in fields(obj)}
    if isinstance(obj, Enum):
        return obj.value
    if isinstance(obj, (list, tuple)):
        return [to_data(v) for v in obj]
    if isinstance(obj, dict):
        return {str(k): to_data(v) for k, v in obj.items()}
    return obj
