from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "multiagent-genie"
FIXTURES = ROOT / "tests" / "fixtures" / "projects"
GOLDEN = ROOT / "tests" / "golden"
CORPUS = ROOT.parent / "shared" / "corpus"
SHARED_REFERENCE = ROOT.parent / "shared" / "reference"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", help="rewrite tests/golden files")


@pytest.fixture(autouse=True, scope="session")
def _template_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Compiled templates go to a directory of the test session, never to the user's cache directory."""
    os.environ["DABPRP_CACHE_DIR"] = str(tmp_path_factory.mktemp("dabprp-cache"))


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


def write_tree(root: Path, files: dict[str, str | bytes]) -> Path:
    """Create a small project: {relative path: text or bytes}."""
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


def copy_project(src: Path, dest: Path) -> Path:
    """A working copy of a project, without what earlier runs wrote into it (the README's command writes
    `PRPs/` into the example) or Python caches."""
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns("PRPs", ".dabprp", "__pycache__"))
    return dest


def copy_into(src: Path, tmp_path: Path) -> Path:
    """`copy_project` into `tmp_path`, keeping the project's folder name."""
    return copy_project(src, tmp_path / src.name)


def file_bytes(root: Path) -> dict[str, bytes]:
    """Every regular file under `root`, by relative path."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def check_golden(path: Path, actual: str, update: bool) -> None:
    if update or not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
        if not update:
            pytest.fail(f"golden file {path.name} was missing and has been written; re-run")
    assert actual == path.read_text(encoding="utf-8"), f"output differs from {path}; review and --update-golden"


@pytest.fixture
def tree(tmp_path: Path):
    def make(files: dict[str, str | bytes]) -> Path:
        return write_tree(tmp_path, files)

    return make


os.environ.setdefault("COLUMNS", "120")
