"""Facts of Python code and notebooks: graphs, routing, agent classes, MLflow calls, secrets."""

from __future__ import annotations

from dataclasses import field
from typing import Any, ClassVar, TypeVar

from dabprp.facts.location import Location
from dabprp.facts.values import Expr, Literal, Value
from dabprp.records import record


@record
class GraphNode:
    name: str
    function: str | None
    location: Location


@record
class GraphEdge:
    source: str
    target: str | None
    """None: a conditional edge without a path map; the router returns the node name at run time."""
    location: Location
    conditional: bool = False
    router: str | None = None

    def legacy_fields(self) -> dict[str, Any]:
        """Schema 1 wrote a run-time target as `<dynamic>`."""
        return {"source": self.source, "target": "<dynamic>" if self.target is None else self.target,
                "location": self.location, "conditional": self.conditional, "router": self.router}


@record
class AgentGraph:
    variable: str
    state_type: str | None
    location: Location
    nodes: tuple[GraphNode, ...] = ()
    edges: tuple[GraphEdge, ...] = ()
    entry_point: str | None = None
    finish_points: tuple[str, ...] = ()
    compiled_at: Location | None = None


@record
class RoutingModel:
    name: str
    location: Location
    fields: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Field name → the Literal values it may take."""
    used_by: tuple[str, ...] = ()
    """Functions calling `with_structured_output(<this class>)`."""


class CodeFact:
    """Base of the code-fact kinds: a notable call or construct in Python code, with its name and place.

    In `analyze --format json` every kind keeps the shape of schema 1 (`kind`, `name`, `location`,
    `detail`, where `detail` holds summaries with non-literal values as `<source>` strings) and adds its
    typed fields after them."""

    __slots__ = ()
    KINDS: ClassVar[tuple[str, ...]] = ()
    name: str
    location: Location

    @property
    def kind(self) -> str:
        return self.KINDS[0]

    def detail(self) -> dict[str, Any]:
        return {}

    def legacy_fields(self) -> dict[str, Any]:
        return {"kind": self.kind, "name": self.name, "location": self.location, "detail": self.detail()}


def legacy(value: Value | None) -> Any:
    """A typed value as schema 1 summarized it: literals as is, expressions as `<source>`, nothing as null."""
    if isinstance(value, Literal):
        return value.value
    if isinstance(value, Expr):
        return f"<{value.source}>"
    return None


@record
class TemporalHelper(CodeFact):
    """A function whose name says it computes dates or periods (relative-time questions depend on it)."""

    KINDS: ClassVar[tuple[str, ...]] = ("temporal_helper",)
    name: str
    location: Location


@record
class FiscalCalendar(CodeFact):
    """How the project names its fiscal year (`fy = d.year if d.month >= 10 else d.year - 1`): from month
    `start_month` on, the fiscal year is the calendar year plus `offset_from_start`, before it plus
    `offset_before_start`. `name` is the variable assigned."""

    KINDS: ClassVar[tuple[str, ...]] = ("fiscal_calendar",)
    name: str
    location: Location
    start_month: int
    offset_from_start: int
    offset_before_start: int

    def detail(self) -> dict[str, Any]:
        return {"start_month": self.start_month, "offset_from_start": self.offset_from_start,
                "offset_before_start": self.offset_before_start}


@record
class ScorerFunction(CodeFact):
    """A function decorated with `@scorer` (an MLflow custom scorer)."""

    KINDS: ClassVar[tuple[str, ...]] = ("scorer",)
    name: str
    location: Location
    params: tuple[str, ...] = ()

    def detail(self) -> dict[str, Any]:
        return {"params": list(self.params)}


@record
class IterationLimit(CodeFact):
    """A cap on agent iterations: an assignment (`MAX_ITERATIONS = 5`) or a config read (`owner` set)."""

    KINDS: ClassVar[tuple[str, ...]] = ("iteration_limit",)
    name: str
    location: Location
    value: Value | None = None
    owner: str | None = None

    def detail(self) -> dict[str, Any]:
        return {"owner": self.owner} if self.owner is not None else {"value": legacy(self.value)}


@record
class Parallelism(CodeFact):
    KINDS: ClassVar[tuple[str, ...]] = ("parallelism",)
    name: str
    location: Location
    function: str | None = None

    def detail(self) -> dict[str, Any]:
        return {"function": self.function}


@record
class GenieAgent(CodeFact):
    KINDS: ClassVar[tuple[str, ...]] = ("genie_agent",)
    name: str
    location: Location
    space_id: Value
    agent_name: Value
    function: str | None = None

    def detail(self) -> dict[str, Any]:
        return {"space_id": legacy(self.space_id), "agent_name": legacy(self.agent_name), "function": self.function}


ENDPOINT_ROLES = ("chat", "embedding", "vector_search_index", "vector_search_endpoint", "agent_endpoint")
"""What a serving or vector-search endpoint name is used for; Genie spaces are `GenieAgent` facts."""


@record
class EndpointUse(CodeFact):
    """A call that names an endpoint: a chat model (`ChatDatabricks`), an embedding model, a vector-search
    index or endpoint, or the agent's own serving endpoint (queried by tests and evaluation)."""

    KINDS: ClassVar[tuple[str, ...]] = ("llm_endpoint", "embedding_endpoint", "vector_search_index",
                                        "vector_search_endpoint", "agent_endpoint")
    name: str
    """The class or API named in the call (`ChatDatabricks`, `chat.completions.create`, …)."""
    location: Location
    endpoint: Value
    role: str = "chat"
    """One of `chat`, `embedding`, `vector_search_index`, `vector_search_endpoint`, `agent_endpoint`."""
    function: str | None = None
    evidence: str = ""
    """Why the role was chosen (the class or the keyword that names the endpoint)."""

    @property
    def kind(self) -> str:
        return self.KINDS[ENDPOINT_ROLES.index(self.role)]

    def detail(self) -> dict[str, Any]:
        return {"endpoint": legacy(self.endpoint), "function": self.function}


@record
class Tool(CodeFact):
    KINDS: ClassVar[tuple[str, ...]] = ("tool",)
    name: str
    location: Location
    args: dict[str, Any] = field(default_factory=dict)
    function: str | None = None

    def detail(self) -> dict[str, Any]:
        return {"args": self.args, "function": self.function}


@record
class TrafficSplit(CodeFact):
    KINDS: ClassVar[tuple[str, ...]] = ("traffic_split",)
    name: str
    location: Location
    function: str | None = None

    def detail(self) -> dict[str, Any]:
        return {"function": self.function}


@record
class StructuredOutput(CodeFact):
    """`llm.with_structured_output(Model)`: `name` is the model, `receiver` the LLM expression."""

    KINDS: ClassVar[tuple[str, ...]] = ("structured_output",)
    name: str
    location: Location
    function: str | None = None
    receiver: str | None = None

    def detail(self) -> dict[str, Any]:
        return {"function": self.function, "receiver": self.receiver}


@record
class ConfigRead(CodeFact):
    KINDS: ClassVar[tuple[str, ...]] = ("config_read",)
    name: str
    location: Location
    owner: str = ""

    def detail(self) -> dict[str, Any]:
        return {"owner": self.owner}


@record
class MetricGate(CodeFact):
    """A comparison of an evaluation metric with a threshold."""

    KINDS: ClassVar[tuple[str, ...]] = ("metric_gate",)
    name: str
    location: Location
    test: str = ""

    def detail(self) -> dict[str, Any]:
        return {"test": self.test}


@record
class FileReference(CodeFact):
    """A string literal naming a data or config file (`.json`, `.jsonl`, `.csv`, `.yaml`)."""

    KINDS: ClassVar[tuple[str, ...]] = ("file_reference",)
    name: str
    location: Location


@record
class ProductionScorer(CodeFact):
    """Monitoring of production traffic: a scorer registered (`.register(name=...)`) or started with a
    sampling rate (`.start(sampling_config=...)`), or an agent monitor created."""

    KINDS: ClassVar[tuple[str, ...]] = ("production_scorer",)
    name: str
    """The scorer expression (`safety`, `Safety()`), or the monitoring API."""
    location: Location
    action: str = "start"
    """`register`, `start` or `monitor`."""
    function: str | None = None

    def detail(self) -> dict[str, Any]:
        return {"action": self.action, "function": self.function}


@record
class EvalTable(CodeFact):
    """Evaluation data kept in Unity Catalog: an MLflow evaluation dataset (`mlflow.genai.datasets`) or a
    table read for evaluation (`spark.table(...)` passed to `evaluate` or named like an evaluation set).
    Its size and contents cannot be known statically."""

    KINDS: ClassVar[tuple[str, ...]] = ("eval_table",)
    name: str
    """The API that names it (`mlflow.genai.datasets.create_dataset`, `spark.table`, …)."""
    location: Location
    table: Value
    function: str | None = None

    def detail(self) -> dict[str, Any]:
        return {"table": legacy(self.table), "function": self.function}


@record
class ModelResource(CodeFact):
    """One `mlflow.models.resources` entry of a `log_model(resources=...)` list: a credential the serving
    endpoint gets for what the agent calls. Recorded only when the whole list is written out statically."""

    KINDS: ClassVar[tuple[str, ...]] = ("model_resource",)
    name: str
    """The resource class (`DatabricksServingEndpoint`, `DatabricksGenieSpace`, …)."""
    location: Location
    args: dict[str, Value] = field(default_factory=dict)
    """Its keyword arguments (a positional first argument under the class's parameter name)."""
    logged_at: Location | None = None
    """The `log_model` call that declares it."""

    def detail(self) -> dict[str, Any]:
        return {"args": {k: legacy(v) for k, v in self.args.items()}}


AnyCodeFact = (TemporalHelper | FiscalCalendar | ScorerFunction | IterationLimit | Parallelism | GenieAgent
               | EndpointUse | Tool | TrafficSplit | StructuredOutput | ConfigRead | MetricGate | FileReference
               | ProductionScorer | EvalTable | ModelResource)
C = TypeVar("C", bound=CodeFact)


@record
class AgentClass:
    name: str
    base: str
    """The MLflow interface reached (`ChatAgent`, `ResponsesAgent`, `PythonModel`, `ChatModel`)."""
    location: Location
    methods: tuple[str, ...] = ()
    via: tuple[str, ...] = ()
    """The project's own base classes between this class and `base`, nearest first."""
    subclassed: bool = False
    """Another agent class of the project derives from it: a base, not the agent served."""
    abstract: bool = False
    """Derives from `ABC` or declares an `@abstractmethod`: it cannot be instantiated."""
    instances: tuple[Location, ...] = ()
    """Where a module instantiates it at import time (`AGENT = ResearchAgent()`)."""


@record
class MlflowCall:
    api: str
    location: Location
    args: dict[str, Any] = field(default_factory=dict)
    """Schema-1 summary of each argument for display (expressions as `<source>`); decisions read `arguments`."""
    commented_out: bool = False
    arguments: dict[str, Value] = field(default_factory=dict)
    """Each argument as a typed value (`_0`, `_1`… positional, keywords by name); secret values are Unknown."""


@record
class TraceSpan:
    function: str
    location: Location
    name: str | None = None
    span_type: str | None = None


@record
class SecretRef:
    scope: str | None
    """Schema 1: the literal scope, or `<source>` for an expression (read `scope_value`)."""
    key: str | None
    location: Location
    via: str = "dbutils.secrets.get"
    scope_value: Value | None = None
    key_value: Value | None = None


@record
class HardcodedSecret:
    kind: str
    location: Location
    redacted: str = "***redacted***"


@record
class Magic:
    command: str
    location: Location
    argument: str = ""


@record
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


@record
class PythonFacts:
    files: tuple[SourceFile, ...] = ()
    graphs: tuple[AgentGraph, ...] = ()
    routing_models: tuple[RoutingModel, ...] = ()
    agent_classes: tuple[AgentClass, ...] = ()
    mlflow_calls: tuple[MlflowCall, ...] = ()
    trace_spans: tuple[TraceSpan, ...] = ()
    code: tuple[AnyCodeFact, ...] = ()
    secret_refs: tuple[SecretRef, ...] = ()
    hardcoded_secrets: tuple[HardcodedSecret, ...] = ()
    scorers: tuple[ScorerFunction, ...] = ()

    def generated_paths(self) -> set[str]:
        """The files dabprp wrote (its header first): its own stage code is no evidence about the project."""
        return {f.path for f in self.files if f.generated}

    def own(self) -> PythonFacts:
        """These facts without the files dabprp wrote: what the project's own code says about its agent."""
        generated = self.generated_paths()
        if not generated:
            return self

        def keep(items: tuple[Any, ...]) -> tuple[Any, ...]:
            return tuple(i for i in items if i.location.path not in generated)

        return PythonFacts(
            self.files, keep(self.graphs), keep(self.routing_models), keep(self.agent_classes),
            keep(self.mlflow_calls), keep(self.trace_spans), keep(self.code), keep(self.secret_refs),
            keep(self.hardcoded_secrets), keep(self.scorers))

    def of(self, kind: type[C]) -> list[C]:
        """The code facts of one kind, in order."""
        return [c for c in self.code if isinstance(c, kind)]

    def endpoints(self, role: str) -> list[EndpointUse]:
        return [e for e in self.of(EndpointUse) if e.role == role]

    def calls(self, *apis: str) -> list[MlflowCall]:
        return [c for c in self.mlflow_calls if c.api in apis and not c.commented_out]
