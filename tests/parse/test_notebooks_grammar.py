"""Notebook sources in every Databricks form and Python newer than the interpreter: facts, not syntax errors."""

from __future__ import annotations

import sys

import pytest

from dabprp.analyze import analyze
from dabprp.parse.notebooks import from_source
from dabprp.parse.python_grammar import downgrade, parse_module
from dabprp.parse.python_source import analyze_python
from tests.conftest import FIXTURES

NOTEBOOKS = FIXTURES / "notebooks"


def test_fixture_has_no_syntax_error_problem():
    project = analyze(str(NOTEBOOKS))
    assert [(p.location.path, p.location.line, p.message) for p in project.problems] == []
    assert [(f.path, f.syntax_error) for f in project.python.files] == [
        ("notebooks/01_setup.py", None), ("notebooks/explore.ipynb", None),
        ("notebooks/helpers.py", None), ("src/modern.py", None)]


def test_bare_magics_in_a_source_notebook_are_recorded_and_code_after_them_is_read():
    project = analyze(str(NOTEBOOKS))
    setup = next(f for f in project.python.files if f.path == "notebooks/01_setup.py")
    assert [(m.command, m.argument, m.location.line) for m in setup.magics] == [
        ("pip", "install -U mlflow>=3.1", 2), ("restart_python", "", 4), ("md", "", 8),
        ("sh", "", 14), ("run", "./helpers", 20), ("sh", "pip list", 24), ("pip", "install extra-package", 28)]
    calls = [(c.api, c.location.path, c.location.line) for c in project.python.mlflow_calls]
    assert calls == [
        ("mlflow.set_experiment", "notebooks/01_setup.py", 30),
        ("mlflow.set_experiment", "notebooks/explore.ipynb", 38),
        ("mlflow.set_experiment", "src/modern.py", 20)]


def test_ipynb_cell_magic_blanks_the_cell_and_line_magics_keep_lines():
    project = analyze(str(NOTEBOOKS))
    nb = next(f for f in project.python.files if f.path == "notebooks/explore.ipynb")
    assert [(m.command, m.argument, m.location.line) for m in nb.magics] == [
        ("pip", "install databricks-vectorsearch", 16), ("sh", "echo ready", 17),
        ("sql", "", 27)]


def test_python_312_code_keeps_its_functions_and_line_numbers():
    project = analyze(str(NOTEBOOKS))
    modern = next(f for f in project.python.files if f.path == "src/modern.py")
    assert modern.functions == ("__init__", "describe")


def test_plain_file_with_bare_magics_is_not_a_syntax_error():
    facts = analyze_python("nb.py", from_source("nb.py", "%pip install x\nimport mlflow\nmlflow.autolog()\n"))
    assert facts.source.syntax_error is None
    assert [(m.command, m.location.line) for m in facts.source.magics] == [("pip", 1)]
    assert [(c.api, c.location.line) for c in facts.mlflow_calls] == [("mlflow.autolog", 3)]


def test_real_syntax_error_in_a_notebook_with_magics_keeps_path_and_line():
    text = ("# Databricks notebook source\n%pip install x\n\n# COMMAND ----------\n\n"
            "x = f\"{a[\"b\"]}\"\ndef oops(:\n    pass\n")
    facts = analyze_python("nb.py", from_source("nb.py", text))
    assert (facts.source.syntax_error_line, facts.source.syntax_error) == (7, "syntax error: invalid syntax")


def test_modulo_and_not_equal_continuations_are_not_magics():
    text = "# Databricks notebook source\nx = (10\n%3)\ny = (x\n!= 1)\nz = (x\n    % 2)\n"
    facts = analyze_python("nb.py", from_source("nb.py", text))
    assert facts.source.syntax_error is None and facts.source.magics == ()


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="the rewrite is only needed before 3.12")
def test_downgrade_keeps_lines_and_only_rewrites_newer_syntax():
    text = 'x = f"{a["b"]}"\ny = f"""\n{a["b"]}\n"""\nz = f"{a[\'b\']}"\ndef f[T](v: T) -> T: ...\n'
    new_text, fallbacks = downgrade(text)
    assert new_text.splitlines()[1:] == ['y = """\\x00dabprp-fstring:1', "", '"""', "z = f\"{a['b']}\"",
                                         "def f(v: T) -> T: ..."]
    assert sorted(fallbacks.values()) == ['f"""\n{a["b"]}\n"""', 'f"{a["b"]}"']
    assert downgrade("x = 1\n") is None


def test_unterminated_string_is_still_an_error():
    with pytest.raises(SyntaxError) as info:
        parse_module('x = 1\ny = "open\n')
    assert info.value.lineno == 2
