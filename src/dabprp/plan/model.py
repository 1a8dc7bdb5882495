"""The plan: the target pipeline for one project, as data every renderer reads."""

from __future__ import annotations

from dataclasses import field
from typing import Any

from dabprp.facts import Location
from dabprp.findings import Finding
from dabprp.plan.bundle_model import BundleFile
from dabprp.plan.jobs_model import JobParam, PlannedJob, PlannedTask, TaskParam
from dabprp.plan.text import Code, Text, names, parts_of, prose, text
from dabprp.records import record

__all__ = ["BundleFile", "Code", "JobParam", "PlannedJob", "PlannedTask", "TaskParam", "Text", "names", "parts_of",
           "prose", "text"]


@record
class Evidence:
    label: str | Text
    value: str | Text
    location: Location | None = None


@record
class AgentProfile:
    framework: str
    interface: str | None
    module: str | None
    nodes: tuple[str, ...]
    routes: tuple[str, ...]
    router: str | None
    entry_point: str | None
    parallel: tuple[Evidence, ...]
    genie: tuple[Evidence, ...]
    llm_endpoints: tuple[Evidence, ...]
    tools: tuple[Evidence, ...]
    temporal_helpers: tuple[Evidence, ...]
    iteration_limit: Evidence | None
    traced_nodes: tuple[str, ...]
    untraced_nodes: tuple[str, ...]
    autolog: str
    not_static: tuple[Evidence, ...] = ()
    """Values the code computes at run time (endpoints, Genie spaces, evaluation tables): `label` what,
    `value` where it comes from."""
    fiscal_calendar: tuple[int, int, int] | None = None
    """The project's fiscal year rule (start month, years added from it, before it); None: not in its code."""
    fiscal_calendar_at: Location | None = None
    served_at: Location | None = None
    """Where the code sets the served class (`mlflow.models.set_model`) or instantiates it at module level."""
    sets_model: bool = False
    """The served file calls `mlflow.models.set_model`, which models-from-code logging needs."""
    unserved: tuple[Evidence, ...] = ()
    """The concrete agent classes when no file sets or instantiates one: which is served is not known."""
    found: bool = True
    """The project's own code shows an agent (a LangGraph graph, an agent class, `mlflow.models.set_model`,
    `databricks.agents.deploy`, an agent server, a GenAI flavor's `autolog` or `log_model`, `mlflow.genai.evaluate`,
    a scorer, an `@mlflow.trace` span, a chat-model or Genie call); False: the plan adopts none of the project's
    models, endpoints, apps or deployment jobs (nothing shows they serve an agent)."""


@record
class Scope:
    entities: tuple[str, ...]
    years: str | None
    sources: tuple[str, ...]
    evidence: tuple[Location, ...]
    numeric_answers: bool
    relative_time: bool
    year_max: int | None = None
    """The last year the project's data covers (its agent configuration): "most recent" cannot be later."""


@record
class Environment:
    name: str
    mode: str
    catalog: str
    schema: str
    secret_scope: str
    service_principal: str | None
    """Name looked up for the deployer service principal, or its application id when the bundle has one."""
    root_path: str | None
    default: bool
    purpose: str
    service_principal_is_id: bool = False
    exists: bool = False
    """The bundle already has this target: its mode, run_as, permissions and deployment state are kept."""
    current_mode: str | None = None
    """An existing target's mode as written (None: unset); `mode` is what the plan wants it to be."""
    root_path_exists: bool = False
    """`root_path` is the target's own (or the top-level) value, not one the plan adds."""
    implicit: bool = False
    """The bundle has no targets: this environment is its implicit `default` target, written out (same state,
    no mode), so nothing deployed moves."""
    catalog_chosen: bool = False
    """The plan named the catalog (nothing in the project or the settings does): it may not exist yet."""
    schema_chosen: bool = False
    """The plan named the schema (its default `agents`): it may not exist yet."""
    run_as: str | None = None
    """Who the target runs as once scaffolded: `service_principal` (`service_principal`), `user` or `group`
    (`run_as_principal`); None: the deploying identity (an existing target without `run_as`, which scaffold keeps,
    or a new development target)."""
    run_as_principal: str | None = None


@record
class Gate:
    stage: str
    metric: str
    threshold: float
    source: str
    blocking: bool = True


@record
class EvalDataset:
    """The file the evaluation stage reads: the project's own dataset, or (`found` False) the one to create."""

    path: str
    found: bool
    input_key: str = "question"
    """The field of a record's `inputs` that holds the question."""
    tables: tuple[Location, ...] = ()
    """Evaluation data the project keeps in Unity Catalog (not read by the stage)."""


@record
class EvalCheck:
    name: str
    kind: str
    """`judge` (built-in LLM judge) or `code` (deterministic @scorer)."""
    what: str | Text
    because: str | Text
    evidence: tuple[Location, ...] = ()
    scorer: str = ""
    """What the evaluation stage constructs: an `mlflow.genai.scorers` class name, `code` (a scorer of the
    stage itself) or `project` (the project's own `@scorer` function, imported from its file)."""
    args: tuple[tuple[str, str], ...] = ()
    """Keyword arguments of the scorer class (`name`, `guidelines`)."""
    needs: tuple[str, ...] = ()
    """Expectation fields a row must have for this scorer to judge it (else the row is skipped)."""


@record
class ServingMode:
    """Who owns the agent's serving: `agents-deploy`, `bundle-endpoint` or `app-agent`, with evidence."""

    kind: str
    evidence: tuple[Evidence, ...]
    app_key: str | None = None
    """The bundle app that runs the agent (`app-agent`)."""
    endpoint_key: str | None = None
    """The project's own bundle endpoint (`bundle-endpoint`), reused."""
    ui_app: Evidence | None = None
    """An app in front of the endpoint: a client of the agent, not its serving mode."""

    @property
    def serves_from_model(self) -> bool:
        return self.kind != "app-agent"


@record
class LoggedResource:
    """One resource the build logs the agent with (`mlflow.models.resources`), as the project declares it."""

    kind: str
    """The resource class (`DatabricksServingEndpoint`, …)."""
    args: tuple[tuple[str, str, str | int | float | bool | None], ...]
    """(keyword, `value` or `config_key`, the literal or the agent-configuration key read at build time)."""
    location: Location


@record
class BundleRollout:
    """A bundle-owned endpoint: the rollout sets the served version through the bundle variable `variable`."""

    endpoint_key: str
    entity: str
    """The served entity whose version changes (its name stays)."""
    variable: str
    served_today: str | None
    """The project's literal `entity_version` (None: the plan adds the endpoint, or it is a reference). The
    variable has no default: every deploy passes the champion (`deploy.py --champion`)."""
    edit_at: Location | None
    """The literal `entity_version` scaffold replaces with the variable (None: already a reference)."""
    current_ref: str | None = None
    """The reference the project's `entity_version` already has (then the PRP asks to point it at the variable)."""


@record
class Ref:
    """One value a task consumes, named by its producer."""

    kind: str
    """`variable`, `resource`, `bundle`, `workspace`, `job_parameter`, `task_value` or `task`."""
    name: str
    """`catalog`; `registered_models.k.name`; `target`; `model_version`; `build.model_version`; `name`."""


@record
class TargetName:
    target: str
    name: str | None
    """As the CLI resolves it; None: not known statically (the deploying identity, a lookup, a deploy-time value)."""
    location: Location | None
    """Where the name is written; None: the plan writes it into the target it adds."""
    added: bool = False
    """The plan gives this target (one it adds) its own name."""


@record
class ResourceNames:
    """A workspace-unique resource of the project and its name in each environment."""

    kind: str
    key: str
    location: Location
    names: tuple[TargetName, ...]
    shared: tuple[str, ...] = ()
    """Existing targets that deploy it under one name to one workspace (kept: a deployed object is never
    renamed; a new name replaces it)."""
    renamed: bool = False
    """Some target the plan adds gets its own name."""
    own_name: str = ""
    """`field: value` the plan writes into each target it adds (when `renamed`)."""


@record
class Migration:
    """A change to a deployed target that the plan does not edit in: explicit, ordered steps with their cost."""

    target: str
    change: str | Text
    steps: tuple[str | Text, ...]
    cost: str | Text
    location: Location | None = None


@record
class Bind:
    """A resource the plan adds that resolves, in an existing target, to a name the project's code already creates
    outside the bundle: the bundle must adopt it (`bundle deployment bind`) before its first deploy there."""

    target: str
    kind: str
    key: str
    name: str
    """The object's ID for `bind` (a registered model's three-level name)."""
    created_at: Location
    """The project's call that creates it."""
    via: str | Text
    """How the name is known: a literal, or the job that runs the call and the parameters it passes."""


@record
class Grant:
    principal: str
    securable: str
    privileges: str
    why: str
    written_in: str = ""
    """The planned bundle file that declares it; empty: the bundle cannot, an admin grants it by hand."""


@record
class RoadmapTask:
    id: str
    phase: str
    title: str | Text
    files: tuple[str, ...]
    effort: str
    closes: tuple[str, ...]
    done: bool = False
    evidence: tuple[str | Text, ...] = ()
    """What proves the deliverable exists (a task is done only with it and none of `closes` reported)."""


@record
class Risk:
    risk: str | Text
    mitigation: str | Text


@record
class Plan:
    project: str
    bundle_name: str
    has_bundle: bool
    serving: str
    serving_mode: ServingMode
    agent: AgentProfile
    scope: Scope
    current_state: tuple[Evidence, ...]
    environments: tuple[Environment, ...]
    jobs: tuple[PlannedJob, ...]
    gates: tuple[Gate, ...]
    eval_checks: tuple[EvalCheck, ...]
    bundle_files: tuple[BundleFile, ...]
    grants: tuple[Grant, ...]
    rollout_steps: tuple[int, ...]
    monitoring: tuple[str | Text, ...]
    success_metrics: tuple[Evidence, ...]
    roadmap: tuple[RoadmapTask, ...]
    risks: tuple[Risk, ...]
    gotchas: tuple[str | Text, ...]
    unconfirmed: tuple[str | Text, ...]
    validation_commands: tuple[str, ...]
    context_files: tuple[Evidence, ...]
    findings: tuple[Finding, ...] = field(default_factory=tuple)
    settings_source: str = "defaults"
    reused: tuple[Evidence, ...] = ()
    """What the plan takes from the project instead of adding it (variables, resources, include globs)."""
    migrations: tuple[Migration, ...] = ()
    binds: tuple[Bind, ...] = ()
    """Planned resources that already exist outside the bundle (each is also a migration step)."""
    binds_unknown: tuple[Evidence, ...] = ()
    """Names the project's code creates that are not known statically: whether they exist is not known."""
    promotion: Evidence | None = None
    """How a version reaches the next environment: `deploy-code` (each builds from the same commit) or
    `deploy-models` (the project copies versions), with why."""
    resource_names: tuple[ResourceNames, ...] = ()
    """The project's workspace-unique resources and the name each deploys under per environment."""
    bundle_rollout: BundleRollout | None = None
    """Set when the bundle owns the endpoint: versions change through its variable, never through the SDK."""
    rollout: PlannedTask | None = None
    """The CI step that rolls a version out on a bundle-owned endpoint (after the deployment job approved it)."""
    logged_resources: tuple[LoggedResource, ...] = ()
    """What the build's `log_model` declares as `resources=` (the project's own declaration, reused)."""
    resources_declared_at: Location | None = None
    """The project's `log_model` call whose `resources=` the build reuses."""
    resources_unknown: tuple[Evidence, ...] = ()
    """Resources the build cannot declare because they are not known statically, with where and why."""
    eval_dataset: EvalDataset | None = None
    """What the evaluation stage reads (None: a plan built without it)."""
    left_alone: tuple[Evidence, ...] = ()
    """The project's models, endpoints, apps, deployment jobs and experiments the plan does not take over
    because its code shows no agent (`AgentProfile.found`)."""

    def document(self, block: BundleFile) -> dict[str, Any]:
        """The configuration tree of one of the plan's bundle files (render and scaffold write it as YAML)."""
        return block.document({j.key: j for j in self.jobs})

    def job(self, role: str) -> PlannedJob | None:
        """The planned job with this role (`tests`, `build`, `deployment`, `release`, `load_test`, `link`)."""
        return next((j for j in self.jobs if j.role == role), None)

    def job_key(self, *roles: str) -> str:
        """The key of the first planned job with one of `roles` (the release job stands in for an App agent)."""
        return next((j.key for r in roles for j in self.jobs if j.role == r), self.jobs[0].key)
