"""The PRP's stage and context bullet lists, worded from the plan (the template only loops)."""

from __future__ import annotations

import itertools
import json
from collections import Counter

from dabprp.facts import Location
from dabprp.findings import Finding, Severity
from dabprp.knowledge import RESOURCE_LABELS
from dabprp.plan.model import Environment, EvalDataset, Evidence, Plan, ResourceNames, RoadmapTask
from dabprp.plan.roadmap import PHASES
from dabprp.records import record
from dabprp.render.prose import code_span, md

SHOWN_NAMES = ("experiments", "apps")
"""Resources whose names per environment the PRP always lists (others: when renamed or shared)."""


def _loc(e: object) -> str:
    loc = getattr(e, "location", None)
    return f" (`{loc}`)" if loc else ""


def stage_items(plan: Plan) -> dict[str, list[str]]:
    a = plan.agent
    test = [
        f"Automated agent functionality tests: `tests/` with pytest locally, in CI and in `{plan.job_key('tests')}`; "
        "configuration validation (`validate_config`) rejects placeholders and IDs that do not resolve in the "
        "target; performance benchmark: p50/p95 per route, recorded in the experiment; "
        "`mlflow.models.predict(..., env_manager='uv')` on the logged model before any deploy.",
    ]
    if a.nodes:
        test.append("Unit tests for the core components: each node function ("
                    + ", ".join(f"`{n}`" for n in a.nodes) + ") with a fake chat model and fixed state.")
    if a.router:
        test.append(f"Routing test: a fake LLM returns each `{a.router}` value ("
                    + ", ".join(f"`{r}`" for r in a.routes) + ") and the compiled graph visits that node.")
    for h in a.temporal_helpers:
        test.append(f"Temporal helper `{h.value}`{_loc(h)}: fixed dates across year and quarter boundaries.")
    if a.genie or a.parallel or a.tools:
        parts = [f"the Genie agent{_loc(e)}" for e in a.genie[:1]] + [
            f"`{e.value}`{_loc(e)}" for e in a.parallel] + [f"`{t.value}`{_loc(t)}" for t in a.tools]
        test.append("Integration tests (staging workspace, marked `integration`) for " + ", ".join(parts)
                    + ": one real call each, asserting shape and latency.")
    if a.iteration_limit:
        test.append(f"Loop bound: the graph stops after `{a.iteration_limit.value}`{_loc(a.iteration_limit)} "
                    "iterations.")
    covered = [f"{label}: `{name}`" for label, name, on in (
        ("metric accuracy", "numeric_accuracy", plan.scope.numeric_answers),
        ("temporal context validation", "relative_time_resolution", plan.scope.relative_time),
        ("routing decision analysis", "routing_accuracy", bool(a.router)))
        if on and any(c.name == name for c in plan.eval_checks)]
    no_dataset = [missing_dataset_text(plan.eval_dataset)] if plan.eval_dataset and not plan.eval_dataset.found \
        else []
    evaluate = [
        "Agent response quality: the judges and code scorers above on the versioned dataset"
        + (f" ({', '.join(covered)})" if covered else "") + "; MLflow metric tracking: "
        "`result.metrics['<scorer>/mean']` is logged with the version's `model_id` and compared with the gate "
        "column; a missed blocking gate fails the job.",
    ]
    target = "endpoint" if plan.serving == "model-serving" else "app"
    gates = {g.metric: g.threshold for g in plan.gates}
    load = plan.job("load_test")
    if len(plan.environments) < 3:
        listed = ", ".join(f"`{e.name}`" for e in plan.environments)
        stage = [f"No pre-production target: the setting `environments` lists {listed}, so CI runs no load test, "
                 "probe soak or UAT before production. Add one between development and production (e.g. "
                 "`environments: [dev, staging, prod]`) to get them; `dabprp rehearse --canary-fault` still checks "
                 "locally that a failing canary restores the previous traffic configuration exactly."]
    else:
        dev, staging = plan.environments[0], plan.environments[1]
        pre = staging.name
        catalog = f"its own catalog `{staging.catalog}`" if staging.catalog != dev.catalog else \
            f"the catalog `{staging.catalog}` of `{dev.name}` too"
        scope = f"its own secret scope `{staging.secret_scope}`" if staging.secret_scope != dev.secret_scope else \
            f"the secret scope `{staging.secret_scope}` of `{dev.name}` too"
        identity = "running as the service principal" if staging.run_as == "service_principal" else \
            f"running as the {_run_as_today(staging)} until the `run_as` migration in 2.1"
        stage = [
            f"Pre-production staging environment: the `{pre}` target ({catalog}, {scope}; deployed by CI, "
            f"{identity}) runs `{load.key if load else 'the load test job'}` after the rollout "
            "for load and stress testing: `loadtest.py` sends a fixed number of requests at a fixed concurrency to "
            f"the staging {target} (p95 ≤ {gates.get('p95_latency_ms', 0):g} ms, error rate ≤ "
            f"{gates.get('error_rate', 0):g}); rollback mechanism testing: `dabprp rehearse --canary-fault` runs the "
            "scaffolded stages locally and checks that a failing canary restores the previous traffic configuration "
            "exactly. The load test runs after the rollout; during the rollout the deployment stage sends its own "
            "probe requests, since no user sends traffic in staging.",
            f"User acceptance testing preparation: a UAT group on the staging {target} with the evaluation questions "
            "as a script; security and compliance validation: `dabprp check` and `databricks bundle validate "
            f"--strict -t {pre}` (no PAT, "
            + ("service principal `run_as`" if staging.run_as == "service_principal" else
               "service principal `run_as` once the migration in 2.1 sets it") + ", grants as in 2.4).",
        ]
    owned = plan.bundle_rollout
    strategy = (("Version switch through the bundle: the CI step `rollout` runs `databricks bundle deploy --var "
                 f"{owned.variable}=N` with the version the deployment job approved (alias `challenger`), probes "
                 "and soaks it, and on failure deploys the bundle again with the previous version (the exact "
                 "previous configuration); a traffic split would need a second served entity in the bundle")
                if owned else
                ("Canary strategy: " + " → ".join(f"{s}%" for s in plan.rollout_steps)
                 + " of traffic to the candidate next to the champion, which keeps serving until promotion; "
                 "on a failed step the previous traffic configuration is restored exactly")
                if plan.serving == "model-serving" else
                ("Deployment strategy: a new app deployment from the bundle's source; if the app stops running "
                 "or fails its probes during the soak, the previous deployment's source is deployed again"))
    deployment, release = plan.job("deployment"), plan.job("release")
    mode = plan.serving_mode
    deploy = [
        (f"Production deployment automation: MLflow 3 starts the deployment job `{deployment.key}` for every new "
         "version of the UC model (linked by `link_deployment_job.py`), and nothing else starts it: the build "
         "job's `await_deployment` task waits for that run and fails unless it succeeds, so CI learns the outcome "
         "and each version has exactly one deployment run; " if deployment else
         f"Production deployment automation: `{release.key if release else 'the release job'}` evaluates the "
         "app's agent and deploys the app from the bundle's source, after the `prod` CI environment's approval; ")
        + {"bundle-endpoint": "model serving endpoint configuration: the bundle is the endpoint's one owner (its "
                              "definition, inference tables and served version, the variable "
                              f"`{owned.variable if owned else 'serving_version'}`"
                              + (f", which scaffold writes into `entity_version` at `{owned.edit_at}`"
                                 if owned and owned.edit_at else "")
                              + (f"; point `entity_version` (today `{owned.current_ref}`) at it"
                                 if owned and owned.current_ref else "")
                              + "); every CI `bundle deploy` passes the champion, and no SDK call changes it.",
           "agents-deploy": "model serving endpoint configuration: `databricks.agents.deploy` owns the endpoint (it "
                            "creates it, with inference tables, on the first deployment) and the Deployment task "
                            "changes served versions and traffic; the bundle defines no endpoint.",
           "app-agent": "the bundle owns the app, its resources and permissions."}[mode.kind],
        "Serving mode: " + {"agents-deploy": "the endpoint is owned by `databricks.agents.deploy`",
                            "bundle-endpoint": "the endpoint is owned by the bundle (`model_serving_endpoints`)",
                            "app-agent": "a Databricks App runs the agent"}[mode.kind]
        + " (" + ", ".join(f"{md(e.value)}{_loc(e)}" for e in mode.evidence) + ")"
        + (f"; {md(mode.ui_app.value)}{_loc(mode.ui_app)}" if mode.ui_app else "") + ".",
        "Health check implementation: at each rollout step the deployment stage sends its own probe requests "
        "(`--probe-requests`, built from the evaluation questions) to the candidate over a configurable soak "
        "time, so the candidate is exercised where no user sends traffic (staging), and judges it only with "
        "enough evidence: at least `--min-requests` requests, else the step fails and rolls back (" + (
            "the candidate's requests and 5xx rate from the endpoint's per-entity metrics export and the probes' "
            "answers; probes go to `/serving-endpoints/<name>/served-models/<entity>/invocations`"
            if plan.serving == "model-serving" else "the app's status and its probes' error rate")
        + f"). {strategy}.",
    ]
    if plan.job("build"):
        deploy.append(resources_text(plan))
    deploy += [names_text(r) for r in plan.resource_names if _shown(r)]
    if plan.promotion is not None and plan.job("build"):
        deploy.append(promotion_text(plan, plan.promotion))
    return {"test": test, "no_dataset": no_dataset, "evaluate": evaluate, "stage": stage, "deploy": deploy}


def missing_dataset_text(dataset: EvalDataset) -> str:
    """What the PRP says when the project has no evaluation dataset: the file to create and its format."""
    example = json.dumps([{"inputs": {dataset.input_key: "a question"},
                           "expectations": {"expected_facts": ["a fact the answer must state"]}}])
    tables = ", ".join(f"`{t}`" for t in dataset.tables)
    what = "evaluation dataset file" if tables else "evaluation dataset"
    return (f"**No {what} in the project.** The Evaluation task reads {code_span(dataset.path)} (to "
            "create); until that file exists the task fails at once and no version is deployed. Create it as a "
            f"JSON list of records such as {code_span(example)} (or JSON Lines, one record a line; or CSV with a "
            f"{code_span(dataset.input_key)} column), with questions across every route and question kind"
            + (f"; the project's evaluation data in Unity Catalog ({tables}) is not read by the stage: export it "
               "to that file." if tables else "."))


def _and(items: list[str]) -> str:
    """`a`, `a and b`, `a, b and c`."""
    return " and ".join(filter(None, [", ".join(items[:-1]), *items[-1:]]))


def names_text(r: ResourceNames) -> str:
    """The name a workspace-unique resource deploys under in each environment, where each is written, which
    targets the plan gives their own name and which existing targets share one (they keep it)."""
    label = RESOURCE_LABELS.get(r.kind, r.kind)
    by_name: dict[tuple[str | None, Location | None], list[str]] = {}
    for n in r.names:
        if not n.added:
            by_name.setdefault((n.name, n.location), []).append(n.target)
    unknown = "a name known only at deploy (per deploying user, or from a lookup)"
    parts = [(code_span(name) if name is not None else unknown) + " in " + ", ".join(code_span(t) for t in targets)
             + (f" (`{where}`)" if where else "") for (name, where), targets in by_name.items()]
    text = f"{label.capitalize()} names: {code_span(r.key)} deploys as " + "; ".join(parts) + "."
    added = [n for n in r.names if n.added]
    if added:
        field, _, value = r.own_name.partition(": ")
        text += (" Targets the plan adds get their own (" + code_span(f"targets.<target>.resources.{r.kind}."
                 f"{r.key}.{field}: {value}") + "): "
                 + ", ".join(f"{code_span(n.target)} → {code_span(n.name) if n.name else unknown}"
                             for n in added) + ".")
    if len(r.shared) > 1:
        text += (" " + ", ".join(code_span(t) for t in r.shared) + f" deploy it under one name: on one workspace "
                 f"they share one {label}. They keep it: a deployed {label} is never renamed (a new name replaces "
                 "it); give the non-production ones their own name once you have checked which target deployed it.")
    return text


def promotion_text(plan: Plan, promotion: Evidence) -> str:
    """Which promotion pattern, why, and what the prod CI step does (it starts the build, it does not wait)."""
    build = plan.job_key("build")
    prod = plan.environments[-1].name
    text = f"Promotion pattern: {promotion.label}: {promotion.value}{_loc(promotion)}"
    if promotion.label == "deploy-models":
        text += (f"; the scaffolded pipeline builds in each environment instead (`{build}`): keep one of the two, "
                 "never both, or a version reaches prod without the evaluation it had in staging")
    waiter = next((t for t in (plan.job("build") or plan.jobs[0]).tasks if t.waits_for), None)
    wait = next((p.value for p in waiter.params if p.flag == "--approval-wait-seconds"), None) if waiter else None
    text += (f". In `{prod}`, CI starts `{build}` with `--no-wait`: a green CI job means the run started, not "
             f"that `{prod}` serves the version; the deployment job's `Approval_Check` fails until an approver "
             "tags the version, then the run is repaired and the rollout follows" + (
                 f" (`{build}`'s `{waiter.key}` waits up to {wait} s for that approval, holding its serverless "
                 "compute; past that the build run fails and the deployment run still resumes when approved)"
                 if waiter and wait else ""))
    if plan.rollout is not None:
        text += f" (then run the CI workflow by hand: its manual run rolls the approved version out in {prod})"
    return text + "; watch the job run, not the CI job, for the outcome."


def resources_text(plan: Plan) -> str:
    """What the build logs the agent with as `resources=` (the endpoint's credentials), and what it cannot know."""
    known = ", ".join(f"`{r.kind}` (" + ", ".join(f"{k}: config key `{v}`" if how == "config_key" else f"{k} `{v}`"
                                                  for k, how, v in r.args) + ")" for r in plan.logged_resources)
    text = "Agent resources: " + (
        "`build.py` logs the agent with the resources the project's own `log_model` declares"
        + (f" (`{plan.resources_declared_at}`)" if plan.resources_declared_at else "") + f": {known}"
        if known else "`build.py` logs the agent with no `resources`")
    if plan.resources_unknown:
        text += ("; not known statically: " + "; ".join(f"{md(e.value)}{_loc(e)}" for e in plan.resources_unknown)
                 + ". Add what the agent calls to `RESOURCES` in `src/stages/build.py`")
    return text + "."


def environment_rows(plan: Plan) -> list[list[str]]:
    envs = plan.environments
    return [
        ["parameter", *[e.name for e in envs]],
        ["mode", *[e.mode if not e.exists or (e.current_mode or None) == e.mode
                   else f"{e.current_mode or 'unset'} ({e.mode} after the migration)" for e in envs]],
        ["catalog", *[f"`{e.catalog}`" for e in envs]],
        ["schema", *[f"`{e.schema}`" for e in envs]],
        ["secret scope", *[f"`{e.secret_scope}`" for e in envs]],
        ["run_as", *[_run_as_cell(e) for e in envs]],
        ["root_path", *[f"`{e.root_path}`" if e.root_path else "default (per user)" for e in envs]],
    ]


def _run_as_cell(env: Environment) -> str:
    """Who the target runs as once scaffolded; an existing target keeps its own, and a production one that is no
    service principal names the migration in 2.1."""
    today = _run_as_today(env)
    if env.mode != "production" or env.run_as == "service_principal":
        return today
    return f"{today} (SP `{env.service_principal}` after the migration)"


def _run_as_today(env: Environment) -> str:
    if env.run_as == "service_principal":
        return f"SP `{env.service_principal}`"
    if env.run_as:
        return f"{env.run_as.replace('_', ' ')} `{env.run_as_principal}`"
    return "deploying identity" if env.mode == "production" else "deploying user"


def _runs_as_sp(plan: Plan) -> tuple[list[str], list[str]]:
    """The production targets that run as a service principal once scaffolded, and those that do not yet."""
    production = [e for e in plan.environments if e.mode == "production"]
    return ([e.name for e in production if e.run_as == "service_principal"],
            [e.name for e in production if e.run_as != "service_principal"])


def rollout_texts(plan: Plan) -> dict[str, str]:
    if plan.bundle_rollout is not None:
        return {"rollout_label": "version switch by `bundle deploy`, probed and soaked, with redeploy of the "
                                "previous version on failure",
                "bad_version_line": "A bad version serves until the soak catches it (at most `--soak-seconds`; a "
                                    "soak with fewer than `--min-requests` requests fails too), then the bundle "
                                    "is deployed again with the previous version."}
    if plan.serving == "model-serving":
        steps = " → ".join(f"{s}%" for s in plan.rollout_steps)
        return {"rollout_label": f"canary {steps}",
                "bad_version_line": f"A bad version reaches at most {plan.rollout_steps[0]}% of traffic and is "
                                    "rolled back automatically; a step with fewer than `--min-requests` requests "
                                    "is rolled back too, never passed."}
    return {"rollout_label": "new app deployment, soaked, with redeploy of the previous one on failure",
            "bad_version_line": "A bad deployment is caught by the app's status or its probes during the soak "
                                "(fewer than `--min-requests` probes fails it too) and the previous deployment's "
                                "source is deployed again."}


def enhancements(plan: Plan) -> list[str]:
    """The seed's bundle checklist, said once with this project's job and model names (the YAML in 2.1 has it)."""
    deploy = plan.job_key("deployment", "release")
    model = next((g.securable for g in plan.grants if g.securable.startswith("<catalog>")),
                 "<catalog>.<schema>.<model>")
    runs = ", ".join(f"`{j.key}`" for j in plan.jobs if j.role in ("tests", "build", "release", "load_test"))
    resources = (f"resource management: {per_environment_text(plan)}, one job per stage, one shared serverless "
                 "environment with pinned dependencies.")
    sp, kept = _runs_as_sp(plan)
    kept_text = f"{_and(kept)} keep{'s' if len(kept) == 1 else ''} today's `run_as` until the " \
        f"migration{'s' if len(kept) > 1 else ''} in 2.1" \
        if kept else ""
    if plan.job("deployment") is None:  # an App agent: no model version, no UC approval
        prod = plan.environments[-1].name
        auth = f"service principal authentication (`run_as` on {_and(sp)}" + (f"; {kept_text})" if kept else ")") \
            if sp else f"run identity: {kept_text}"
        return [
            f"Job configuration: {auth}; concurrent run "
            "limits (`max_concurrent_runs: 1`, `queue.enabled: true`), 1–2 retries, timeouts and health rules on "
            f"every job; workflow triggers: CI runs {runs}.",
            f"Approval: the CI workflow's deployment to `{prod}` runs in the GitHub environment `{prod}`; its "
            "required reviewers are the approval (set them in the repository's environment settings: scaffold "
            "cannot). "
            "No Unity Catalog model: the app serves the agent's code; permissions as in 2.4; " + resources,
        ]
    return [
        f"Job configuration: service principal authentication (`run_as` on {_and([*sp, f'`{deploy}`'])}"
        + (f"; {kept_text}" if kept_text else "") + "); "
        "concurrent run limits (`max_concurrent_runs: 1`, `queue.enabled: true`) and retry policies "
        "(`max_retries: 0` on `Approval_Check`, 1–2 retries elsewhere, timeouts and health rules) on every job; "
        f"job parameters `model_name` and `model_version` on `{deploy}`; workflow triggers: CI runs {runs}, and "
        "MLflow starts the deployment job once per new version of the Unity Catalog model (the build job only "
        "waits for that run).",
        f"Unity Catalog integration: versions of `{model}` per environment, aliases "
        "`challenger`/`champion`, approval with the UC tag `Approval_Check`, permissions as in 2.4; " + resources,
    ]


def per_environment_text(plan: Plan) -> str:
    """One experiment and secret scope per environment, unless targets share one (named, with the targets)."""
    kinds = ("experiments", "secret_scopes")
    shared = [r for r in plan.resource_names if r.kind in kinds and len(r.shared) > 1]
    named = any(r.kind in kinds and _shown(r) for r in plan.resource_names)
    if not shared:
        return "one experiment and secret scope per environment" + (" (names in 3.4)" if named else "")
    return "; ".join(f"{RESOURCE_LABELS[r.kind]} {code_span(r.key)} shared by "
                     + ", ".join(code_span(t) for t in r.shared) for r in shared) + " (see 3.4)"


def _shown(r: ResourceNames) -> bool:
    """The PRP lists this resource's names per environment (3.4)."""
    return r.renamed or len(r.shared) > 1 or r.kind in SHOWN_NAMES


def focus_areas(plan: Plan) -> list[dict[str, object]]:
    a = plan.agent
    arch: list[str] = []
    if a.router:
        arch.append(f"Routing: `{a.router}` decides among {', '.join(a.routes)}; log the decision and its "
                    "reason as span attributes so `routing_accuracy` can score them.")
    for p in a.parallel:
        arch.append(f"Parallel execution `{p.value}`{_loc(p)}: bound concurrency and time out slow branches.")
    for g in a.genie:
        arch.append(f"Genie agent{_loc(g)} (space id from `{g.value}`): one space per environment "
                    "via a bundle variable.")
    for t in a.tools:
        arch.append(f"Tool `{t.value}`{_loc(t)}: declare it in `log_model(resources=...)`.")
    if a.untraced_nodes:
        arch.append("Tracing: add `@mlflow.trace` to " + ", ".join(f"`{n}`" for n in a.untraced_nodes) + ".")
    if a.autolog != "on" and a.framework:
        arch.append(f"Autolog is {a.autolog}: enable it in the agent module.")
    for u in a.not_static:
        arch.append(f"Not known statically: the {md(u.label)}{_loc(u)} is {md(u.value)}; pass it per environment as a "
                    "bundle variable so each stage's value is reviewed.")
    if not arch:
        arch.append("No agent-architecture gaps were found in the analyzed code." if a.framework else
                    "No agent code to review: the project has no Python files.")
    placeholders = [f for f in plan.findings if f.rule_id == "DAB701"]
    if placeholders:
        where = ", ".join(f"`{f.location}`" for f in placeholders[:6])
        first = (f"Environment-specific configuration: the {len(placeholders)} placeholder(s) of the agent config "
                 f"({where}) become bundle variables passed as job and serving parameters.")
    else:
        first = ("Environment-specific configuration: per-target values come from bundle variables passed as job "
                 "and serving parameters; the agent config keeps only defaults.")
    ab = ("the canary split (" + " → ".join(f"{s}%" for s in plan.rollout_steps) + ")"
          if plan.serving == "model-serving" else "a second app deployed from the candidate's source")
    config = [first,
              "Prompt optimization workflow: a prompt change is a new model version and passes "
              f"`{plan.job_key('deployment', 'release')}` before promotion; feature flags: one config switch per "
              + (f"route ({', '.join(f'`{r}`' for r in a.routes)})" if a.routes else "capability")
              + f" lets staging try it first; A/B testing: {ab}, compared with the production scorers."]
    email = next((md(m) for m in plan.monitoring if "alerts to" in str(m)), "")
    obs = ["Deployment KPIs: lead time, change failure rate, rollback time (section 8); agent performance: latency "
           + (f"per node ({', '.join(f'`{n}`' for n in a.nodes)})" if a.nodes else "per request")
           + " from spans and token usage; error tracking and alerting: "
           + (email.split(" (", 1)[0] if email else "job failure notifications")
           + "; user experience: feedback on traces and production scorer trends."]
    return [{"title": "Agent architecture", "items": arch},
            {"title": "Configuration management", "items": config},
            {"title": "Observability and monitoring", "items": obs}]


def context_items(plan: Plan) -> list[str]:
    a = plan.agent
    s = plan.scope
    out = []
    if s.entities or s.years or s.sources:
        out.append("Domain scope: " + "; ".join(filter(None, [
            ("entities " + ", ".join(s.entities)) if s.entities else "",
            f"years {s.years}" if s.years else "",
            ("sources " + ", ".join(s.sources)) if s.sources else ""]))
            + ". Evaluation questions must cover every entity and the edges of the period.")
    else:
        out.append("Domain scope: not stated in the agent config; add it to the prompts so evaluation can cover it.")
    out.append(f"Agent architecture: {a.framework or 'no agent code in the project'}"
               + (f" with nodes {', '.join(a.nodes)}" if a.nodes else "")
               + (f"; interface {a.interface}" if a.interface else "") + ".")
    if a.temporal_helpers:
        out.append("Temporal handling: " + ", ".join(f"`{h.value}`{_loc(h)}" for h in a.temporal_helpers)
                   + "; relative questions are evaluated against it.")
    if s.numeric_answers:
        out.append("Metrics and calculations: answers report numeric metrics, so evaluation uses numeric "
                   "tolerance, not string match.")
    limits = list(dict.fromkeys(f"`{f.rule_id}` {f.title}" for f in plan.findings if f.severity.value == "error"))[:8]
    out.append("Current bundle limitations: " + (", ".join(limits) if limits else "none of error severity") + ".")
    ci = next((e.value for e in plan.current_state if e.label == "CI" and e.value != "none"), None)
    out.append("Integration with existing CI/CD: " + (f"extend {ci}." if ci else "there is none; add one")
               + "; documentation and knowledge transfer: this PRP (re-checked by `dabprp status`) and runbooks "
               "for approval and rollback.")
    gates = {g.metric: g.threshold for g in plan.gates}
    scale = [f"p95 ≤ {gates.get('p95_latency_ms', 0):g} ms and error rate ≤ {gates.get('error_rate', 0):g} at 5× "
             "expected concurrency in staging"]
    scale += [f"bound the fan-out of `{p.value}`{_loc(p)}" for p in a.parallel]
    if a.iteration_limit:
        scale.append(f"keep the loop bound `{a.iteration_limit.value}`{_loc(a.iteration_limit)}")
    out.append("Scalability and performance requirements: " + "; ".join(scale) + ".")
    return out



BACKGROUND_URL = "https://github.com/dabprp/dabprp/blob/main/docs/prp-background.md"
# Which stage's gaps hurt first when several findings share a severity: an exposed secret or a user identity
# is a risk today; a missing gate is a risk at the next deploy; missing telemetry is felt last.
STAGE_ORDER = ("security", "deploy", "evaluate", "stage", "test", "observability")
CONSEQUENCE = {
    "security": "Credentials or identities leak into production.",
    "deploy": "A version can reach users without approval or a way back.",
    "evaluate": "A worse version passes unnoticed.",
    "stage": "Problems are first seen in production.",
    "test": "Regressions are found by users, not by CI.",
    "observability": "Failures go unseen.",
}


@record
class TopRisk:
    finding: Finding
    consequence: str


def top_risks(findings: tuple[Finding, ...], limit: int = 5) -> list[TopRisk]:
    """The project's worst findings, one per rule: errors before warnings, then by stage (security first),
    and a finding at a concrete line before one about something missing."""
    ranked = sorted((f for f in findings if f.severity.value in ("error", "warning")),
                    key=lambda f: (-f.severity.rank, STAGE_ORDER.index(f.stage.value)
                                   if f.stage.value in STAGE_ORDER else len(STAGE_ORDER),
                                   f.location.line <= 1, f.rule_id, f.location))
    out: list[TopRisk] = []
    seen: set[str] = set()
    for f in ranked:
        if f.rule_id not in seen and len(out) < limit:
            seen.add(f.rule_id)
            out.append(TopRisk(f, CONSEQUENCE.get(f.stage.value, "")))
    return out


def security_rules(findings: tuple[Finding, ...]) -> list[str]:
    counts = Counter(f.rule_id for f in findings if f.stage.value == "security")
    return [f"`{rule}`" + (f" ({n})" if n > 1 else "") for rule, n in sorted(counts.items())]


@record
class RuleRow:
    rule_id: str
    severity: str
    stage: str
    title: str
    count: int
    fix: str


def rule_rows(findings: tuple[Finding, ...]) -> list[RuleRow]:
    """Appendix A: one row per rule that fired (its fix said once), most severe first."""
    by_rule: dict[str, list[Finding]] = {}
    for f in findings:
        by_rule.setdefault(f.rule_id, []).append(f)
    rows = [RuleRow(r, fs[0].severity.value, fs[0].stage.value, fs[0].title, len(fs), fs[0].remediation)
            for r, fs in by_rule.items()]
    return sorted(rows, key=lambda r: (-Severity(r.severity).rank, r.rule_id))


@record
class EvalRow:
    name: str
    kind: str
    gate: str
    what: str
    because: str
    evidence: tuple[Location, ...]


STAGE_GATE_TEXT = {
    "p95_latency_ms": ("p95 latency of the staging deployment under load", "the staging job's load test"),
    "error_rate": ("share of failed requests under load", "the staging job's load test"),
    "rollout_error_rate": ("error rate at each rollout step", "the Deployment task's health checks"),
}


def eval_rows(plan: Plan) -> list[EvalRow]:
    """The evaluation checks with their gate, then the staging and rollout gates: one table, no repeats."""
    gates = {g.metric: g for g in plan.gates}
    rows = []
    for c in plan.eval_checks:
        g = gates.get(f"{c.name}/mean")
        rows.append(EvalRow(c.name, c.kind, f"`{g.metric}` ≥ {g.threshold:g}" if g else "reported",
                            md(c.what), md(c.because), c.evidence))
    for g in plan.gates:
        if g.stage != "evaluate":
            what, where = STAGE_GATE_TEXT.get(g.metric, (g.metric, g.source))
            rows.append(EvalRow(g.metric, g.stage, f"≤ {g.threshold:g}", what, where, ()))
    return rows


@record
class PhaseView:
    name: str
    title: str
    duration: str
    depends_on: tuple[str, ...]
    exit_criteria: str
    tasks: tuple[RoadmapTask, ...]


def phases(plan: Plan) -> list[PhaseView]:
    """Roadmap phases with their open effort, dependencies and checkable exit criteria."""
    gate_job, load_job = plan.job_key("deployment", "release"), plan.job_key("load_test")
    stage_gates = {g.metric: g.threshold for g in plan.gates}
    exits = {
        "Phase 1": "`databricks bundle validate --strict` passes for every target and `dabprp check` no longer "
                   "reports {rules}.",
        "Phase 2": f"`pytest -q tests` passes in CI, the Evaluation task of `{gate_job}` passes the current "
                   "version and fails one below a gate, and `dabprp check` no longer reports {rules}.",
        "Phase 3": f"`{load_job}` passes in staging: p95 ≤ {stage_gates.get('p95_latency_ms', 0):g} ms, "
                   f"error rate ≤ {stage_gates.get('error_rate', 0):g}, `dabprp rehearse --canary-fault` rolls "
                   "back; `dabprp check` no longer reports {rules}.",
        "Phase 4": f"a new version runs `{gate_job}` end to end in staging (Evaluation → "
                   + ("Approval_Check → " if plan.job("deployment") else "") + "Deployment), a forced "
                   "health-check failure rolls back, and `dabprp check` no longer reports {rules}.",
    }
    out = []
    for name, title, depends in PHASES:
        tasks = tuple(t for t in plan.roadmap if t.phase == name)
        if not tasks:
            continue
        days = sum(float(t.effort.split()[0]) for t in tasks if not t.done)
        fired = {f.rule_id for f in plan.findings}
        rules = sorted({r for t in tasks for r in t.closes if r in fired})
        out.append(PhaseView(name, title, f"{days:g} engineer-days" if days else "done", depends,
                             exits.get(name, "").replace("{rules}", ", ".join(rules) or "any of its rules"), tasks))
    return out


def rollback_text(plan: Plan) -> str:
    if plan.bundle_rollout is not None:
        return ("the CI `rollout` step probes and soaks the version it switched to (at least `--min-requests` "
                "requests); on failure, too few requests included, it deploys the bundle again with the previous "
                "version (the exact previous configuration) and tags the version as rolled back.")
    if plan.serving == "model-serving":
        return ("the Deployment task keeps the champion serving next to the candidate until the candidate passes "
                "every rollout step's soak (with at least `--min-requests` requests: the stage probes the candidate "
                "itself); on failure, too few requests included, it restores the previous traffic configuration "
                "exactly and tags the version as rolled back.")
    return ("a new app deployment is probed and watched for the soak time; if the app stops running, fails its "
            "probes or serves fewer than `--min-requests` requests, the previous deployment's source is deployed "
            "again.")


def grant_lines(plan: Plan) -> list[str]:
    """The grants, one line per principal (privileges on each securable, and the file that declares each)."""
    by_principal: dict[str, list[str]] = {}
    for g in plan.grants:
        where = f"in `{g.written_in}`" if g.written_in else "**by hand**: the bundle does not declare it"
        by_principal.setdefault(g.principal, []).append(f"{g.privileges} on `{g.securable}` ({g.why}; {where})")
    return [f"`{p}`: " + "; ".join(items) for p, items in by_principal.items()]


def pipeline_flow(plan: Plan) -> list[str]:
    """Mermaid edges of the planned pipeline, task by task in CI order (from the plan's jobs)."""
    order = ("tests", "link", "build", "deployment", "release", "load_test")
    nodes: list[tuple[str, str]] = [("PR", "pull request")]
    for role in order:
        job = plan.job(role)
        if job is None:
            continue
        for task in job.tasks:
            if task.run_job is None and task.waits_for is None:
                extra = f" ({rollout_texts(plan)['rollout_label']})" if task.key == "Deployment" else ""
                nodes.append((f"{role}_{task.key}".replace("-", "_"), f"{job.key}: {task.key}{extra}"))
        waiting = [(j, t) for j in plan.jobs for t in j.tasks if t.waits_for == job.key]
        for waiter, task in waiting:  # it ends after the run it waits for
            nodes.append((f"{waiter.role}_{task.key}".replace("-", "_"), f"{waiter.key}: {task.key}"))
        if role == "deployment" and plan.rollout is not None:  # a CI step: the bundle's endpoint changes by deploy
            nodes.append(("ci_Deployment", f"CI: {plan.rollout.key} ({rollout_texts(plan)['rollout_label']})"))
    labelled: set[str] = set()

    def node(n: tuple[str, str]) -> str:
        if n[0] in labelled:
            return n[0]
        labelled.add(n[0])
        return f'{n[0]}["{n[1]}"]'

    edges = [f"  {node(a)} --> {node(b)}" for a, b in itertools.pairwise(nodes)]
    deploy = next((n for n in nodes if n[0].endswith("_Deployment")), None)
    if deploy:
        edges.append(f"  {deploy[0]} -->|canary fails| RB[previous " + (
            "version deployed again]" if plan.rollout is not None else "traffic config restored]"))
    return edges


def chosen_uc_text(plan: Plan) -> str:
    """Catalogs and schemas the plan named itself for its UC model: they must exist before the first deploy."""
    if not plan.serving_mode.serves_from_model:
        return ""
    chosen: dict[str, tuple[list[str], str]] = {}
    for e in plan.environments:
        if e.catalog_chosen or e.schema_chosen:
            chosen.setdefault(f"{e.catalog}.{e.schema}", ([], "catalog" if e.catalog_chosen else "schema"))[0].append(
                e.name)
    if not chosen:
        return ""
    items = [f"`{name}` ({', '.join(envs)}: new {what})" for name, (envs, what) in chosen.items()]
    return ("The plan chose these names, which nothing in the project names (they may not exist): "
            + ", ".join(items) + ". An admin creates them before the first deploy there (a bundle cannot create a "
            "catalog, and no planned resource creates a schema), or set `catalogs:`/`schema:` in `.dabprp.yaml` "
            "to ones that exist.")
