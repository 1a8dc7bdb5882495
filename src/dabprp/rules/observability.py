"""6xx: tracing, monitoring, rollout and rollback."""

from __future__ import annotations

from collections.abc import Iterator

from dabprp.facts import ProductionScorer, Project, TrafficSplit
from dabprp.findings import Hit, Severity, Stage
from dabprp.knowledge import DOCS
from dabprp.rules import rule


@rule("DAB601", "MLflow autolog disabled", severity=Severity.WARNING, stage=Stage.OBSERVABILITY,
      fix="Enable `mlflow.<flavor>.autolog()` in the agent module so every request is traced.",
      docs=(DOCS["tracing"],))
def autolog_off(project: Project) -> Iterator[Hit]:
    """Without autolog, LLM and tool calls inside nodes leave no trace to debug or score."""
    active = [c for c in project.python.mlflow_calls if c.api.endswith("autolog") and not c.commented_out]
    if active:
        return
    for c in project.python.mlflow_calls:
        if c.api.endswith("autolog") and c.commented_out:
            yield Hit(c.location, f"`{c.api}()` is commented out")
            return
    if project.python.agent_classes or project.python.graphs:
        where = (project.python.agent_classes or project.python.graphs)[0].location
        yield Hit(where, "no MLflow autolog call in the project")


@rule("DAB602", "Graph nodes without tracing", severity=Severity.WARNING, stage=Stage.OBSERVABILITY,
      fix="Decorate every node function with `@mlflow.trace(span_type=...)` (or enable autolog).",
      docs=(DOCS["tracing"],))
def nodes_without_trace(project: Project) -> Iterator[Hit]:
    """Routing checks read node spans from traces; an untraced node is invisible to them."""
    traced = {s.function for s in project.python.trace_spans}
    for g in project.python.graphs:
        missing = [n for n in g.nodes if n.function and n.function.split(".")[-1] not in traced]
        if missing:
            yield Hit(missing[0].location, "nodes without `@mlflow.trace`: " + ", ".join(n.name for n in missing),
                      tuple(n.location for n in missing))


@rule("DAB603", "No production monitoring", severity=Severity.WARNING, stage=Stage.OBSERVABILITY,
      fix="Enable AI Gateway inference tables and register production scorers "
          "(`Safety().register(name='safety').start(sampling_config=ScorerSamplingConfig(sample_rate=1.0))`).",
      docs=(DOCS["monitoring"], DOCS["inference_tables"]))
def no_monitoring(project: Project) -> Iterator[Hit]:
    """After deployment nobody measures answer quality, latency or errors on real traffic."""
    b = project.bundle
    tables = any(e.inference_table for e in b.resources.model_serving_endpoints) if b else False
    monitors = bool(b.resources.quality_monitors) if b else False
    registered = any(c.api.endswith((".register", ".start")) and "scorer" in c.api.lower()
                     for c in project.python.mlflow_calls) or any(
        s.action in ("start", "monitor") for s in project.python.of(ProductionScorer))
    serves = project.python.calls("databricks.agents.deploy") or (b and (b.resources.model_serving_endpoints
                                                                          or b.resources.apps))
    if serves and not (tables or monitors or registered):
        where = project.python.calls("databricks.agents.deploy")
        if where:
            loc = where[0].location
        elif b is not None:
            loc = (b.resources.model_serving_endpoints or b.resources.apps)[0].location
        else:
            return
        yield Hit(loc, "no inference tables, quality monitors or production scorers are configured")


@rule("DAB604", "No canary or automatic rollback", severity=Severity.WARNING, stage=Stage.DEPLOY,
      fix="Roll out with a traffic split (e.g. 10% → 50% → 100%) and restore the previous version on failure.",
      docs=(DOCS["serving_traffic"],))
def no_canary(project: Project) -> Iterator[Hit]:
    """`agents.deploy` sends 100% of traffic to the new version at once; a bad version hits every user."""
    b = project.bundle
    split = any(len(e.traffic) > 1 for e in b.resources.model_serving_endpoints) if b else False
    canary_code = bool(project.python.of(TrafficSplit))
    for call in project.python.calls("databricks.agents.deploy"):
        if not (split or canary_code):
            yield Hit(call.location, "`agents.deploy` switches 100% of traffic with no canary or rollback")
