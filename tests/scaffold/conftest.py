from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path
from types import ModuleType

import pytest

from dabprp.api import scaffold
from tests.conftest import EXAMPLE, FIXTURES, copy_project


@pytest.fixture(scope="session")
def scaffolded_example(tmp_path_factory) -> Path:
    """A copy of the reference project after `dabprp scaffold` (shared: tests must not modify it)."""
    dest = tmp_path_factory.mktemp("scaffolded") / "multiagent-genie"
    copy_project(EXAMPLE, dest)
    scaffold(str(dest))
    return dest


def scaffolded_copies(factory, names, label: str) -> dict[str, Path]:
    """Each named fixture project copied to a temp dir (one per `label`) and scaffolded, by name."""
    out = {}
    for name in names:
        dest = copy_project(FIXTURES / name, factory.mktemp(label) / name)
        scaffold(str(dest))
        out[name] = dest
    return out


def load_stage(project: Path, name: str) -> ModuleType:
    """Import one generated stage module by file path (it imports nothing from the analyzed project)."""
    path = project / "src" / "stages" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"stage_{name}_{abs(hash(project))}", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def mlflow_local(tmp_path, monkeypatch):
    """MLflow with a local SQLite tracking store and registry in a temp dir."""
    mlflow = pytest.importorskip("mlflow")
    from dabprp.rehearse import empty_store

    shutil.copyfile(empty_store(), tmp_path / "mlflow.db")  # migrating a new store takes seconds
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    monkeypatch.setenv("MLFLOW_REGISTRY_URI", uri)
    monkeypatch.chdir(tmp_path)
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    mlflow.set_experiment("dabprp-tests")
    yield mlflow
    mlflow.set_tracking_uri(None)
    mlflow.set_registry_uri(None)


@pytest.fixture
def fake_workspace(monkeypatch):
    from dabprp.rehearse.fakes import FakeWorkspace

    with FakeWorkspace() as fake:
        for name in [n for n in __import__("os").environ if n.startswith("DATABRICKS_")]:
            monkeypatch.delenv(name)
        monkeypatch.setenv("DATABRICKS_HOST", fake.host)
        monkeypatch.setenv("DATABRICKS_TOKEN", "test")
        monkeypatch.setenv("DATABRICKS_CONFIG_FILE", "/nonexistent/databrickscfg")
        yield fake
