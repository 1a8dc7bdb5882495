"""The plan: the target pipeline for one project, as data every renderer reads."""

from __future__ import annotations

from dataclasses import dataclass, field

from dabprp.facts import Location
from dabprp.findings import Finding


@dataclass(frozen=True, slots=True)
class Evidence:
    label: str
    value: str
    location: Location | None = None


@dataclass(frozen=True, slots=True)
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


@dataclass(frozen=True, slots=True)
class Scope:
    entities: tuple[str, ...]
    years: str | None
    sources: tuple[str, ...]
    evidence: tuple[Location, ...]
    numeric_answers: bool
    relative_time: bool


@dataclass(frozen=True, slots=True)
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
    root_path_exists: bool = False
    """`root_path` is the target's own (or the top-level) value, not one the plan adds."""
    implicit: bool = False
    """The bundle has no targets: this environment is its implicit `default` target, written out (same state,
    no mode), so nothing deployed moves."""


@dataclass(frozen=True, slots=True)
class Gate:
    stage: str
    metric: str
    threshold: float
    source: str
    blocking: bool = True


@dataclass(frozen=True, slots=True)
class EvalCheck:
    name: str
    kind: str
    """`judge` (built-in LLM judge) or `code` (deterministic @scorer)."""
    what: str
    because: str
    evidence: tuple[Location, ...] = ()


@dataclass(frozen=True, slots=True)
class PlannedTask:
    key: str
    file: str | None
    depends_on: tuple[str, ...]
    max_retries: int
    purpose: str


@dataclass(frozen=True, slots=True)
class PlannedJob:
    key: str
    stage: str
    purpose: str
    file: str
    tasks: tuple[PlannedTask, ...]
    trigger: str
    role: str = ""
    """What the job is for within its stage (`tests`, `evaluation`, `staging`, `deployment`, `link`):
    renderers pick a job by its role, never by its position."""


@dataclass(frozen=True, slots=True)
class YamlBlock:
    title: str
    file: str
    text: str


@dataclass(frozen=True, slots=True)
class Migration:
    """A change to a deployed target that the plan does not edit in: explicit, ordered steps with their cost."""

    target: str
    change: str
    steps: tuple[str, ...]
    cost: str
    location: Location | None = None


@dataclass(frozen=True, slots=True)
class Grant:
    principal: str
    securable: str
    privileges: str
    why: str


@dataclass(frozen=True, slots=True)
class RoadmapTask:
    id: str
    phase: str
    title: str
    files: tuple[str, ...]
    effort: str
    closes: tuple[str, ...]
    done: bool = False
    evidence: tuple[str, ...] = ()
    """What proves the deliverable exists (a task is done only with it and none of `closes` reported)."""


@dataclass(frozen=True, slots=True)
class Risk:
    risk: str
    mitigation: str


@dataclass(frozen=True, slots=True)
class Plan:
    project: str
    bundle_name: str
    has_bundle: bool
    serving: str
    agent: AgentProfile
    scope: Scope
    current_state: tuple[Evidence, ...]
    environments: tuple[Environment, ...]
    jobs: tuple[PlannedJob, ...]
    gates: tuple[Gate, ...]
    eval_checks: tuple[EvalCheck, ...]
    yaml_blocks: tuple[YamlBlock, ...]
    grants: tuple[Grant, ...]
    rollout_steps: tuple[int, ...]
    monitoring: tuple[str, ...]
    success_metrics: tuple[Evidence, ...]
    roadmap: tuple[RoadmapTask, ...]
    risks: tuple[Risk, ...]
    gotchas: tuple[str, ...]
    unconfirmed: tuple[str, ...]
    validation_commands: tuple[str, ...]
    context_files: tuple[Evidence, ...]
    findings: tuple[Finding, ...] = field(default_factory=tuple)
    settings_source: str = "defaults"
    reused: tuple[Evidence, ...] = ()
    """What the plan takes from the project instead of adding it (variables, resources, include globs)."""
    migrations: tuple[Migration, ...] = ()

    def job(self, role: str) -> PlannedJob:
        """The planned job with this role; KeyError names the roles there are."""
        found = next((j for j in self.jobs if j.role == role), None)
        if found is None:
            raise KeyError(f"no planned job with role {role!r} (roles: {', '.join(j.role for j in self.jobs)})")
        return found
