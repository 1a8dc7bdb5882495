"""What the analyzed agent is and does, read from the facts: the project context the PRP speaks about."""

from __future__ import annotations

import re

from dabprp.facts import (
    EndpointUse,
    EvalTable,
    Expr,
    FiscalCalendar,
    GenieAgent,
    IterationLimit,
    Literal,
    Location,
    Parallelism,
    Project,
    TemporalHelper,
    Tool,
    Value,
)
from dabprp.knowledge import METRIC_WORD_RE, TEMPORAL_NAME_RE
from dabprp.plan.agent_entry import agent_entry
from dabprp.plan.model import AgentProfile, Code, Evidence, Scope, Text, text
from dabprp.plan.serving import AGENT_SERVER_APIS

GENAI_FLAVORS = ("langchain", "langgraph", "openai", "llama_index", "dspy", "anthropic", "bedrock", "gemini", "crewai",
                 "autogen", "ag2", "litellm", "groq", "mistral", "smolagents", "pydantic_ai", "agno", "strands")
"""MLflow's GenAI flavors: their `autolog` and `log_model` are GenAI code."""
AGENT_CALLS = ("mlflow.models.set_model", "databricks.agents.deploy", "mlflow.genai.evaluate", *AGENT_SERVER_APIS,
               *(f"mlflow.{flavor}.{api}" for flavor in GENAI_FLAVORS for api in ("autolog", "log_model")))
"""Calls only agent code makes (with graphs, agent classes, chat-model and Genie calls: `AgentProfile.found`)."""


def agent_profile(project: Project) -> AgentProfile:
    """The agent as its own code shows it: dabprp's generated stage files are no evidence about it."""
    py = project.python.own()
    graph = py.graphs[0] if py.graphs else None
    entry = agent_entry(py)
    interface = entry.agent
    own_code = any(not f.generated for f in project.python.files)
    bases = [a.base for a in ((interface,) if interface else entry.concrete or py.agent_classes[:1])]
    # "": no agent code at all (a bundle without Python files): nothing to name
    framework = "LangGraph" if graph else (" or ".join(dict.fromkeys(bases)) or ("custom Python" if own_code else ""))
    routes: tuple[str, ...] = ()
    router = None
    if py.routing_models:
        model = py.routing_models[0]
        router = model.name
        routes = tuple(v for vals in model.fields.values() for v in vals)
    elif graph:
        routes = tuple(dict.fromkeys(e.target for e in graph.edges if e.conditional and e.target is not None))
    traced = {s.function for s in py.trace_spans}
    nodes = graph.nodes if graph else ()
    temporal = tuple(Evidence("temporal helper", c.name, c.location) for c in py.of(TemporalHelper))
    limit = next(iter(py.of(IterationLimit)), None)
    fiscal = next(iter(py.of(FiscalCalendar)), None)
    autolog = "off"
    for c in py.mlflow_calls:
        if c.api.endswith("autolog"):
            autolog = "commented out" if c.commented_out else "on"
            if not c.commented_out:
                break
    module = entry.path or (graph.location.path if graph else None)
    return AgentProfile(
        framework=framework,
        interface=f"{interface.name}({interface.base})" if interface else None,
        module=module,
        nodes=tuple(n.name for n in nodes),
        routes=routes,
        router=router,
        entry_point=graph.entry_point if graph else None,
        parallel=tuple(Evidence("parallelism", c.name, c.location) for c in py.of(Parallelism)),
        genie=tuple(Evidence("Genie agent", value_source(c.space_id), c.location) for c in py.of(GenieAgent)),
        llm_endpoints=tuple(Evidence(c.name, value_text(c.endpoint), c.location) for c in py.endpoints("chat")),
        tools=tuple(Evidence("tool", c.name, c.location) for c in py.of(Tool)),
        temporal_helpers=temporal,
        iteration_limit=Evidence("iteration limit", limit.name, limit.location) if limit else None,
        traced_nodes=tuple(n.name for n in nodes if (n.function or "").split(".")[-1] in traced),
        untraced_nodes=tuple(n.name for n in nodes if (n.function or "").split(".")[-1] not in traced),
        autolog=autolog,
        not_static=not_static(project),
        fiscal_calendar=(fiscal.start_month, fiscal.offset_from_start, fiscal.offset_before_start) if fiscal else None,
        fiscal_calendar_at=fiscal.location if fiscal else None,
        served_at=entry.location,
        sets_model=entry.sets_model,
        unserved=() if interface else tuple(Evidence("agent class", a.name, a.location) for a in entry.concrete),
        found=bool(graph or py.agent_classes or py.calls(*AGENT_CALLS) or py.endpoints("chat") or py.of(GenieAgent)
                   or py.trace_spans or py.scorers),
    )


def not_static(project: Project) -> tuple[Evidence, ...]:
    """What the analysis cannot know without running the code, each with its place (in the project's own code)."""
    py = project.python.own()
    out = [Evidence(text(f"{e.role.replace('_', ' ')} endpoint of ", Code(e.name)), value_text(e.endpoint), e.location)
           for e in py.of(EndpointUse) if not isinstance(e.endpoint, Literal)]
    out += [Evidence("Genie space id", value_text(g.space_id), g.location)
            for g in py.of(GenieAgent) if not isinstance(g.space_id, Literal)]
    for t in py.of(EvalTable):
        known = text(Code(str(t.table.value)), " (its size and question kinds are known only at run time)") \
            if isinstance(t.table, Literal) else value_text(t.table)
        out.append(Evidence("evaluation table", known, t.location))
    return tuple(out)


def value_text(value: Value) -> str | Text:
    """A value as the PRP shows it: the literal, the config key or expression it is read from (known only at
    run time), or why it is not known."""
    if isinstance(value, Literal):
        return str(value.value)
    if isinstance(value, Expr):
        where = ("config key ", Code(value.config_key)) if value.config_key else (Code(value.source),)
        return text("read at run time from ", *where)
    return f"not known statically ({value.reason})"


def value_source(value: Value) -> str:
    """Where a value comes from, in a word: the literal, the config key or the expression."""
    if isinstance(value, Literal):
        return str(value.value)
    if isinstance(value, Expr):
        return value.config_key or value.source
    return value.reason


def project_scope(project: Project) -> Scope:
    entities: list[str] = []
    years: list[int] = []
    sources: list[str] = []
    evidence: list[Location] = []
    for cfg in project.configs:
        s = cfg.scope
        entities += [e for e in s.entities if e not in entities]
        years += [y for y in (s.year_min, s.year_max) if y]
        sources += [x for x in s.data_sources if x not in sources]
        evidence += list(s.evidence)
    metric_re = re.compile(METRIC_WORD_RE, re.I)
    prompts_text = " ".join(str(v.value) for cfg in project.configs for v in cfg.keys if isinstance(v.value, str))
    numeric = bool(metric_re.search(prompts_text)) and bool(re.search(r"\d", prompts_text))
    relative = any(e.categories.get("time_relative") for e in project.evalsets) or bool(re.search(
        TEMPORAL_NAME_RE, " ".join(fn for f in project.python.files if not f.generated for fn in f.functions), re.I))
    return Scope(
        entities=tuple(entities),
        years=f"{min(years)}–{max(years)}" if years else None,
        sources=tuple(sources),
        evidence=tuple(sorted(set(evidence))),
        numeric_answers=numeric,
        relative_time=relative,
        year_max=max(years) if years else None,
    )
