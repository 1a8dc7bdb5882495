"""Dict arguments are typed `Mapping` values: each entry's key and value folded, its line, and the secret or
environment variable it reads; credentials in entries are redacted like any argument."""

from __future__ import annotations

from dabprp.facts import Expr, ExternalRead, Literal, Location, Mapping, MappingEntry, Unknown
from dabprp.parse.notebooks import from_source
from dabprp.parse.python_source import analyze_python


def deploy_env(code: str):
    facts = analyze_python("m.py", from_source("m.py", code))
    (call,) = [c for c in facts.mlflow_calls if c.api == "databricks.agents.deploy"]
    return call.arguments["environment_vars"]


def test_dict_argument_entries_fold_and_say_what_they_read():
    env = deploy_env(
        "import os\nfrom databricks import agents\nHOST = 'https://h'\n"
        "agents.deploy('c.s.m', 1, environment_vars={\n"
        "    'DATABRICKS_HOST': HOST,\n"
        "    'A': dbutils.secrets.get(scope='s', key='k'),\n"
        "    'B': os.environ['V'],\n"
        "    'C': f'{{{{secrets/{scope}/k2}}}}',\n"
        "    **extra,\n"
        "})\n")
    assert isinstance(env, Mapping) and isinstance(env, Expr)
    assert env.source.startswith("{'DATABRICKS_HOST': HOST,")
    assert env.entries == (
        MappingEntry(Literal("DATABRICKS_HOST"), Literal("https://h", "constant HOST", Location("m.py", 3)),
                     Location("m.py", 5)),
        MappingEntry(Literal("A"), Expr("dbutils.secrets.get(scope='s', key='k')"), Location("m.py", 6),
                     ExternalRead("secret", Literal("k"), Literal("s"))),
        MappingEntry(Literal("B"), Expr("os.environ['V']"), Location("m.py", 7),
                     ExternalRead("environment", Literal("V"))),
        MappingEntry(Literal("C"), Expr("f'{{{{secrets/{scope}/k2}}}}'"), Location("m.py", 8),
                     ExternalRead("secret", Literal("k2"), Expr("scope"))),
        MappingEntry(Unknown("`**extra` unpacked"), Expr("extra"), Location("m.py", 9)),
    )


def test_dict_bound_to_a_name_keeps_the_written_source_and_lines():
    env = deploy_env("from databricks import agents\nenv = dict(\n    X='1',\n)\n"
                     "agents.deploy('c.s.m', 1, environment_vars=env)\n")
    assert env == Mapping("dict(X='1')", entries=(MappingEntry(Literal("X"), Literal("1"), Location("m.py", 3)),))


def test_credentials_in_entries_are_redacted():
    token = "dapi" + "0123456789abcdef" * 2
    code = ("from databricks import agents\n"
            f"agents.deploy('c.s.m', 1, environment_vars={{'T': '{token}', 'API_KEY': 'plain-value'}})\n")
    env = deploy_env(code)
    assert isinstance(env, Mapping) and env.source == "{'T': '***redacted***', 'API_KEY': '***redacted***'}"
    (call,) = analyze_python("m.py", from_source("m.py", code)).mlflow_calls
    assert call.args["environment_vars"] == {"T": "***redacted***", "API_KEY": "***redacted***"}
    assert [e.value for e in env.entries] == [Unknown("holds a credential (redacted)"),
                                              Unknown("a secret value (redacted)")]


def test_a_dict_computed_at_run_time_is_an_expression():
    assert deploy_env("from databricks import agents\nagents.deploy('c.s.m', 1, environment_vars=make())\n") \
        == Expr("make()")
