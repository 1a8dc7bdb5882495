"""Schema verdicts remembered across runs: only acceptance is kept, a changed or invalid value is validated
again, a file that is not private is not trusted, and a run that only meets remembered values loads no
validator."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dabprp.api import validate
from dabprp.validate import verdicts
from dabprp.validate.verdicts import Verdicts
from tests.conftest import EXAMPLE, ROOT

VALID = "bundle:\n  name: b\nresources:\n  jobs:\n    j:\n      max_concurrent_runs: 2\n"
INVALID = VALID.replace("2", "many")
MESSAGE = ("DAB900", "resources.jobs.j.max_concurrent_runs: 'many' is not of type 'integer'")


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("DABPRP_CACHE_DIR", str(folder))
    verdicts.remembered.cache_clear()
    yield folder
    verdicts.remembered.cache_clear()


def schema_findings(root: Path) -> list[tuple[str, str]]:
    verdicts.remembered.cache_clear()  # as a new process
    return [(f.rule_id, f.message) for f in validate(str(root)).findings if f.rule_id == "DAB900"]


def verdict_lines(cache: Path) -> list[str]:
    [file] = (cache / "schema").iterdir()
    return file.read_text(encoding="ascii").splitlines()


def test_accepted_values_are_remembered_and_invalid_ones_never(cache, tree):
    root = tree({"databricks.yml": VALID})
    assert schema_findings(root) == []
    remembered = verdict_lines(cache)
    assert len(remembered) == 2  # the job, and the document around the resources
    assert schema_findings(root) == []
    assert verdict_lines(cache) == remembered  # nothing new: not written again
    (root / "databricks.yml").write_text(INVALID, encoding="utf-8")
    assert schema_findings(root) == [MESSAGE]
    assert schema_findings(root) == [MESSAGE]  # the invalid job was validated again, with its message
    assert verdict_lines(cache) == remembered  # the document around it is unchanged; the job was not added


def poison(cache: Path, root: Path) -> Path:
    """A verdict file that says the invalid job was accepted (what the cache would say if it were tampered with)."""
    schema_findings(root)
    [file] = (cache / "schema").iterdir()
    fake = Verdicts(str(file)).key("jobs", "j", {"max_concurrent_runs": "many"})
    assert fake is not None
    file.write_text(file.read_text(encoding="ascii") + fake + "\n", encoding="ascii")
    return file


def test_a_private_verdict_file_is_trusted(cache, tree):
    root = tree({"databricks.yml": VALID})
    poison(cache, root)
    (root / "databricks.yml").write_text(INVALID, encoding="utf-8")
    assert schema_findings(root) == []  # the sabotage shows the file is what decided


@pytest.mark.skipif(not hasattr(os, "geteuid"), reason="no file modes to compare (Windows)")
@pytest.mark.parametrize("writable", ["file", "folder"])
def test_a_verdict_file_others_can_write_is_not_trusted(cache, tree, writable):
    root = tree({"databricks.yml": VALID})
    file = poison(cache, root)
    (file if writable == "file" else file.parent).chmod(0o666 if writable == "file" else 0o777)
    (root / "databricks.yml").write_text(INVALID, encoding="utf-8")
    assert schema_findings(root) == [MESSAGE]


def test_a_damaged_verdict_file_is_ignored_and_replaced(cache, tree):
    root = tree({"databricks.yml": VALID})
    schema_findings(root)
    remembered = verdict_lines(cache)
    [file] = (cache / "schema").iterdir()
    file.write_bytes(b"\xff\x00not a digest\n" + b"z" * 32 + b"\n")
    (root / "databricks.yml").write_text(INVALID, encoding="utf-8")
    assert schema_findings(root) == [MESSAGE]
    (root / "databricks.yml").write_text(VALID, encoding="utf-8")
    assert schema_findings(root) == []
    assert verdict_lines(cache) == remembered  # rewritten with what this run accepted


def test_past_the_limit_only_what_a_run_used_is_kept(cache, tree, monkeypatch):
    monkeypatch.setattr(verdicts, "LIMIT", 3)
    first = tree({"a/databricks.yml": VALID})
    schema_findings(first / "a")
    kept = verdict_lines(cache)
    second = tree({"b/databricks.yml": VALID.replace("name: b", "name: c").replace("2", "3")})
    schema_findings(second / "b")  # 2 + 2 digests > 3: the file keeps this run's two
    assert len(verdict_lines(cache)) == 2 and not set(verdict_lines(cache)) & set(kept)


def test_no_cache_folder_means_nothing_remembered(tree, monkeypatch, tmp_path):
    monkeypatch.setenv("DABPRP_CACHE_DIR", "")
    verdicts.remembered.cache_clear()
    try:
        root = tree({"databricks.yml": VALID})
        assert schema_findings(root) == []
        assert verdicts.remembered().path is None
    finally:
        verdicts.remembered.cache_clear()


PROBE = """
import contextlib, io, json, sys
from dabprp.cli import main
with contextlib.redirect_stdout(io.StringIO()):
    try:
        main(json.loads(sys.argv[1]))
    except SystemExit:
        pass
print(json.dumps(sorted(m for m in sys.modules if m.startswith("jsonschema"))))
"""


def validator_modules(root: Path, cache_dir: str, command: tuple[str, ...] = ("validate",)) -> list[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "DABPRP_CACHE_DIR": cache_dir}
    done = subprocess.run([sys.executable, "-c", PROBE, json.dumps([command[0], str(root), *command[1:]])],
                          capture_output=True,
                          text=True, env=env, check=True, timeout=120)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_second_run_on_a_valid_bundle_loads_no_validator(tree, tmp_path):
    root = tree({"databricks.yml": VALID})
    folder = str(tmp_path / "proc-cache")
    assert "jsonschema_rs" in validator_modules(root, folder)
    assert validator_modules(root, folder) == []
    assert "jsonschema_rs" in validator_modules(root, "")  # no cache: validated every time


@pytest.mark.parametrize("command", [("check",), ("generate", "--stdout")])
def test_a_second_run_on_the_example_loads_no_validator(command, tmp_path):
    folder = str(tmp_path / "proc-cache")
    assert "jsonschema_rs" in validator_modules(EXAMPLE, folder, command)
    assert validator_modules(EXAMPLE, folder, command) == []


def test_another_installed_validator_means_another_verdict_file(tmp_path, monkeypatch):
    """Verdicts hold for one schema and one validator: a rebuilt jsonschema-rs module (same `__init__.py`) or
    another jsonschema release gets a file of its own."""
    site = tmp_path / "site"
    package = site / "jsonschema_rs"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("# the same\n")
    (package / "jsonschema_rs.abi3.so").write_bytes(b"build 1")
    (site / "jsonschema-4.26.0.dist-info").mkdir()
    monkeypatch.setattr(sys, "path", [str(site), *sys.path])
    monkeypatch.setenv("DABPRP_CACHE_DIR", str(tmp_path / "cache"))

    def verdict_file() -> str | None:
        verdicts.remembered.cache_clear()
        return verdicts.remembered().path

    try:
        first = verdict_file()
        assert first is not None and first == verdict_file()
        (package / "jsonschema_rs.abi3.so").write_bytes(b"build 2, longer")
        second = verdict_file()
        (site / "jsonschema-4.26.0.dist-info").rename(site / "jsonschema-4.27.0.dist-info")
        third = verdict_file()
        assert len({first, second, third}) == 3
    finally:
        verdicts.remembered.cache_clear()
