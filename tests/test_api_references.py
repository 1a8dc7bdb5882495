"""Every library call the PRPs and the rule docs show binds to the installed library's real signature."""

from __future__ import annotations

import ast
import inspect
import re
from collections.abc import Iterator
from typing import Any

import pytest
from click.testing import CliRunner

from dabprp.api import generate
from dabprp.cli import main
from tests.conftest import EXAMPLE, FIXTURES

CODE_SPAN_RE = re.compile(r"`([^`\n]+)`")
PLACEHOLDER_RE = re.compile(r"<[^<>]*>")


def _import(dotted: str) -> Any:
    module, _, attr = dotted.rpartition(".")
    return getattr(__import__(module, fromlist=[attr]), attr)


# Names the PRP uses without their import path, and where they live.
ROOTS = {
    "mlflow": lambda: __import__("mlflow"),
    "agents": lambda: __import__("databricks.agents", fromlist=["deploy"]),
    "databricks": lambda: __import__("databricks.sdk", fromlist=["WorkspaceClient"]) and __import__("databricks"),
    "MlflowClient": lambda: _import("mlflow.MlflowClient"),
    "WorkspaceClient": lambda: _import("databricks.sdk.WorkspaceClient"),
    "Scorer": lambda: _import("mlflow.genai.scorers.Scorer"),
    "ScorerSamplingConfig": lambda: _import("mlflow.genai.scorers.ScorerSamplingConfig"),
    "Safety": lambda: _import("mlflow.genai.scorers.Safety"),
    "Correctness": lambda: _import("mlflow.genai.scorers.Correctness"),
    "RelevanceToQuery": lambda: _import("mlflow.genai.scorers.RelevanceToQuery"),
    "Guidelines": lambda: _import("mlflow.genai.scorers.Guidelines"),
}


def code_spans(text: str) -> Iterator[str]:
    yield from CODE_SPAN_RE.findall(text)


def calls_in(span: str) -> ast.Call | None:
    """The outermost call of a code span that is a Python call on a known library name, else None."""
    if PLACEHOLDER_RE.search(span.split("(", 1)[0]):  # `mlflow.<flavor>.autolog()` names no one API
        return None
    source = PLACEHOLDER_RE.sub("x", span.lstrip("@"))
    try:
        node = ast.parse(source, mode="eval").body
    except SyntaxError:
        return None
    if not isinstance(node, ast.Call):
        return None
    root: ast.AST = node
    while isinstance(root, (ast.Call, ast.Attribute)):
        root = root.func if isinstance(root, ast.Call) else root.value
    return node if isinstance(root, ast.Name) and root.id in ROOTS else None


def _args(call: ast.Call) -> tuple[list[Any], dict[str, Any]]:
    return [object() for _ in call.args], {k.arg: object() for k in call.keywords if k.arg}


def check_call(call: ast.Call) -> list[str]:
    """Resolve the callee through attributes and chained calls; bind every call that is invoked for its result
    or given arguments. A lone `name()` is a mention of the function: it must exist."""
    problems: list[str] = []

    def resolve(node: ast.AST) -> tuple[Any, bool]:
        """(object, is_instance): a module, class or function, or an instance of a class after a call."""
        if isinstance(node, ast.Name):
            return ROOTS[node.id](), False
        if isinstance(node, ast.Attribute):
            owner, _ = resolve(node.value)
            if not hasattr(owner, node.attr):
                problems.append(f"`{ast.unparse(node)}` does not exist")
                return None, False
            return getattr(owner, node.attr), False
        if isinstance(node, ast.Call):
            func, _ = resolve(node.func)
            if func is None:
                return None, False
            bind(node, func)
            if inspect.isclass(func):
                return func, True
            returned = inspect.signature(func).return_annotation
            owner = getattr(func, "__qualname__", "").split(".")[0]
            # methods that return their own class (`register` returns the Scorer)
            if isinstance(returned, str) and returned.strip("'\"") == owner:
                return getattr(inspect.getmodule(func), owner, None), True
            return returned if inspect.isclass(returned) else None, True
        return None, False

    def bind(node: ast.Call, func: Any) -> None:
        args, kwargs = _args(node)
        lone_mention = node is call and not args and not kwargs and not isinstance(node.func.value, ast.Call) \
            if isinstance(node.func, ast.Attribute) else node is call and not args and not kwargs
        if lone_mention:
            return
        try:
            signature = inspect.signature(func)
        except (TypeError, ValueError):
            return
        params = list(signature.parameters)
        is_method = bool(params) and params[0] == "self" and not inspect.ismethod(func)
        try:
            signature.bind(*([object()] if is_method else []), *args, **kwargs)
        except TypeError as exc:
            problems.append(f"`{ast.unparse(node)}`: {exc}")

    resolve(call)
    return problems


def prp_texts() -> dict[str, str]:
    return {p.name: generate(str(p))[0] for p in (EXAMPLE, FIXTURES / "rag-apps", FIXTURES / "multi-target",
                                                   FIXTURES / "no-bundle")}


def test_checker_catches_a_missing_required_keyword():
    bad = calls_in("Scorer.register().start()")
    good = calls_in("Safety().register(name='safety').start(sampling_config=ScorerSamplingConfig(sample_rate=1.0))")
    assert bad is not None and good is not None
    assert check_call(bad) == ["`Scorer.register().start()`: missing a required argument: 'sampling_config'"]
    assert check_call(good) == []
    assert check_call(calls_in("MlflowClient().update_registered_model(name, deployment_job_id=x)")) == []
    assert check_call(calls_in("MlflowClient().update_registered_model(name, job_id=x)")) == [
        "`MlflowClient().update_registered_model(name, job_id=x)`: got an unexpected keyword argument 'job_id'"]
    assert check_call(calls_in("agents.deploy()")) == []  # a mention of the function
    assert check_call(calls_in("agents.deploy(model_name, model_version, scale_to_zero=True)")) == []
    assert check_call(calls_in("agents.no_such_api()")) == ["`agents.no_such_api` does not exist"]


@pytest.mark.parametrize("name", ["multiagent-genie", "rag-apps", "multi-target", "no-bundle"])
def test_every_library_call_in_the_prp_binds(name):
    text = prp_texts()[name]
    checked, problems = 0, []
    for span in code_spans(text):
        call = calls_in(span)
        if call is not None:
            checked += 1
            problems += check_call(call)
    assert problems == []
    assert checked >= 3  # the PRP does show library calls: the monitoring and pre-deployment lines


def test_every_library_call_in_the_rule_docs_binds():
    docs = CliRunner().invoke(main, ["rules", "--format", "md"]).stdout
    calls = [c for span in code_spans(docs) if (c := calls_in(span)) is not None]
    assert len(calls) >= 5
    problems = [p for c in calls for p in check_call(c)]
    assert problems == []
