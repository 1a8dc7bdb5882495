"""Compiled templates in the user's cache directory: used when sound, ignored (never an error) otherwise, and
never a change to what is rendered."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import jinja2
import pytest

from dabprp.render.template_cache import TemplateCache
from dabprp.user_cache import cache_dir
from tests.conftest import EXAMPLE, ROOT

TEMPLATES = {"page.j2": "{% for x in items %}- {{ x }}\n{% endfor %}total: {{ items | length }}\n"}


class Counting(jinja2.Environment):
    """An environment that counts its template compilations."""

    compiled = 0

    def compile(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        Counting.compiled += 1
        return super().compile(*args, **kwargs)


def render(directory: Path | str | None, templates: dict[str, str] = TEMPLATES, **options: object) -> str:
    """Render `page.j2` in a fresh environment (as a new process would) with the cache in `directory`."""
    env = Counting(loader=jinja2.DictLoader(templates), keep_trailing_newline=True,
                   bytecode_cache=TemplateCache(None if directory is None else str(directory)), **options)
    return env.get_template("page.j2").render(items=["a", "b"])


def cached_files(directory: Path) -> list[Path]:
    return sorted((directory / "templates").glob("*")) if (directory / "templates").exists() else []


@pytest.fixture(autouse=True)
def _count() -> None:
    Counting.compiled = 0


def test_a_second_environment_loads_the_compiled_template_instead_of_compiling(tmp_path):
    assert render(tmp_path) == "- a\n- b\ntotal: 2\n"
    assert Counting.compiled == 1
    [file] = cached_files(tmp_path)
    assert file.stat().st_mode & 0o777 == 0o600 and (tmp_path / "templates").stat().st_mode & 0o777 == 0o700
    assert render(tmp_path) == "- a\n- b\ntotal: 2\n"
    assert Counting.compiled == 1  # loaded
    assert cached_files(tmp_path) == [file]


def test_a_changed_template_or_environment_is_compiled_again(tmp_path):
    render(tmp_path)
    assert render(tmp_path, {"page.j2": "{{ items | join(',') }}\n"}) == "a,b\n"
    assert render(tmp_path, trim_blocks=True) == "- a\n- b\ntotal: 2\n"
    assert Counting.compiled == 3
    assert len(cached_files(tmp_path)) == 2  # jinja replaces the entry of a changed source; options have their own


def test_a_damaged_cache_file_is_compiled_again_and_replaced(tmp_path):
    render(tmp_path)
    [file] = cached_files(tmp_path)
    for damage in (b"", b"garbage", file.read_bytes()[:40]):
        file.write_bytes(damage)
        assert render(tmp_path) == "- a\n- b\ntotal: 2\n"
    assert Counting.compiled == 4
    assert render(tmp_path) == "- a\n- b\ntotal: 2\n"
    assert Counting.compiled == 4  # the last compilation was written back whole


def test_no_usable_directory_means_no_cache_and_no_error(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    for directory in (None, blocker / "cache"):
        assert render(directory) == "- a\n- b\ntotal: 2\n"
        assert render(directory) == "- a\n- b\ntotal: 2\n"
    assert Counting.compiled == 4
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file"]


def test_a_directory_others_can_write_is_neither_read_nor_written(tmp_path):
    render(tmp_path)
    [file] = cached_files(tmp_path)
    (tmp_path / "templates").chmod(0o777)  # someone else could have put code there
    file.write_bytes(b"j2 not what dabprp wrote")
    assert render(tmp_path) == "- a\n- b\ntotal: 2\n"
    assert Counting.compiled == 2
    assert file.read_bytes() == b"j2 not what dabprp wrote"


@pytest.mark.skipif(not hasattr(os, "geteuid"), reason="no file owners to compare (Windows)")
def test_a_cache_file_of_another_user_is_not_loaded(tmp_path, monkeypatch):
    render(tmp_path)
    [file] = cached_files(tmp_path)
    if os.geteuid() == 0:
        os.chown(file, 65534, -1)
    else:  # without root a file cannot be given away: the loader is shown the file as another user's
        real_fstat, cached = os.fstat, os.stat(file)

        def fstat(fd: int) -> os.stat_result:
            st = real_fstat(fd)
            return os.stat_result((*st[:4], st.st_uid + 1, *st[5:10])) if os.path.samestat(st, cached) else st

        monkeypatch.setattr(os, "fstat", fstat)
    render(tmp_path)
    assert Counting.compiled == 2


def test_the_cache_directory_follows_the_platform_convention(tmp_path):
    assert cache_dir({"DABPRP_CACHE_DIR": str(tmp_path)}) == str(tmp_path)
    assert cache_dir({"DABPRP_CACHE_DIR": "", "XDG_CACHE_HOME": str(tmp_path)}) is None
    if sys.platform.startswith("linux"):
        assert cache_dir({"XDG_CACHE_HOME": str(tmp_path)}) == str(tmp_path / "dabprp")
        home = os.path.expanduser("~")
        assert cache_dir({"XDG_CACHE_HOME": "relative"}) == os.path.join(home, ".cache", "dabprp")
        assert cache_dir({}) == os.path.join(home, ".cache", "dabprp")


def generate(cache: str) -> str:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "DABPRP_CACHE_DIR": cache}
    done = subprocess.run([sys.executable, "-m", "dabprp", "generate", str(EXAMPLE), "--stdout"], env=env,
                          capture_output=True, text=True, check=True, timeout=120)
    return done.stdout


def test_generate_writes_the_same_prp_with_and_without_the_cache(tmp_path):
    uncached = generate("")
    assert generate(str(tmp_path)) == uncached  # compiled and written
    [file] = cached_files(tmp_path)
    written = file.stat()
    assert generate(str(tmp_path)) == uncached  # loaded
    assert (file.stat().st_ino, file.stat().st_mtime_ns) == (written.st_ino, written.st_mtime_ns)
