"""Facts + findings + settings → the Plan. Everything the PRP shows is computed here."""

from __future__ import annotations

from typing import Any

from dabprp.facts import Project, Target
from dabprp.findings import Finding
from dabprp.knowledge import UNCONFIRMED
from dabprp.plan import narrative
from dabprp.plan.model import (
    Environment,
    EvalCheck,
    Gate,
    Plan,
    PlannedJob,
    PlannedTask,
)
from dabprp.plan.profile import agent_profile, project_scope
from dabprp.plan.resources import STAGES_DIR, existing_keys, slug, yaml_blocks
from dabprp.plan.reuse import Reused, resource_dir, reused_variables
from dabprp.plan.roadmap import risks, roadmap
from dabprp.plan.targets import DEFAULT_ROOT_PATH, IMPLICIT_ROOT_PATH, SHARED_ROOT_PATH, migrations, reused_evidence
from dabprp.settings import DEFAULT_DOMAIN_THRESHOLDS, DEFAULT_THRESHOLDS, Settings


def build_plan(project: Project, findings: tuple[Finding, ...], settings: Settings) -> Plan:
    findings = tuple(sorted(findings, key=lambda f: (f.rule_id, f.location, f.message)))  # the PRP lists by rule
    b = project.bundle
    name = (b.name if b and b.name else project.root) or "agent"
    key = slug(name)
    agent = agent_profile(project)
    scope = project_scope(project)
    serving = settings.serving or ("apps" if b and b.resources.apps else "model-serving")
    reuse = reused_variables(project)
    envs = _environments(project, settings, name, reuse)
    checks = _eval_checks(project, agent, scope)
    gates = _gates(checks, settings)
    model_name = _variable(project, reuse["model_name"].variable if "model_name" in reuse else "model_name") or key
    existing = existing_keys(project)
    folder, covered = resource_dir(project)
    jobs = _jobs(key, agent, serving, existing.deploy_job, folder)
    blocks = yaml_blocks(project, settings, name, key, model_name, envs, gates, serving, agent, existing, reuse,
                         folder, covered)
    return Plan(
        project=project.root,
        bundle_name=name,
        has_bundle=b is not None,
        serving=serving,
        agent=agent,
        scope=scope,
        current_state=narrative.current_state(project, agent),
        environments=envs,
        jobs=jobs,
        gates=gates,
        eval_checks=checks,
        yaml_blocks=blocks,
        grants=narrative.grants(settings, model_name, key, serving),
        # an app has no traffic split: it follows the `champion` alias, switched once after health checks
        rollout_steps=settings.rollout_steps if serving == "model-serving" else (100,),
        monitoring=narrative.monitoring(serving, settings),
        success_metrics=narrative.success_metrics(settings, gates),
        roadmap=roadmap(project, findings, key, serving),
        risks=risks(project, agent, serving),
        gotchas=narrative.gotchas(project, serving),
        unconfirmed=tuple(UNCONFIRMED[k] for k in sorted(UNCONFIRMED)),
        validation_commands=narrative.validation_commands(key),
        context_files=narrative.context_files(project),
        findings=findings,
        settings_source=settings.source,
        reused=reused_evidence(project, reuse, existing, folder, covered, envs),
        migrations=migrations(project, envs),
    )


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
    base_schema = settings.schema or _variable(project, schema_var) or "agents"
    top_root = project.bundle.workspace.root_path if project.bundle and project.bundle.workspace else None
    purposes = {"dev": "personal iteration; dev-mode name prefixes isolate each developer",
                "staging": "pre-production: deploy, load test, rollback rehearsal, UAT",
                "prod": "production traffic behind approval and a health-checked rollout"}
    out = []
    for i, env in enumerate(settings.environments):
        production = i > 0
        existing = project.bundle.target(env) if project.bundle else None
        own = existing.variables if existing else {}
        existing_catalog = own.get(catalog_var)
        catalog = settings.catalogs.get(env) or (existing_catalog if isinstance(existing_catalog, str) else None) \
            or (base_catalog if i == 0 or existing else f"{base_catalog}_{env}")
        existing_schema = own.get(schema_var)
        schema = existing_schema if isinstance(existing_schema, str) and not settings.schema else base_schema
        sp_id = existing.run_as.principal if existing and existing.run_as and \
            existing.run_as.kind == "service_principal" and production and "${" not in existing.run_as.principal \
            else None
        own_root = (existing.workspace.root_path if existing and existing.workspace else None) or top_root
        # a bundle without targets deploys as the implicit target `default`: the first environment takes it over
        # (and stays recognisable once written out: no mode, that root)
        implicit = i == 0 and project.bundle is not None and (not project.bundle.targets or (
            existing is not None and existing.mode is None and own_root == IMPLICIT_ROOT_PATH))
        root_path: str | None
        if implicit:
            root_path = own_root or IMPLICIT_ROOT_PATH
        elif existing is not None:
            # kept where it is; a production target gets today's default written out, so the state stays put
            root_path = own_root or (DEFAULT_ROOT_PATH if existing.mode == "production" else None)
        else:
            root_path = own_root or (SHARED_ROOT_PATH if production else None)
        out.append(Environment(
            name=env, mode="production" if production else "development", catalog=catalog, schema=schema,
            secret_scope=settings.secret_scopes.get(env) or f"{name}-{env}",
            service_principal=settings.service_principals.get(env) or sp_id
            or (_reused_deployer(project, reuse, existing) if production else None) or f"{name}-deployer-{env}",
            root_path=root_path, default=i == 0 if existing is None else existing.default,
            purpose=purposes.get(env, "additional environment"),
            service_principal_is_id=bool(sp_id and not settings.service_principals.get(env)),
            exists=existing is not None or implicit, root_path_exists=own_root is not None, implicit=implicit,
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


def _eval_checks(project: Project, agent: Any, scope: Any) -> tuple[EvalCheck, ...]:
    checks = [
        EvalCheck("correctness", "judge", "answers contain the expected facts of each record",
                  "every record carries `expectations`"),
        EvalCheck("relevance_to_query", "judge", "the answer addresses the question", "built-in judge"),
        EvalCheck("safety", "judge", "no harmful content", "built-in judge"),
    ]
    # dabprp's own stage code (an earlier scaffold) is not the project's: reading it would add gates each run
    generated = {f.path for f in project.python.files if f.generated}
    guidelines = [c for c in project.python.mlflow_calls if c.api.endswith("scorers.Guidelines")
                  and c.location.path not in generated]
    if guidelines:
        checks.append(EvalCheck("guidelines", "judge", "the project's own guideline: "
                                f"{guidelines[0].args.get('guidelines', '')}", "already used by the project",
                                (guidelines[0].location,)))
    if scope.numeric_answers:
        checks.append(EvalCheck(
            "numeric_accuracy", "code",
            "every number in `expected_facts` appears in the answer within 1% relative tolerance "
            "(units normalised: millions/billions, %)",
            "the agent's prompts ask for metric values", scope.evidence))
    if scope.relative_time:
        checks.append(EvalCheck(
            "relative_time_resolution", "code",
            "time-relative questions ('last year', 'most recent quarter') are answered for the concrete "
            "period the temporal helper computes on the evaluation date",
            "the agent resolves relative time terms",
            tuple(e.location for e in agent.temporal_helpers if e.location)))
    parallel_route = next((r for r in agent.routes if "parallel" in r.lower()), None) if agent.parallel else None
    if agent.routes and agent.nodes:
        checks.append(EvalCheck(
            "routing_accuracy", "code",
            "the trace's spans show the expected route (" + ", ".join(f"`{r}`" for r in agent.routes)
            + ") for each question kind" + (
                f": comparative questions must reach `{parallel_route}`" if parallel_route else ""),
            f"`{agent.router or 'the router'}` decides among graph nodes " + ", ".join(agent.nodes),
            tuple(g.location for g in project.python.graphs)))
    if any("VectorSearch" in t.value for t in agent.tools):
        checks.append(EvalCheck("retrieval_groundedness", "judge", "answers are grounded in retrieved documents",
                                "the agent retrieves with vector search",
                                tuple(t.location for t in agent.tools if t.location)))
    return tuple(checks)


def _gates(checks: tuple[EvalCheck, ...], settings: Settings) -> tuple[Gate, ...]:
    thresholds = {**DEFAULT_THRESHOLDS, **DEFAULT_DOMAIN_THRESHOLDS, **settings.thresholds}
    gates = []
    for c in checks:
        metric = f"{c.name}/mean"
        if metric in thresholds:
            gates.append(Gate("evaluate", metric, float(thresholds[metric]), c.kind))
    gates.append(Gate("stage", "p95_latency_ms", float(settings.latency_p95_ms), "load test"))
    gates.append(Gate("stage", "error_rate", settings.error_rate_budget, "load test"))
    gates.append(Gate("deploy", "rollout_error_rate", settings.error_rate_budget, "health checks at each step"))
    return tuple(gates)


def _jobs(key: str, agent: Any, serving: str, deploy_job: str | None, folder: str) -> tuple[PlannedJob, ...]:
    s = STAGES_DIR
    return (
        PlannedJob(f"{key}_tests", "test", "unit tests, config validation, pre-deployment check",
                   f"{folder}/test_job.yml", (
                       PlannedTask("unit_tests", f"{s}/run_tests.py", (), 1, "pytest on tests/"),
                       PlannedTask("validate_config", f"{s}/validate_config.py", ("unit_tests",), 1,
                                   "no placeholders; endpoints and ids resolve in this target"),
                   ), "CI on every pull request", "tests"),
        PlannedJob(f"{key}_evaluation", "evaluate", "quality gate on the evaluation dataset",
                   f"{folder}/evaluation_job.yml", (
                       PlannedTask("evaluate", f"{s}/evaluate.py", (), 1, "mlflow.genai.evaluate + gates"),
                   ), "CI after tests; nightly regression", "evaluation"),
        PlannedJob(f"{key}_staging", "stage", "deploy to staging, load test, rollback rehearsal",
                   f"{folder}/staging_job.yml", (
                       PlannedTask("deploy_staging", f"{s}/deploy.py", (), 2, "deploy the candidate to staging"),
                       PlannedTask("load_test", f"{s}/loadtest.py", ("deploy_staging",), 0,
                                   "latency and error budgets under load"),
                       PlannedTask("rollback_rehearsal", f"{s}/deploy.py", ("load_test",), 1,
                                   "roll back to the previous version and back"),
                   ), "CI on merge to main", "staging"),
        PlannedJob(deploy_job or f"{key}_deployment", "deploy", "MLflow 3 deployment job for each new model version",
                   f"{folder}/deployment_job.yml", (
                       PlannedTask("Evaluation", f"{s}/evaluate.py", (), 1, "evaluate this version"),
                       PlannedTask("Approval_Check", f"{s}/approve.py", ("Evaluation",), 0,
                                   "UC tag `Approval_Check=Approved` on the version"),
                       PlannedTask("Deployment", f"{s}/deploy.py", ("Approval_Check",), 2,
                                   "canary rollout " + ("of the app" if serving == "apps" else "on the endpoint")
                                   + " with automatic rollback"),
                   ), "automatic, for every new version of the UC model", "deployment"),
        PlannedJob(f"{key}_link_deployment_job", "deploy", "post-deploy: link the deployment job to the model",
                   f"{folder}/deployment_job.yml", (
                       PlannedTask("link", f"{s}/link_deployment_job.py", (), 2,
                                   "update_registered_model(deployment_job_id=...)"),
                   ), "once after each `bundle deploy` of staging and prod", "link"),
    )
