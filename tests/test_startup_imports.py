"""Start-up stays cheap: the CLI imports a heavy library only for the command that uses it.

Checked structurally (which modules a fresh interpreter has loaded after a command), never by the clock:
the benchmark (`benchmarks/bench.py`) reports the start-up seconds per command."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import EXAMPLE, ROOT

HEAVY = ("rich", "jinja2", "jsonschema", "jsonschema_rs", "ruamel", "mcp", "yaml", "concurrent.futures",
         "multiprocessing", "mlflow", "databricks")
"""Third-party (and process-pool) modules that cost milliseconds to import."""
PIPELINE = ("dabprp.plan", "dabprp.scaffold", "dabprp.render.markdown", "dabprp.parse.python_source",
            "dabprp.parse.langgraph", "dabprp.parse.notebooks", "dabprp.parse.evalsets", "dabprp.parse.agent_config",
            "dabprp.rehearse", "dabprp.diff", "dabprp.mcp_server", "dabprp.refine")

PROBE = """
import contextlib, io, json, sys
args = json.loads(sys.argv[1])
if args:
    from dabprp.cli import main
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        try:
            main(args)
        except SystemExit:
            pass
else:
    import dabprp.cli  # noqa: F401
print(json.dumps(sorted(sys.modules)))
"""


def loaded_modules(args: list[str]) -> set[str]:
    """The modules a fresh interpreter holds after `dabprp ARGS` (after only importing the CLI for no ARGS)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    done = subprocess.run([sys.executable, "-c", PROBE, json.dumps(args)], capture_output=True, text=True,
                          env=env, check=True, timeout=120)
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


def loaded(modules: set[str], names: tuple[str, ...]) -> list[str]:
    return sorted(n for n in names if n in modules or any(m.startswith(n + ".") for m in modules))


def test_importing_the_cli_loads_no_heavy_module():
    modules = loaded_modules([])
    assert loaded(modules, HEAVY) == []
    assert sorted(m for m in modules if m.startswith("dabprp.")) == ["dabprp.cli", "dabprp.errors", "dabprp.version"]


def test_version_loads_nothing_of_the_pipeline():
    modules = loaded_modules(["--version"])
    assert loaded(modules, HEAVY) == []
    assert loaded(modules, ("dabprp.api", "dabprp.analyze", "dabprp.facts")) == []


@pytest.mark.parametrize(("args", "absent"), [
    # a valid bundle is confirmed by jsonschema-rs: the Python validator (and its messages) is not needed
    # nor OpenSSL (`_hashlib`): dabprp's digests are CPython's built-in SHA-256
    (["validate", str(EXAMPLE)], ("jinja2", "jsonschema", "ruamel", "mcp", "concurrent.futures", "_hashlib",
                                  *PIPELINE)),
    (["validate", str(EXAMPLE), "--all-targets", "--format", "json"],
     ("rich", "jinja2", "jsonschema", "ruamel", "mcp", "concurrent.futures", *PIPELINE)),
    (["check", str(EXAMPLE), "--format", "sarif"], ("rich", "jinja2", "jsonschema", "ruamel", "mcp", "_hashlib",
                                                     "concurrent.futures", "dabprp.plan", "dabprp.scaffold",
                                                     "dabprp.render.markdown", "dabprp.rehearse", "dabprp.diff")),
    (["check", str(EXAMPLE)], ("jinja2", "jsonschema", "ruamel", "mcp", "concurrent.futures", "dabprp.plan",
                               "dabprp.scaffold", "dabprp.render.markdown")),
    (["generate", str(EXAMPLE), "--stdout"], ("rich", "jsonschema", "mcp", "concurrent.futures",
                                              "dabprp.rehearse", "dabprp.diff", "dabprp.mcp_server",
                                              "dabprp.refine")),
])
def test_a_command_loads_only_what_it_uses(args, absent):
    assert loaded(loaded_modules(args), absent) == []


def test_an_invalid_bundle_still_gets_the_python_validator_messages(tree):
    root = tree({"databricks.yml": "bundle:\n  name: b\nresources:\n  jobs:\n    j:\n      max_concurrent_runs: x\n"})
    modules = loaded_modules(["validate", str(root)])
    assert "jsonschema" in modules  # the explanation of an invalid value comes from the Python validator


EXIT_PROBE = """
import atexit, os, sys
real_exit = os._exit
os._exit = lambda code: (os.write(2, b"exit at once\\n"), real_exit(code))
if sys.argv[1] == "atexit":
    atexit.register(lambda: os.write(2, b"atexit ran\\n"))
sys.argv = ["dabprp", *sys.argv[2:]]
from dabprp.cli import entry_point
entry_point()
"""


def run_entry_point(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    return subprocess.run([sys.executable, "-c", EXIT_PROBE, *args], capture_output=True, text=True, env=env,
                          check=False, timeout=120)


def test_the_dabprp_command_exits_without_tearing_the_interpreter_down():
    """The console script and `python -m dabprp` run `entry_point`: with nothing registered to run at exit,
    the process ends right after the command (output flushed, exit code kept), without the interpreter's
    final collection and tear-down; with an atexit callback, the interpreter exits as usual and runs it."""
    try:
        import tomllib
    except ImportError:  # Python 3.10
        import tomli as tomllib

    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]
    assert scripts == {"dabprp": "dabprp.cli:entry_point"}
    assert "entry_point()" in (ROOT / "src" / "dabprp" / "__main__.py").read_text(encoding="utf-8")
    quick = run_entry_point("-", "check", str(EXAMPLE), "--format", "json")
    assert quick.returncode == 1  # the example has errors
    assert json.loads(quick.stdout)["summary"] and quick.stderr == "exit at once\n"  # after the whole output
    usual = run_entry_point("atexit", "check", str(EXAMPLE), "--format", "json")
    assert (usual.returncode, usual.stdout) == (1, quick.stdout)
    assert usual.stderr == "atexit ran\n"
    missing = run_entry_point("-", "validate", str(EXAMPLE / "missing"))
    assert missing.returncode == 2 and missing.stderr.endswith("no such directory\nexit at once\n")
