"""Facts + findings + settings → the Plan. Everything the PRP shows is computed here."""

from __future__ import annotations

import os
from dataclasses import replace
from typing import Any

from dabprp.errors import DabprpError
from dabprp.facts import EvalTable, MlflowCall, Project, Target, literal_str
from dabprp.findings import Finding
from dabprp.knowledge import DEFAULT_EVALSET, UNCONFIRMED
from dabprp.limits import MAX_NAME_CHARS
from dabprp.plan import dataflow, narrative, pipeline
from dabprp.plan.agent_entry import agent_entry
from dabprp.plan.bundle_rollout import bootstrap, bundle_rollout, rollout_step
from dabprp.plan.existing_objects import bind_migrations, model_binds, run_as_migrations, second_owner_migrations
from dabprp.plan.logged_resources import declaring_call, logged_resources
from dabprp.plan.model import (
    AgentProfile,
    BundleFile,
    Code,
    Environment,
    EvalCheck,
    EvalDataset,
    Evidence,
    Gate,
    Plan,
    PlannedJob,
    Scope,
    ServingMode,
    TaskParam,
    Text,
    names,
    prose,
    text,
)
from dabprp.plan.profile import agent_profile, project_scope
from dabprp.plan.resources import (
    ExistingKeys,
    bundle_files,
    existing_keys,
    free_paths,
    full_model_name,
    not_adopted,
    own_keys,
    slug,
)
from dabprp.plan.reuse import Reused, resource_dir, reused_variables
from dabprp.plan.roadmap import risks, roadmap
from dabprp.plan.serving import AGENT_SERVER_APIS, serving_mode
from dabprp.plan.targets import CI_ROOT_PATH, DEFAULT_ROOT_PATH, IMPLICIT_ROOT_PATH, migrations, reused_evidence
from dabprp.settings import DEFAULT_DOMAIN_THRESHOLDS, DEFAULT_THRESHOLDS, Settings

DEFAULT_GATE_THRESHOLD = 0.8
"""Threshold of a scorer no setting names (the project's own scorers)."""


def build_plan(project: Project, findings: tuple[Finding, ...], settings: Settings) -> Plan:
    findings = tuple(sorted(findings, key=lambda f: (f.rule_id, f.location, f.message)))  # the PRP lists by rule
    b = project.bundle
    if b is not None and b.name is not None and len(b.name) > MAX_NAME_CHARS:
        at = b.name_location or b.location
        raise DabprpError(at.path, at.line, f"`bundle.name` has {len(b.name):,} characters, more than "
                          f"{MAX_NAME_CHARS} (its workspace folder and every planned name are built from it); "
                          "not planned")
    name = (b.name if b and b.name else project.root) or "agent"
    agent = agent_profile(project)
    # a project whose code shows no agent keeps its names: the plan's resources are `<name>-agent`, `<key>_agent_*`
    own_name = name if agent.found or b is None else f"{name}-agent"
    key = slug(own_name)
    scope = project_scope(project)
    existing = existing_keys(project, key)
    reuse = reused_variables(project)
    left_alone: tuple[Evidence, ...] = ()
    ignored = own_keys(key)
    if not agent.found:  # the project's models, endpoints, apps and deployment jobs serve something else
        left_alone = not_adopted(project, existing, key)
        existing = ExistingKeys(scope=existing.scope)
        if b is not None:
            ignored |= {e.key for e in b.resources.model_serving_endpoints} | {a.key for a in b.resources.apps}
        named = reuse.get("model_name")
        own_model = next((m for m in b.resources.registered_models if m.key == f"{key}_model"), None) if b else None
        if named is not None and not (own_model and own_model.name == "${var.%s}" % named.variable):
            reuse.pop("model_name")  # the name of the project's other model (an earlier scaffold's own is kept)
    mode = serving_mode(project, settings.serving, frozenset(ignored))
    serving = "model-serving" if mode.serves_from_model else "apps"
    envs = _environments(project, settings, name, reuse)
    checks = _eval_checks(project, agent, scope)
    gates = _gates(checks, settings)
    model_name = (_variable(project, reuse["model_name"].variable if "model_name" in reuse else "model_name")
                  if agent.found else None) or key
    folder, covered = resource_dir(project)
    steps = settings.rollout_steps if mode.serves_from_model else (100,)
    wiring = _wiring(project, key, existing, mode, folder,
                     "${var.%s}" % (reuse["catalog"].variable if "catalog" in reuse else "catalog"))
    planned = pipeline.jobs(mode, wiring, gates, steps, settings.latency_p95_ms, settings.error_rate_budget, project)
    free = free_paths(project, own_keys(key) | {j.key for j in planned if not j.reused})
    jobs = tuple(j if j.reused else replace(j, file=free(j.file)) for j in planned)
    blocks, names = bundle_files(project, settings, own_name, key, model_name, envs, jobs, mode, agent, existing,
                                 reuse, folder, covered, free)
    _check_data_flow(project, jobs, blocks)
    logged, unknown = logged_resources(project, wiring.model_config) if mode.serves_from_model else ((), ())
    rollout = bundle_rollout(project, mode, f"{key}_endpoint")
    binds, binds_unknown = model_binds(project, envs, blocks)
    deployer = "${var.%s}" % (reuse["deployer"].variable if "deployer" in reuse else "deployer_sp")
    return Plan(
        project=project.root,
        bundle_name=name,
        has_bundle=b is not None,
        serving=serving,
        serving_mode=mode,
        agent=agent,
        scope=scope,
        current_state=narrative.current_state(project, agent),
        environments=envs,
        jobs=jobs,
        gates=gates,
        eval_checks=checks,
        bundle_files=blocks,
        grants=narrative.grants(settings, model_name, serving, jobs, blocks, deployer),
        # an app has no traffic split: a new deployment replaces the old one after its health check
        rollout_steps=steps,
        monitoring=narrative.monitoring(serving, settings),
        success_metrics=narrative.success_metrics(settings, gates),
        roadmap=roadmap(project, findings, serving, settings, jobs, blocks),
        risks=risks(project, agent, serving),
        gotchas=narrative.gotchas(project, serving),
        unconfirmed=tuple(prose(UNCONFIRMED[k]) for k in sorted(UNCONFIRMED)),
        validation_commands=narrative.validation_commands(jobs, tuple(e.name for e in envs), rollout),
        context_files=narrative.context_files(project),
        findings=findings,
        settings_source=settings.source,
        reused=reused_evidence(project, reuse, existing, folder, covered, envs),
        # adopting what exists comes before any other step: the first deploy needs it; the endpoint's bootstrap last
        migrations=bind_migrations(binds) + migrations(project, envs, deployer) + second_owner_migrations(project, envs)
        + run_as_migrations(project, envs, deployer)
        + ((bootstrap(rollout, envs, {j.role: j.key for j in jobs}, project.bundle),)
           if rollout else ()),
        binds=binds,
        binds_unknown=binds_unknown,
        resource_names=names.resources,
        promotion=_promotion(project) if mode.serves_from_model else None,
        bundle_rollout=rollout,
        rollout=rollout_step(rollout, TaskParam("--max-error-rate", f"{settings.error_rate_budget:g}"))
        if rollout else None,
        logged_resources=logged,
        resources_declared_at=call.location if logged and (call := declaring_call(project)) else None,
        resources_unknown=unknown,
        eval_dataset=eval_dataset(project),
        left_alone=left_alone,
    )


def eval_dataset(project: Project) -> EvalDataset:
    """The project's first evaluation dataset, or the file to create when it has none."""
    found = project.evalsets[0] if project.evalsets else None
    key = next((f.split(".", 1)[1] for f in (found.fields if found else ()) if f.startswith("inputs.")), "question")
    return EvalDataset(found.path if found else DEFAULT_EVALSET, found is not None, key,
                       tuple(t.location for t in project.python.of(EvalTable)))


def _wiring(project: Project, key: str, existing: ExistingKeys, mode: ServingMode, folder: str,
            catalog: str) -> pipeline.Wiring:
    model = full_model_name(key, existing)
    experiment = "${resources.experiments.%s.name}" % (existing.experiment or f"{key}_experiment")
    if mode.kind == "app-agent":
        endpoint = "${resources.apps.%s.name}" % (mode.app_key or f"{key}_app")
    elif mode.kind == "agents-deploy":
        explicit = next((name for c in pipeline.own_calls(project, "databricks.agents.deploy")
                         if (name := literal_str(c.arguments.get("endpoint_name")))), None)
        # agents.deploy's default name: agents_<catalog>-<schema>-<model> (reference 6.5)
        endpoint = explicit or "agents_" + model.replace("}.${", "}-${")
    else:
        endpoint = "${resources.model_serving_endpoints.%s.name}" % (existing.endpoint or f"{key}_endpoint")
    log = next(iter(pipeline.own_calls(project, "mlflow.pyfunc.log_model")), None)
    agent_file = _agent_file(project, log)
    config = literal_str(log.arguments.get("model_config")) if log else None
    model_config = _relative_to(log.location.path, config) if log and config else \
        (project.configs[0].path if project.configs else None)
    app = next((a for a in (project.bundle.resources.apps if project.bundle else ()) if a.key == mode.app_key), None)
    app_source = f"${{workspace.file_path}}/{_app_dir(app)}" if mode.kind == "app-agent" else None
    return pipeline.Wiring(key, model, experiment, endpoint, existing.deploy_job or f"{key}_deployment",
                           existing.deploy_job is not None, agent_file or "${var.agent_file}", model_config,
                           app_source, folder, catalog)


def _agent_file(project: Project, log: MlflowCall | None) -> str | None:
    model = literal_str(log.arguments.get("python_model")) if log else None
    if log and model and model.endswith(".py"):
        return _relative_to(log.location.path, model)
    server = next(iter(pipeline.own_calls(project, *AGENT_SERVER_APIS)), None)
    if server:
        return server.location.path
    return agent_entry(project.python).path


def _relative_to(source: str, path: str) -> str:
    return os.path.normpath(os.path.join(os.path.dirname(source), path)).replace(os.sep, "/")


def _app_dir(app: Any) -> str:
    if app is None or not app.source_code_path:
        return "app"
    return _relative_to(app.location.path, app.source_code_path)


def _check_data_flow(project: Project, jobs: tuple[PlannedJob, ...], blocks: tuple[BundleFile, ...]) -> None:
    """Fail loudly when a task consumes a value nothing in the bundle or the job produces."""
    variables = set()
    resources = set()
    for block in blocks:
        variables |= {v.name for v in block.variables}
        resources |= {f"{r.kind}.{r.key}" for r in block.resources}
    b = project.bundle
    if b is not None:
        variables |= {v.name for v in b.variables}
        res = b.resources
        for kind, items in (("jobs", res.jobs), ("experiments", res.experiments),
                            ("registered_models", res.registered_models),
                            ("model_serving_endpoints", res.model_serving_endpoints), ("apps", res.apps),
                            ("secret_scopes", res.secret_scopes)):
            resources |= {f"{kind}.{i.key}" for i in items}
    dataflow.check(jobs, variables, resources)


def _variable(project: Project, name: str) -> str | None:
    b = project.bundle
    if b is None:
        return None
    for v in b.variables:
        if v.name == name and isinstance(v.value, str):
            return v.value
    return None


def _environments(project: Project, settings: Settings, name: str,
                  reuse: dict[str, Reused]) -> tuple[Environment, ...]:
    catalog_var = reuse["catalog"].variable if "catalog" in reuse else "catalog"
    schema_var = reuse["schema"].variable if "schema" in reuse else "schema"
    base_catalog = _variable(project, catalog_var) or "main"
    named_schema = settings.schema or _variable(project, schema_var)
    base_schema = named_schema or "agents"
    top_root = project.bundle.workspace.root_path if project.bundle and project.bundle.workspace else None
    purposes = {"dev": "personal iteration; dev-mode name prefixes isolate each developer",
                "staging": "pre-production: deploy, load test, rollback rehearsal, UAT",
                "prod": "production traffic behind approval and a health-checked rollout"}
    deployer = "${var.%s}" % (reuse["deployer"].variable if "deployer" in reuse else "deployer_sp")
    out = []
    for i, env in enumerate(settings.environments):
        production = i > 0
        existing = project.bundle.target(env) if project.bundle else None
        own = existing.variables if existing else {}
        existing_catalog = own.get(catalog_var)
        catalog = settings.catalogs.get(env) or (existing_catalog if isinstance(existing_catalog, str) else None) \
            or (base_catalog if i == 0 or existing else f"{base_catalog}_{env}")
        catalog_chosen = not settings.catalogs.get(env) and not isinstance(existing_catalog, str) and not (
            i == 0 or existing)
        existing_schema = own.get(schema_var)
        schema = existing_schema if isinstance(existing_schema, str) and not settings.schema else base_schema
        schema_chosen = not named_schema and not isinstance(existing_schema, str)
        sp_id = existing.run_as.principal if existing and existing.run_as and \
            existing.run_as.kind == "service_principal" and production and "${" not in existing.run_as.principal \
            else None
        own_root = (existing.workspace.root_path if existing and existing.workspace else None) or top_root
        # a bundle without targets deploys as the implicit target `default`: the first environment takes it over
        # (and stays recognisable once written out: no mode, that root)
        implicit = i == 0 and project.bundle is not None and (not project.bundle.targets or (
            existing is not None and existing.mode is None and own_root == IMPLICIT_ROOT_PATH))
        # scaffold adds `run_as` to new production targets only; an existing one keeps its own (or the bundle's)
        kept = ((existing.run_as if existing else None) or project.bundle.run_as) \
            if project.bundle and (existing or implicit) else None
        new_sp = production and existing is None  # as planned_targets writes it
        root_path: str | None
        if implicit:
            root_path = own_root or IMPLICIT_ROOT_PATH
        elif existing is not None:
            # kept where it is; a production target gets today's default written out, so the state stays put
            # (and its deploy keeps working when the planned jobs, which have no run_as, join it)
            root_path = own_root or (DEFAULT_ROOT_PATH if existing.mode == "production" else None)
        else:
            root_path = own_root or (CI_ROOT_PATH if production else None)
        out.append(Environment(
            name=env, mode="production" if production else "development", catalog=catalog, schema=schema,
            # secret scopes get no development-mode prefix: each developer's own, or the second deploy collides
            secret_scope=settings.secret_scopes.get(env) or f"{name}-{env}" + (
                "" if production else "-${workspace.current_user.short_name}"),
            service_principal=settings.service_principals.get(env) or sp_id
            or (_reused_deployer(project, reuse, existing) if production else None) or f"{name}-deployer-{env}",
            root_path=root_path, default=i == 0 if existing is None else existing.default,
            purpose=purposes.get(env, "additional environment"),
            service_principal_is_id=bool(sp_id and not settings.service_principals.get(env)),
            exists=existing is not None or implicit, root_path_exists=own_root is not None, implicit=implicit,
            current_mode=existing.mode if existing else None,
            catalog_chosen=catalog_chosen, schema_chosen=schema_chosen,
            run_as=kept.kind if kept else ("service_principal" if new_sp else None),
            run_as_principal=kept.principal if kept else (deployer if new_sp else None),
        ))
    return tuple(out)


def _reused_deployer(project: Project, reuse: dict[str, Reused], target: Target | None) -> str | None:
    """What the project's own deployer variable holds in `target`: its value there, the principal its lookup
    names, or the reference itself."""
    found = reuse.get("deployer")
    variable = next((v for v in project.bundle.variables if found and v.name == found.variable), None) \
        if project.bundle else None
    if found is None or variable is None:
        return None
    value = (target.variables if target else {}).get(variable.name, variable.default)
    lookup = variable.lookup or (value.get("lookup") if isinstance(value, dict) else None)
    if isinstance(value, str) and value:
        return value
    if isinstance(lookup, dict) and isinstance(lookup.get("service_principal"), str):
        return lookup["service_principal"]
    return "${var.%s}" % variable.name


# mlflow.genai.scorers classes the evaluation stage can build, with the metric name each produces by default and
# the expectation fields a row needs (reference 6.6).
BUILTIN_SCORERS = {
    "Correctness": ("correctness", ("expected_facts", "expected_response")),
    "RelevanceToQuery": ("relevance_to_query", ()),
    "Safety": ("safety", ()),
    "Guidelines": ("guidelines", ()),
    "ExpectationsGuidelines": ("expectations_guidelines", ("guidelines",)),
    "RetrievalGroundedness": ("retrieval_groundedness", ()),
    "RetrievalRelevance": ("retrieval_relevance", ()),
    "RetrievalSufficiency": ("retrieval_sufficiency", ("expected_facts", "expected_response")),
}


def _project_judges(project: Project) -> list[EvalCheck]:
    """The built-in scorers the project's own evaluation constructs, with the project's arguments."""
    generated = project.python.generated_paths()
    out: dict[str, EvalCheck] = {}
    for call in project.python.mlflow_calls:
        cls = call.api.rsplit(".", 1)[-1]
        if not call.api.startswith("mlflow.genai.scorers.") or cls not in BUILTIN_SCORERS or call.commented_out \
                or call.location.path in generated:
            continue
        default, needs = BUILTIN_SCORERS[cls]
        args = tuple((k, known) for k, v in sorted(call.arguments.items()) if k in ("name", "guidelines")
                     and (known := literal_str(v)) is not None)
        name = dict(args).get("name", default)
        if cls == "Guidelines" and "guidelines" not in dict(args):
            continue
        out.setdefault(name, EvalCheck(name, "judge", text(Code(cls), " as the project runs it"),
                                       "used by the project", (call.location,), cls, args, needs))
    return list(out.values())


def _eval_checks(project: Project, agent: Any, scope: Any) -> tuple[EvalCheck, ...]:
    """The scorers the evaluation stage runs: the project's own judges and @scorer functions first, then
    built-in judges and deterministic scorers the project's shape calls for."""
    fields = {f.split(".", 1)[1] for e in project.evalsets for f in e.fields if f.startswith("expectations.")}
    checks = _project_judges(project)
    if not checks:
        checks = [EvalCheck("relevance_to_query", "judge", "the answer addresses the question", "built-in judge",
                            scorer="RelevanceToQuery"),
                  EvalCheck("safety", "judge", "no harmful content", "built-in judge", scorer="Safety")]
        if fields & {"expected_facts", "expected_response"}:
            checks.insert(0, EvalCheck("correctness", "judge", "answers contain the expected facts of each record",
                                       "the evaluation records carry expected facts or responses",
                                       scorer="Correctness", needs=("expected_facts", "expected_response")))
    generated = project.python.generated_paths()
    for fact in project.python.scorers:
        if fact.location.path not in generated and fact.name not in {c.name for c in checks}:
            checks.append(EvalCheck(fact.name, "code", text("the project's own scorer ", Code(fact.name)),
                                    "already used by the project", (fact.location,), "project"))
    if scope.numeric_answers:
        checks.append(EvalCheck(
            "numeric_accuracy", "code",
            prose("every value `expected_facts` (or `expected_response`) states is matched by a number of the "
                  "answer within 1% (units normalised: millions/billions, %; a range `between a and b` by any number "
                  "in it; years and dates are periods, not values); rows that state no value are not judged"),
            "the agent's prompts ask for metric values", scope.evidence, "code",
            needs=("expected_facts", "expected_response")))
    # gated only where the dataset asks time-relative questions: a gate that measures nothing fails the stage
    # (a temporal helper with no such question is DAB505's coverage gap)
    if scope.relative_time and any(e.period_questions for e in project.evalsets):
        checks.append(EvalCheck(
            "relative_time_resolution", "code",
            _relative_time_text(agent, scope),
            "the agent resolves relative time terms",
            tuple(e.location for e in agent.temporal_helpers if e.location), "code"))
    parallel_route = next((r for r in agent.routes if "parallel" in r.lower() and r in agent.nodes), None) \
        if agent.parallel else None
    if agent.nodes and parallel_route:
        checks.append(EvalCheck(
            "routing_accuracy", "code",
            text("the trace's spans show the expected graph node (", *names(agent.nodes),
                 ") for each question kind: comparative questions must reach ", Code(parallel_route)),
            text(Code(agent.router or "the router"), " decides among graph nodes " + ", ".join(agent.nodes)),
            tuple(g.location for g in project.python.graphs), "code"))
    return tuple(checks)


def _gates(checks: tuple[EvalCheck, ...], settings: Settings) -> tuple[Gate, ...]:
    thresholds = {**DEFAULT_THRESHOLDS, **DEFAULT_DOMAIN_THRESHOLDS, **settings.thresholds}
    gates = []
    for c in checks:
        metric = f"{c.name}/mean"
        default = thresholds.get(f"{BUILTIN_SCORERS.get(c.scorer, (c.name,))[0]}/mean", DEFAULT_GATE_THRESHOLD)
        gates.append(Gate("evaluate", metric, float(thresholds.get(metric, default)), c.kind))
    gates.append(Gate("stage", "p95_latency_ms", float(settings.latency_p95_ms), "load test"))
    gates.append(Gate("stage", "error_rate", settings.error_rate_budget, "load test"))
    gates.append(Gate("deploy", "rollout_error_rate", settings.error_rate_budget, "health checks at each step"))
    return tuple(gates)


def _promotion(project: Project) -> Evidence:
    """Deploy code (Databricks' recommended pattern) unless the project's own code copies model versions."""
    copies = pipeline.own_calls(project, "MlflowClient.copy_model_version", "mlflow.MlflowClient.copy_model_version")
    if copies:
        return Evidence("deploy-models", "the project promotes models: it copies model versions between "
                        "environments", copies[0].location)
    return Evidence("deploy-code", "each environment builds, checks and evaluates its own version from the same "
                    "commit (Databricks' recommended deploy-code pattern; the project copies no model version "
                    "between environments)")


def _relative_time_text(agent: AgentProfile, scope: Scope) -> Text:
    """What `relative_time_resolution` checks, with the project's fiscal calendar and data scope."""
    fiscal = agent.fiscal_calendar
    parts: list[str | Code] = ["time-relative questions ('last year', 'most recent quarter') name the concrete "
                               "period on the evaluation date (calendar terms in calendar years"]
    if fiscal is not None and agent.fiscal_calendar_at is not None:
        month = ("January February March April May June July August September October November December"
                 .split()[fiscal[0] - 1])
        parts += [f", fiscal terms in the project's fiscal years, which start in {month} (",
                  Code(str(agent.fiscal_calendar_at)), ")"]
    else:
        parts.append("; fiscal terms are not judged: no fiscal calendar in the code")
    if scope.year_max:
        parts.append(f"), or {scope.year_max}, the last year the data covers, when the period lies beyond it")
    else:
        parts.append(")")
    return text(*parts)
