"""The import contracts of pyproject.toml ([tool.importlinter]): no import circle, no upward import."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_import_contracts_are_kept() -> None:
    pytest.importorskip("importlinter")
    script = "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())"
    done = subprocess.run([sys.executable, "-c", script, "--no-cache"], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "0 broken" in done.stdout



def test_bundle_root_file_names_have_one_definition() -> None:
    """Only parse/bundle_load.py spells out the root-file names; every other module imports ROOT_FILES (a second
    copy once missed `bundle.yaml`)."""
    src = pathlib.Path(ROOT, "src", "dabprp")
    spelled = sorted(str(p.relative_to(ROOT)) for p in src.rglob("*.py") if '"bundle.yaml"' in p.read_text("utf-8"))
    assert spelled == ["src/dabprp/parse/bundle_load.py"]
