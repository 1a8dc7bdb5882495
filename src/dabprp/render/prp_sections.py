"""The PRP's stage and context bullet lists, worded from the plan (the template only loops)."""

from __future__ import annotations

from dabprp.knowledge import DOCS
from dabprp.plan.model import Plan


def _loc(e: object) -> str:
    loc = getattr(e, "location", None)
    return f" (`{loc}`)" if loc else ""


def stage_items(plan: Plan) -> dict[str, list[str]]:
    a = plan.agent
    test = [
        "Automated agent functionality tests: `tests/` runs with pytest locally, in CI and in "
        f"`{plan.jobs[0].key}` (task `unit_tests`).",
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
    test += [
        "Performance benchmark: p50/p95 latency of a single request per route on a fixed question set, "
        "recorded in the experiment.",
        "Configuration validation (`validate_config`): no placeholders, every endpoint / space / warehouse id "
        "resolves in the target.",
        "`mlflow.models.predict(model_uri, input_example, env_manager='uv')` on the logged model before any deploy.",
    ]
    evaluate = [
        "Agent response quality with the built-in judges (`Correctness`, `RelevanceToQuery`, `Safety`) "
        "on the versioned dataset; results tracked in MLflow with `model_id` of the version.",
    ]
    if plan.scope.numeric_answers:
        evaluate.append("Metric accuracy: a `@scorer` `numeric_accuracy` parses numbers with units from the "
                        "answer and compares them with `expected_facts` within 1% relative tolerance.")
    if plan.scope.relative_time:
        evaluate.append("Temporal context validation: `relative_time_resolution` checks that relative terms "
                        "resolve to the period the temporal helper computes on the evaluation date.")
    if a.router:
        evaluate.append("Routing decision analysis: `routing_accuracy` reads the span names of each trace and "
                        "compares the route taken with the one the question kind calls for.")
    evaluate.append("MLflow metric tracking: `result.metrics['<scorer>/mean']` is compared with the gate table "
                    "below; the task raises (fails the job) when a blocking gate is missed and logs a gate report.")
    pre = plan.environments[1].name if len(plan.environments) > 2 else "staging"
    stage = [
        f"Pre-production staging environment: the `{pre}` target, its own catalog and secret scope, "
        f"deployed by CI as the `{pre}` service principal.",
        "Load and stress testing: `loadtest.py` (Locust) against the staging "
        + ("endpoint" if plan.serving == "model-serving" else "app")
        + " at 1×, 2× and 5× expected concurrency; gates on p95 latency and error rate.",
        "User acceptance testing preparation: the Review App or a UAT group on the staging "
        + ("endpoint" if plan.serving == "model-serving" else "app") + " with the evaluation questions as a script.",
        f"Security and compliance validation: `dabprp check` and `databricks bundle validate --strict -t {pre}`; "
        "no PAT, run_as is a service principal, grants as in 2.4.",
        "Rollback mechanism testing: `rollback_rehearsal` rolls back to the previous version and forward again.",
    ]
    target = "endpoint" if plan.serving == "model-serving" else "app"
    deploy = [
        f"Production deployment automation: the MLflow 3 deployment job `{plan.jobs[3].key}` runs for every new "
        "version of the UC model (linked by `link_deployment_job.py`).",
        ("Model serving endpoint configuration: the bundle owns the endpoint (served entities, traffic config, "
         "inference tables)." if plan.serving == "model-serving" else
         "Databricks App configuration: the bundle owns the app, its resources and permissions."),
        "Monitoring and alerting: see the list below.",
        f"Health check implementation: after each rollout step the {target}'s readiness, error rate and p95 "
        "latency are checked before continuing.",
        ("Canary strategy: " + " → ".join(f"{s}%" for s in plan.rollout_steps)
         + " of traffic to the challenger; automatic rollback to the champion on any failed check.")
        if plan.serving == "model-serving" else
        ("Blue-green strategy: the app serves `models:/<name>@champion`; the candidate is the `challenger` until "
         "its health checks pass, then the `champion` alias moves to it, and moves back on any failed check."),
    ]
    return {"test": test, "evaluate": evaluate, "stage": stage, "deploy": deploy}


def environment_rows(plan: Plan) -> list[list[str]]:
    envs = plan.environments
    return [
        ["parameter", *[e.name for e in envs]],
        ["mode", *[e.mode for e in envs]],
        ["catalog", *[f"`{e.catalog}`" for e in envs]],
        ["schema", *[f"`{e.schema}`" for e in envs]],
        ["secret scope", *[f"`{e.secret_scope}`" for e in envs]],
        ["run_as", *[f"SP `{e.service_principal}`" if e.mode == "production" else "deploying user" for e in envs]],
        ["root_path", *[f"`{e.root_path}`" if e.root_path else "default (per user)" for e in envs]],
    ]


def rollout_texts(plan: Plan) -> dict[str, str]:
    if plan.serving == "model-serving":
        steps = " → ".join(f"{s}%" for s in plan.rollout_steps)
        return {"rollout_label": f"canary {steps}",
                "bad_version_line": f"A bad version reaches at most {plan.rollout_steps[0]}% of traffic and is "
                                    "rolled back automatically."}
    return {"rollout_label": "champion alias switch after health checks",
            "bad_version_line": "A bad version is caught by health checks before the `champion` alias moves, "
                                "and the alias moves back automatically."}


def enhancements(plan: Plan) -> list[str]:
    return [
        "Service principal authentication: `run_as.service_principal_name` on staging and prod and on the "
        "deployment job.",
        "Concurrent run limits: `max_concurrent_runs: 1` and `queue.enabled: true` on every stage job.",
        "Retry policies: `max_retries: 0` on `Approval_Check`; 1–2 retries with a 60 s interval elsewhere; "
        "timeouts and health rules on every job.",
        "Job parameters: job-level `model_name` and `model_version` on the deployment job.",
        "Workflow triggers: CI runs the test, evaluation and staging jobs; the deployment job is triggered by "
        "new model versions.",
        "Unity Catalog: versions registered under `<catalog>.<schema>." + plan.bundle_name.replace("-", "_")
        + "`-style names per environment, aliases `challenger`/`champion`, approval through UC tags.",
        "Permissions: MANAGE for the deployer, APPLY_TAG + CAN_MANAGE_RUN for approvers, EXECUTE for consumers.",
        "Resource management: one experiment per environment, one job per stage, serverless environments with "
        "pinned dependencies, one secret scope per environment.",
    ]


def focus_areas(plan: Plan) -> list[dict[str, object]]:
    a = plan.agent
    arch: list[str] = []
    if a.router:
        arch.append(f"Routing: `{a.router}` decides among {', '.join(a.routes)}; log the decision and its "
                    "reason as span attributes so `routing_accuracy` can score them.")
    for p in a.parallel:
        arch.append(f"Parallel execution `{p.value}`{_loc(p)}: bound concurrency and time out slow branches.")
    for g in a.genie:
        arch.append(f"Genie agent{_loc(g)} (space id from `{g.value.strip('<>')}`): one space per environment "
                    "via a bundle variable.")
    for t in a.tools:
        arch.append(f"Tool `{t.value}`{_loc(t)}: declare it in `log_model(resources=...)`.")
    if a.untraced_nodes:
        arch.append("Tracing: add `@mlflow.trace` to " + ", ".join(f"`{n}`" for n in a.untraced_nodes) + ".")
    if a.autolog != "on":
        arch.append(f"Autolog is {a.autolog}: enable it in the agent module.")
    if not arch:
        arch.append("No agent-architecture gaps were found in the analyzed code.")
    config = [
        "Environment-specific configuration: placeholders become bundle variables passed as job/serving "
        "parameters; the agent config keeps only defaults.",
        "Prompt optimization workflow: prompts are versioned in the config and evaluated by the same gates "
        "before promotion.",
        "Feature flags: a config switch per route lets staging try a new route before production.",
        "A/B testing: the canary traffic split doubles as an A/B test, compared with the production scorers."
        if plan.serving == "model-serving" else
        "A/B testing: a second app instance on the `challenger` alias, compared with the production scorers.",
    ]
    obs = [
        "Deployment KPIs: lead time, change failure rate, rollback time (section 8).",
        "Agent performance: latency per node from spans; token usage per request.",
        "Error tracking and alerting: job failure notifications, endpoint 5xx alerts.",
        "User experience: feedback on traces and production scorer trends.",
    ]
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
    out.append(f"Agent architecture: {a.framework}" + (f" with nodes {', '.join(a.nodes)}" if a.nodes else "")
               + (f"; interface {a.interface}" if a.interface else "") + ".")
    if a.temporal_helpers:
        out.append("Temporal handling: " + ", ".join(f"`{h.value}`{_loc(h)}" for h in a.temporal_helpers)
                   + "; relative questions are evaluated against it.")
    if s.numeric_answers:
        out.append("Metrics and calculations: answers report numeric metrics, so evaluation uses numeric "
                   "tolerance, not string match.")
    limits = list(dict.fromkeys(f"`{f.rule_id}` {f.title}" for f in plan.findings if f.severity.value == "error"))[:8]
    out.append("Current bundle limitations: " + (", ".join(limits) if limits else "none of error severity") + ".")
    out.append("Integration with existing CI/CD: " + ("extend the existing workflows." if any(
        e.label == "CI" and e.value != "none" for e in plan.current_state) else "there is none; add one."))
    out.append("Documentation and knowledge transfer: this PRP, `docs/` runbooks for approval and rollback, "
               "and the validation loop below.")
    return out


def doc_links() -> list[str]:
    return [f"{k.replace('_', ' ')}: {v}" for k, v in sorted(DOCS.items())]
