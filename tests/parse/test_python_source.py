from __future__ import annotations

from dabprp.analyze import analyze
from dabprp.facts import Expr, GenieAgent, IterationLimit, Literal, Location, Parallelism
from dabprp.parse.notebooks import from_ipynb, from_source
from dabprp.parse.python_source import analyze_python
from tests.conftest import EXAMPLE, FIXTURES


def facts_of(code: str, path: str = "m.py"):
    return analyze_python(path, from_source(path, code))


def test_example_graph_nodes_edges_and_lines():
    (graph,) = analyze(str(EXAMPLE)).python.graphs
    assert (graph.variable, graph.state_type, graph.entry_point) == ("workflow", "AgentState", "supervisor")
    assert [(n.name, n.function, n.location.line) for n in graph.nodes] == [
        ("supervisor", "supervisor_agent", 133), ("genie", "genie_node", 134),
        ("parallel_executor", "parallel_executor_node", 135), ("final_answer", "final_answer", 136)]
    assert [(e.source, e.target, e.conditional, e.location.line) for e in graph.edges] == [
        ("supervisor", "genie", True, 138), ("supervisor", "parallel_executor", True, 138),
        ("supervisor", "final_answer", True, 138), ("genie", "supervisor", False, 147),
        ("parallel_executor", "supervisor", False, 148), ("final_answer", "END", False, 149)]
    assert graph.finish_points == ("final_answer",) and graph.compiled_at.line == 150


def test_example_routing_parallelism_endpoints_interface():
    py = analyze(str(EXAMPLE)).python
    (router,) = py.routing_models
    assert router.name == "NextNode" and router.used_by == ("supervisor_agent",)
    assert router.fields == {"next_node": ("genie", "parallel_executor", "final_answer")}
    par = [(c.name, c.location.line) for c in py.of(Parallelism)]
    assert par == [("asyncio.to_thread", 113), ("asyncio.gather", 115)]
    (genie,) = py.of(GenieAgent)
    # the config value is a placeholder (empty), so the space id stays the expression reading it
    assert genie.space_id == Expr("databricks_configs['genie_space_id']", "databricks_configs.genie_space_id")
    assert genie.location.line == 61
    (llm,) = py.endpoints("chat")
    assert (llm.name, llm.location.line, llm.evidence) == ("ChatDatabricks", 36, "ChatDatabricks `endpoint=`")
    assert llm.endpoint == Literal("databricks-claude-3-7-sonnet",
                                   "config key agent_configs.llm.endpoint_name in src/configs.yaml",
                                   Location("src/configs.yaml", 17))
    (agent,) = py.agent_classes
    assert (agent.base, agent.methods) == ("ChatAgent", ("__init__", "predict", "predict_stream"))
    limits = py.of(IterationLimit)
    assert {c.name for c in limits} == {"MAX_ITERATIONS", "max_iterations"}
    assert [(s.function, s.name, s.span_type) for s in py.trace_spans] == [
        ("supervisor_agent", "supervisor", "AGENT"), ("genie_node", "genie", "AGENT")]


def test_example_mlflow_calls():
    py = analyze(str(EXAMPLE)).python
    calls = {(c.api, c.location.path, c.location.line) for c in py.mlflow_calls}
    for expected in [
        ("mlflow.pyfunc.log_model", "src/deployment.py", 47),
        ("mlflow.register_model", "src/deployment.py", 73),
        ("databricks.agents.deploy", "src/deployment.py", 82),
        ("mlflow.models.predict", "src/deployment.py", 64),
        ("mlflow.genai.evaluate", "src/evaluation.py", 41),
        ("mlflow.models.set_model", "src/multiagent_genie.py", 184),
        ("mlflow.models.ModelConfig", "src/multiagent_genie.py", 27),
        ("mlflow.langchain.autolog", "src/multiagent_genie.py", 25),
    ]:
        assert expected in calls
    autolog = next(c for c in py.mlflow_calls if c.api == "mlflow.langchain.autolog")
    assert autolog.commented_out
    deploy = next(c for c in py.mlflow_calls if c.api == "databricks.agents.deploy")
    assert "DATABRICKS_GENIE_PAT" in deploy.args["environment_vars"]
    log = next(c for c in py.mlflow_calls if c.api == "mlflow.pyfunc.log_model")
    assert log.args["name"] == "agent" and "langgraph==0.3.4" in log.args["pip_requirements"]
    (ref,) = py.secret_refs
    assert ref.location.line == 67


def test_notebook_magics_recorded():
    text = (
        "# Databricks notebook source\n# MAGIC %pip install mlflow\n\n# COMMAND ----------\n\n"
        "# MAGIC %run ./helpers\n\n# COMMAND ----------\n\nimport mlflow\nmlflow.set_experiment('/x')\n"
    )
    facts = analyze_python("nb.py", from_source("nb.py", text))
    assert facts.source.kind == "databricks-notebook"
    assert [(m.command, m.argument, m.location.line) for m in facts.source.magics] == [
        ("pip", "install mlflow", 2), ("run", "./helpers", 6)]
    assert facts.mlflow_calls[0].location.line == 11


def test_notebook_bad_cell_does_not_hide_others():
    text = ("# Databricks notebook source\nimport mlflow\n\n# COMMAND ----------\n\ndef oops(:\n\n"
            "# COMMAND ----------\n\nmlflow.set_experiment('/x')\n")
    facts = analyze_python("nb.py", from_source("nb.py", text))
    assert facts.source.syntax_error_line == 6
    assert [c.location.line for c in facts.mlflow_calls] == [10]


def test_ipynb_cells_lines_and_magics():
    nb = (
        '{\n "cells": [\n  {\n   "cell_type": "code",\n   "source": [\n    "%pip install mlflow\\n",\n'
        '    "import mlflow\\n",\n    "mlflow.set_experiment(\\"/x\\")"\n   ]\n  }\n ],\n "nbformat": 4\n}\n'
    )
    facts = analyze_python("n.ipynb", from_ipynb("n.ipynb", nb))
    assert [(m.command, m.location.line) for m in facts.source.magics] == [("pip", 6)]
    assert facts.mlflow_calls[0].location.line == 8


def test_hardcoded_secrets_are_redacted_never_printed():
    token = "dapi" + "0123456789abcdef" * 2
    facts = facts_of(f'password = "hunter2hunter2"\nTOKEN = "{token}"\nAPI_KEY = "YOUR_API_KEY"\n'
                     f'from databricks.sdk import WorkspaceClient\nw = WorkspaceClient(token="{token}")\n')
    assert [(s.kind, s.location.line) for s in facts.hardcoded_secrets] == [
        ("assignment to `password`", 1), ("databricks-token", 2), ("databricks-token", 5)]
    assert all(token not in repr(s) and "hunter2" not in repr(s) for s in facts.hardcoded_secrets)


def test_syntax_error_is_a_fact_not_a_crash():
    project = analyze(str(FIXTURES / "broken"))
    bad = next(f for f in project.python.files if f.path == "src/syntax_error.py")
    assert bad.syntax_error_line == 3 and "syntax error" in bad.syntax_error
    assert any(c.api == "mlflow.set_experiment" for c in project.python.mlflow_calls)


def test_responses_agent_and_tools():
    project = analyze(str(FIXTURES / "rag-apps"))
    (agent,) = project.python.agent_classes
    assert (agent.name, agent.base) == ("SupportAgent", "ResponsesAgent")
    kinds = {(c.kind, c.name) for c in project.python.code}
    assert ("tool", "VectorSearchRetrieverTool") in kinds
    assert ("llm_endpoint", "chat.completions.create") in kinds
    assert [s.name for s in project.python.scorers] == ["cites_manual"]
    assert project.python.graphs == ()


def test_graph_with_start_edge_and_list_path_map():
    facts = facts_of(
        "from langgraph.graph import StateGraph, START, END\n"
        "g = StateGraph(dict)\ng.add_node('a', fa)\ng.add_node(fb)\n"
        "g.add_edge(START, 'a')\ng.add_conditional_edges('a', route, ['fb', END])\napp = g.compile()\n"
    )
    (graph,) = facts.graphs
    assert graph.entry_point == "a"
    assert [(n.name, n.function) for n in graph.nodes] == [("a", "fa"), ("fb", "fb")]
    assert [(e.source, e.target, e.router) for e in graph.edges] == [
        ("START", "a", None), ("a", "fb", "route"), ("a", "END", "route")]


def test_agent_classes_through_the_projects_own_base_classes():
    project = analyze(str(FIXTURES / "agent-hierarchy"))
    assert [(a.name, a.base, a.via, str(a.location), a.subclassed) for a in project.python.agent_classes] == [
        ("BaseResponsesAgent", "ResponsesAgent", (), "agents/base.py:6", True),
        ("ToolUsingAgent", "ResponsesAgent", ("BaseResponsesAgent",), "agents/base.py:11", True),
        ("LegacyChat", "ChatAgent", (), "agents/base.py:15", True),
        ("ResearchAgent", "ResponsesAgent", ("ToolUsingAgent", "BaseResponsesAgent"), "agents/research.py:4", False),
        ("WriterAgent", "ResponsesAgent", ("BaseResponsesAgent",), "agents/writer.py:9", False),
        ("SummaryAgent", "ChatAgent", ("LegacyChat",), "agents/writer.py:14", False),
    ]


def test_routing_models_are_only_the_ones_that_choose_nodes(tree):
    root = tree({"graph.py": (
        "from typing import Literal\nfrom pydantic import BaseModel\n"
        "from langgraph.graph import StateGraph, END\n"
        "WORKERS = ['research', 'writer']\n\n"
        "class Route(BaseModel):\n    next: Literal['research', 'writer', 'FINISH']\n"
        "    tone: Literal['formal', 'casual']\n\n"
        "class Severity(BaseModel):\n    level: Literal['low', 'high']\n\n"
        "g = StateGraph(dict)\ng.add_node('research', research)\ng.add_node('writer', writer)\n"
        "g.add_node('supervisor', supervisor)\n"
        "g.add_conditional_edges('supervisor', pick, {k: k for k in WORKERS})\n"
        "g.add_conditional_edges('writer', check, {w: w for w in ['research', 'supervisor']})\n"
        "app = g.compile()\n"
        "def supervisor(state):\n    return llm.with_structured_output(Route).invoke(state)\n"
        "def grade(state):\n    return llm.with_structured_output(Severity).invoke(state)\n"
    )})
    py = analyze(str(root)).python
    assert [(r.name, r.fields, r.used_by) for r in py.routing_models] == [
        ("Route", {"next": ("research", "writer", "FINISH")}, ("supervisor",))]
    (graph,) = py.graphs
    assert [(e.source, e.target, e.router) for e in graph.edges] == [
        ("supervisor", "research", "pick"), ("supervisor", "writer", "pick"),
        ("writer", "research", "check"), ("writer", "supervisor", "check")]


def test_without_a_graph_a_routing_model_needs_a_route_field_and_a_user(tree):
    root = tree({"agent.py": (
        "from typing import Literal\nfrom pydantic import BaseModel\n"
        "class Decision(BaseModel):\n    destination: Literal['billing', 'support']\n"
        "class Sentiment(BaseModel):\n    label: Literal['pos', 'neg']\n"
        "class Unused(BaseModel):\n    route: Literal['a', 'b']\n"
        "def decide(q):\n    return llm.with_structured_output(Decision).invoke(q)\n"
        "def feel(q):\n    return llm.with_structured_output(Sentiment).invoke(q)\n"
    )})
    assert [(r.name, r.fields) for r in analyze(str(root)).python.routing_models] == [
        ("Decision", {"destination": ("billing", "support")})]
