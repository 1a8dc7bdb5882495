"""7xx: the agent's code and configuration."""

from __future__ import annotations

from collections.abc import Iterator

from dabprp.facts import IterationLimit, Project
from dabprp.findings import Hit, Severity, Stage
from dabprp.knowledge import DOCS
from dabprp.rules import rule


@rule("DAB701", "Configuration placeholders left", severity=Severity.ERROR, stage=Stage.TEST,
      fix="Replace placeholders with per-environment values (bundle variables passed as parameters).",
      docs=(DOCS["bundles"],))
def config_placeholders(project: Project) -> Iterator[Hit]:
    """An empty id or a `YOUR_...` value deploys an agent that fails on its first request."""
    for cfg in project.configs:
        for p in cfg.placeholders:
            shown = "empty" if p.value in ("", None) else f"`{p.value}`"
            yield Hit(p.location, f"`{p.key}` is a placeholder ({shown})")


@rule("DAB702", "Agent loop without an iteration limit", severity=Severity.WARNING, stage=Stage.TEST,
      fix="Bound the loop with a configured `max_iterations` (and LangGraph's `recursion_limit`).",
      docs=(DOCS["tracing"],))
def no_iteration_limit(project: Project) -> Iterator[Hit]:
    """A cycle in the graph with no limit can loop until the request times out."""
    has_limit = bool(project.python.of(IterationLimit))
    for g in project.python.graphs:
        back = [e for e in g.edges if not e.conditional and e.target == g.entry_point]
        if back and not has_limit:
            yield Hit(g.location, f"graph `{g.variable}` loops back to `{g.entry_point}` with no iteration limit")


@rule("DAB703", "Agent without streaming", severity=Severity.NOTE, stage=Stage.DEPLOY,
      fix="Implement `predict_stream` so the serving endpoint and review app can stream.",
      docs=(DOCS["agents_deploy"],))
def no_streaming(project: Project) -> Iterator[Hit]:
    """Without `predict_stream` users wait for the whole multi-step answer."""
    for a in project.python.agent_classes:
        if a.base in ("ChatAgent", "ResponsesAgent") and "predict_stream" not in a.methods:
            yield Hit(a.location, f"`{a.name}` has no `predict_stream`")


@rule("DAB704", "No agent interface", severity=Severity.WARNING, stage=Stage.DEPLOY,
      fix="Wrap the agent in `ResponsesAgent` (or `ChatAgent`) and call `mlflow.models.set_model`.",
      docs=(DOCS["agents_deploy"],))
def no_agent_interface(project: Project) -> Iterator[Hit]:
    """Serving, evaluation and the review app expect an MLflow agent interface."""
    py = project.python
    generated = py.generated_paths()  # dabprp's build stage logs the project's agent
    logs = [c for c in py.calls("mlflow.pyfunc.log_model") if c.location.path not in generated]
    if (py.graphs or logs) and not py.agent_classes:
        where = py.graphs[0].location if py.graphs else logs[0].location
        yield Hit(where, "no class derives from ResponsesAgent, ChatAgent or PythonModel")
