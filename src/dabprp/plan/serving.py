"""How the project serves its agent, decided from evidence: agents.deploy, a bundle endpoint, or an App agent."""

from __future__ import annotations

from dabprp.facts import Project
from dabprp.plan.model import Code, Evidence, ServingMode, text

AGENTS_DEPLOY = "agents-deploy"
BUNDLE_ENDPOINT = "bundle-endpoint"
APP_AGENT = "app-agent"
# MLflow's agent server: an App that runs the agent in-process (`@invoke` / `@stream` handlers).
AGENT_SERVER_APIS = ("mlflow.genai.agent_server.invoke", "mlflow.genai.agent_server.stream",
                     "mlflow.genai.agent_server.AgentServer")


def serving_mode(project: Project, requested: str | None, own_keys: frozenset[str]) -> ServingMode:
    """The serving mode with its evidence. `requested` (settings `serving`) overrides the evidence:
    `apps` → an App agent, `model-serving` → the project's Model Serving owner (bundle by default)."""
    py = project.python
    generated = py.generated_paths()  # dabprp's own stage code is no evidence
    deploys = tuple(Evidence("agents.deploy", text("endpoint owned by ", Code("databricks.agents.deploy")), c.location)
                    for c in py.calls("databricks.agents.deploy") if c.location.path not in generated)
    server = tuple(Evidence("agent server", text(Code(f"mlflow.genai.agent_server.{c.api.rsplit('.', 1)[-1]}")),
                            c.location)
                   for c in py.calls(*AGENT_SERVER_APIS) if c.location.path not in generated)
    b = project.bundle
    endpoints = tuple(e for e in (b.resources.model_serving_endpoints if b else ()) if e.key not in own_keys)
    apps = tuple(a for a in (b.resources.apps if b else ()) if a.key not in own_keys)
    bundle_owned = tuple(Evidence("bundle endpoint", text(Code(f"model_serving_endpoints.{e.key}")), e.location)
                         for e in endpoints)
    if requested == "apps" or (requested is None and server):
        app = apps[0] if apps else None
        evidence = server or ((Evidence("setting", text(Code("serving: apps"))),))
        return ServingMode(APP_AGENT, evidence, app.key if app else None, None, None)
    if requested is None and deploys and not endpoints:
        kind, evidence = AGENTS_DEPLOY, deploys
    else:
        kind, evidence = BUNDLE_ENDPOINT, bundle_owned or (
            (Evidence("plan", "no serving owner in the project: the bundle will own the endpoint"),)
            if requested is None else (Evidence("setting", text(Code("serving: model-serving"))),))
    ui = apps[0] if apps else None
    ui_evidence = Evidence("UI app", text(Code(f"apps.{ui.key}"), " calls the agent; it is not the serving mode"),
                           ui.location) if ui else None
    endpoint_key = endpoints[0].key if endpoints and kind == BUNDLE_ENDPOINT else None
    return ServingMode(kind, evidence, None, endpoint_key, ui_evidence)
