"""Hostile file systems through the CLI: links that leave the project, FIFOs, foreign files at output paths,
modes, failed writes, the project lock and a process killed mid-write. Every test also checks that nothing
outside the project was written and that the user's files are unchanged."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import EXAMPLE, FIXTURES, copy_project

SECRET = "outside-secret-7f3a"
PRP = Path("PRPs") / "multi-stage-deployment.md"


def dabprp(*args: str, timeout: float = 60, env: dict | None = None, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dabprp", *args], capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, **(env or {})}, **kwargs)


def snapshot(root: Path) -> dict[str, bytes | str]:
    """Every entry under `root` (without following links): file bytes, link targets, FIFOs."""
    out: dict[str, bytes | str] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            full = Path(dirpath) / name
            rel = str(full.relative_to(root))
            if full.is_symlink():
                out[rel] = "link -> " + os.readlink(full)
            elif full.is_fifo():
                out[rel] = "fifo"
            elif full.is_file():
                out[rel] = full.read_bytes()
    return out


@pytest.fixture
def world(tmp_path):
    """A project and an outside folder holding a secret file; returns (project, outside, outside snapshot)."""
    project = copy_project(EXAMPLE, tmp_path / "project")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "databricks.yml").write_text(f"bundle:\n  name: {SECRET}\n")
    (outside / "stolen.yml").write_text(f"resources:\n  jobs:\n    {SECRET}: {{}}\n")
    (outside / "notes.md").write_text(f"{SECRET}\n")
    return project, outside, snapshot(outside)


def no_temp_files(root: Path) -> bool:
    return not [p for p in root.rglob(".dabprp-*.tmp")]


def test_symlinked_bundle_root_file_is_not_read(world):
    project, outside, before = world
    (project / "databricks.yml").unlink()
    (project / "databricks.yml").symlink_to(outside / "databricks.yml")
    result = dabprp("analyze", str(project), "--format", "json")
    assert result.returncode == 2, result.stderr  # the bundle root file cannot be read: unreadable input
    assert SECRET not in result.stdout + result.stderr
    assert "databricks.yml:1: a symbolic link leaves the project root; not read" in result.stderr
    mine = snapshot(project)
    scaffold = dabprp("scaffold", str(project))
    assert scaffold.returncode == 2 and "scaffold never replaces it" in scaffold.stderr
    assert snapshot(project) == mine and snapshot(outside) == before


def test_include_glob_through_a_link_to_root_never_walks_outside(world):
    project, outside, before = world
    (project / "resources").mkdir(exist_ok=True)
    (project / "resources" / "everything").symlink_to("/")
    (project / "resources" / "away").symlink_to(outside)
    bundle = project / "databricks.yml"
    bundle.write_text(bundle.read_text().replace("bundle:", "include:\n  - resources/**/*.yml\n\nbundle:", 1))
    started = time.monotonic()
    result = dabprp("analyze", str(project), "--format", "json", timeout=30)
    assert time.monotonic() - started < 10
    assert result.returncode == 0 and SECRET not in result.stdout + result.stderr
    validate = dabprp("validate", str(project), "--all-targets", timeout=30)
    assert validate.returncode in (0, 1) and SECRET not in validate.stdout + validate.stderr
    assert snapshot(outside) == before


def probe_target(python_file: str) -> str:
    """A target `probe` (appended to the example's `targets`) whose one job runs `python_file`."""
    return ("\n  probe:\n    resources:\n      jobs:\n        probe_job:\n          name: probe\n          tasks:\n"
            "            - task_key: t\n              spark_python_task:\n"
            f"                python_file: {python_file}\n")


def test_validate_does_not_reveal_whether_outside_paths_exist(world):
    project, outside, _ = world
    bundle = project / "databricks.yml"
    text = bundle.read_text()
    results = []
    for target in (str(outside / "notes.md"), str(outside / "missing.md")):
        bundle.write_text(text + probe_target(os.path.relpath(target, project)))
        result = dabprp("validate", str(project), "--all-targets", "--format", "json")
        results.append((result.returncode, result.stdout.replace("missing.md", "notes.md")))
    assert results[0] == results[1]
    assert "notes.md" not in results[0][1]


def test_analyze_does_not_reveal_whether_a_linked_task_file_s_target_exists(world):
    """A task file that is a link out of the project is not resolved, whether its target exists or not."""
    project, outside, _ = world
    bundle = project / "databricks.yml"
    bundle.write_text(bundle.read_text() + probe_target("./src/linked.py"))
    outputs = []
    for target in (outside / "notes.md", outside / "missing.md"):
        link = project / "src" / "linked.py"
        if link.is_symlink():
            link.unlink()
        link.symlink_to(target)
        result = dabprp("analyze", str(project), "--target", "probe", "--format", "json")
        assert result.returncode == 0, result.stderr
        outputs.append(result.stdout)
        [task] = [t for j in json.loads(result.stdout)["bundle"]["resources"]["jobs"] if j["key"] == "probe_job"
                  for t in j["tasks"]]
        assert task["resolved_path"] is None
    assert outputs[0] == outputs[1]


def test_symlinked_prps_folder_and_prp_file_are_refused(world):
    project, outside, before = world
    (project / "PRPs").symlink_to(outside, target_is_directory=True)
    result = dabprp("generate", str(project))
    assert result.returncode == 2 and "leaves the project root" in result.stderr
    assert snapshot(outside) == before
    (project / "PRPs").unlink()
    (project / "PRPs").mkdir()
    (project / PRP).symlink_to(outside / "notes.md")
    for args in (("generate", str(project)), ("status", str(project))):
        result = dabprp(*args)
        assert result.returncode == 2 and SECRET not in result.stdout + result.stderr, args
    assert snapshot(outside) == before and (project / PRP).is_symlink()


def test_output_through_a_link_is_refused(world):
    project, outside, before = world
    (project / "out").symlink_to(outside, target_is_directory=True)
    (project / "facts.json").symlink_to(outside / "notes.md")
    for output in ("out/facts.json", "facts.json"):
        result = dabprp("analyze", str(project), "-o", str(project / output))
        assert result.returncode == 2 and ("leaves the project root" in result.stderr
                                           or "is a symbolic link" in result.stderr), result.stderr
        result = dabprp("check", str(project), "--format", "sarif", "-o", str(project / output))
        assert result.returncode == 2
    assert snapshot(outside) == before


def test_generate_onto_a_file_dabprp_did_not_write_needs_force(world):
    project, _, _ = world
    bundle = project / "databricks.yml"
    original = bundle.read_bytes()
    result = dabprp("generate", str(project), "-o", str(bundle))
    assert result.returncode == 2 and "is not a PRP that dabprp wrote; --force replaces it" in result.stderr
    assert bundle.read_bytes() == original
    assert dabprp("generate", str(project), "-o", str(bundle), "--force").returncode == 0
    assert bundle.read_text().startswith("# PRP")


def test_scaffold_does_not_write_through_linked_folders(world):
    project, outside, before = world
    (project / "src" / "stages").symlink_to(outside, target_is_directory=True)
    (project / ".github").symlink_to(outside, target_is_directory=True)
    result = dabprp("scaffold", str(project))
    assert result.returncode == 0, result.stderr
    assert "keep    src/stages/deploy.py (a folder on the way is a symbolic link that leaves the project root" \
        in result.stdout
    assert snapshot(outside) == before
    forced = dabprp("scaffold", str(project), "--force")
    assert forced.returncode == 0 and snapshot(outside) == before


def test_scaffold_never_replaces_a_bundle_it_cannot_read(tmp_path):
    project = copy_project(FIXTURES / "rag-apps", tmp_path / "p")
    (project / "databricks.yml").write_text("- a list, not a mapping\n")
    before = snapshot(project)
    result = dabprp("scaffold", str(project))
    assert result.returncode == 2 and "scaffold never replaces it" in result.stderr
    assert snapshot(project) == before


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes")
def test_fifos_are_never_opened(world):
    project, _, _ = world
    (project / "PRPs").mkdir()
    os.mkfifo(project / PRP)
    for args in (("generate", str(project)), ("status", str(project))):
        result = dabprp(*args, timeout=30)
        assert result.returncode == 2 and "not a regular file" in result.stderr, args
    (project / ".dabprp").mkdir()
    os.mkfifo(project / ".dabprp" / "scaffold.json")
    result = dabprp("scaffold", str(project), timeout=30)
    assert result.returncode == 2 and ".dabprp/scaffold.json: not a regular file" in result.stderr
    os.remove(project / ".dabprp" / "scaffold.json")
    (project / "src" / "stages").mkdir()
    os.mkfifo(project / "src" / "stages" / "deploy.py")
    os.mkfifo(project / "src" / "pipe_module.py")  # a FIFO among the sources: discovery skips it
    result = dabprp("scaffold", str(project), timeout=30)
    assert result.returncode == 0 and "keep    src/stages/deploy.py (not a regular file" in result.stdout
    assert (project / "src" / "stages" / "deploy.py").is_fifo()
    assert dabprp("check", str(project), timeout=30).returncode in (0, 1)


def test_written_files_keep_their_mode_and_new_files_follow_the_umask(world):
    project, _, _ = world
    assert dabprp("generate", str(project)).returncode == 0
    prp = project / PRP
    assert prp.stat().st_mode & 0o777 == 0o644  # umask 022 of the test run
    os.chmod(prp, 0o640)
    prp.write_text(prp.read_text() + "\nmy notes\n")
    assert dabprp("generate", str(project)).returncode == 0
    assert prp.stat().st_mode & 0o777 == 0o640 and prp.read_text().endswith("\nmy notes\n")
    out = project / "facts.json"
    assert subprocess.run([sys.executable, "-c", "import os, sys, runpy; os.umask(0o027); "
                           "sys.argv = ['dabprp', 'analyze', sys.argv[1], '-o', sys.argv[2]]; "
                           "runpy.run_module('dabprp', run_name='__main__')", str(project), str(out)],
                          capture_output=True).returncode == 0
    assert out.stat().st_mode & 0o777 == 0o640


def test_a_failed_write_leaves_the_old_file_and_no_temp_file(world):
    project, _, _ = world
    assert dabprp("generate", str(project)).returncode == 0
    prp = project / PRP
    old = prp.read_bytes()
    prp.write_bytes(old.replace(b"## ", b"## edited ", 1))
    old = prp.read_bytes()

    def small_files() -> None:
        import resource

        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))

    result = subprocess.run([sys.executable, "-m", "dabprp", "generate", str(project)], capture_output=True,
                            text=True, preexec_fn=small_files, timeout=60)
    assert result.returncode == 2 and "cannot write" in result.stderr and "Traceback" not in result.stderr
    assert prp.read_bytes() == old and no_temp_files(project)


LOCK_HOLDER = """
import sys, time
from dabprp.confined_io import project_lock
with project_lock(sys.argv[1]):
    print("locked", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def test_a_second_writer_waits_for_the_lock_or_is_refused(world):
    project, _, _ = world
    holder = subprocess.Popen([sys.executable, "-c", LOCK_HOLDER, str(project), "3"], stdout=subprocess.PIPE,
                              text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        refused = dabprp("generate", str(project), env={"DABPRP_LOCK_WAIT": "0.3"})
        assert refused.returncode == 2 and "another dabprp run is writing to this project" in refused.stderr
        assert not (project / "PRPs").exists()
        waited = dabprp("generate", str(project), env={"DABPRP_LOCK_WAIT": "30"})
        assert waited.returncode == 0 and holder.poll() is not None  # it ran once the holder had finished
    finally:
        holder.kill()
        holder.wait()


def test_two_concurrent_scaffolds_give_the_result_of_two_runs_in_a_row(tmp_path):
    alone = copy_project(FIXTURES / "rag-apps", tmp_path / "alone")
    assert dabprp("scaffold", str(alone)).returncode == 0
    assert dabprp("scaffold", str(alone)).returncode == 0
    project = copy_project(FIXTURES / "rag-apps", tmp_path / "together")
    runs = [subprocess.Popen([sys.executable, "-m", "dabprp", "scaffold", str(project)], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outcomes = [(p.wait(timeout=120), p.stderr.read() if p.stderr else "") for p in runs]
    assert [code for code, _ in outcomes] == [0, 0], outcomes
    assert snapshot(project) == snapshot(alone) and no_temp_files(project)


STAGING = """  staging:
    mode: production
    workspace:
      root_path: /Workspace/Shared/.bundle/${bundle.name}/${bundle.target}
"""


def test_generate_killed_at_any_moment_leaves_the_old_or_the_new_prp(world, tmp_path):
    project, _, _ = world
    assert dabprp("generate", str(project)).returncode == 0
    prp = project / PRP
    old = prp.read_bytes() + b"\n## My notes\n" + b"x" * 200_000 + b"\n"
    bundle = project / "databricks.yml"
    bundle.write_text(bundle.read_text() + STAGING)
    twin = copy_project(project, tmp_path / "twin" / "project")
    (twin / "PRPs").mkdir()
    (twin / PRP).write_bytes(old)
    assert dabprp("generate", str(twin)).returncode == 0
    new = (twin / PRP).read_bytes()
    assert new != old and new.endswith(b"x" * 200_000 + b"\n")
    rng = random.Random(7)
    for _ in range(10):
        prp.write_bytes(old)
        process = subprocess.Popen([sys.executable, "-m", "dabprp", "generate", str(project)],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.05, 1.0))
        process.send_signal(signal.SIGKILL)
        process.wait()
        content = prp.read_bytes()
        assert content in (old, new), "half-written PRP"
    for leftover in project.rglob(".dabprp-*.tmp"):  # a kill cannot clean up, but never touches the PRP
        assert leftover.parent == project / "PRPs"
