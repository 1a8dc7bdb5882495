"""MLflow call arguments are typed values (Literal | Expr | Unknown), never in-band `<expr>` strings; the schema-1
summary in `args` stays as it was (facts JSON is additive only)."""

from __future__ import annotations

import json

from dabprp.facts import Expr, GraphEdge, Literal, Location, Mapping, MappingEntry, Unknown, to_data
from dabprp.parse.notebooks import from_source
from dabprp.parse.python_source import analyze_python

CODE = '''import mlflow
from langgraph.graph import StateGraph

MODEL_FILE = "agent.py"
API_KEY = "hunter2-but-long-enough"
VERSION = "3.1.0"


def log(version):
    mlflow.pyfunc.log_model(
        name="agent",
        python_model=MODEL_FILE,
        model_config=f"configs/{version}.yaml",
        pip_requirements=["mlflow==" + VERSION, "pydantic"],
        extra_pip_requirements=[f"x=={version}"],
        input_example={"q": 1},
    )
    mlflow.set_tracking_uri("databricks", password="s3cr3t-value-here", note=API_KEY)


g = StateGraph(dict)
g.add_conditional_edges("router", pick)
'''


def test_arguments_are_typed_and_args_keep_the_schema_1_summary():
    facts = analyze_python("m.py", from_source("m.py", CODE))
    log, uri = facts.mlflow_calls
    assert log.arguments == {
        "name": Literal("agent"),
        "python_model": Literal("agent.py", "constant MODEL_FILE", Location("m.py", 4)),
        "model_config": Expr("f'configs/{version}.yaml'"),
        "pip_requirements": Literal(("mlflow==3.1.0", "pydantic"), "list of constants"),
        "extra_pip_requirements": Expr("[f'x=={version}']"),
        "input_example": Mapping("{'q': 1}", entries=(MappingEntry(Literal("q"), Literal(1), Location("m.py", 16)),)),
    }
    # a dict is still an expression, with its entries added after the expression's fields
    assert isinstance(log.arguments["input_example"], Expr)
    assert list(to_data(log.arguments["input_example"])) == ["source", "config_key", "template", "entries"]
    # schema 1 as before: an f-string as text with braces, names as `<name>`
    assert log.args == {"name": "agent", "python_model": "<MODEL_FILE>", "model_config": "configs/{version}.yaml",
                        "pip_requirements": ["<'mlflow==' + VERSION>", "pydantic"],
                        "extra_pip_requirements": ["x=={version}"], "input_example": {"q": 1}}
    # secrets: by keyword, and by the name of the constant they were folded from
    assert uri.arguments == {"_0": Literal("databricks"), "password": Unknown("a secret value (redacted)"),
                             "note": Unknown("a secret value (redacted)")}
    text = json.dumps(to_data(facts.mlflow_calls))
    assert "s3cr3t" not in text and "hunter2" not in text


def test_a_run_time_edge_target_is_none_and_schema_1_still_says_dynamic():
    facts = analyze_python("m.py", from_source("m.py", CODE))
    (graph,) = facts.graphs
    assert graph.edges == (GraphEdge("router", None, Location("m.py", 22), True, "pick"),)
    assert to_data(graph.edges[0])["target"] == "<dynamic>"
    assert list(to_data(graph.edges[0])) == ["source", "target", "location", "conditional", "router"]
