"""PRP regeneration through `dabprp generate` keeps every byte the user wrote: unknown regions, markers in
code fences, notes swallowed by a moved end marker, hand ticks, line endings; ambiguous markers refuse."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from dabprp import living
from tests.conftest import FIXTURES, copy_project

PRP = Path("PRPs") / "multi-stage-deployment.md"
STAGING = """  staging:
    mode: production
    workspace:
      root_path: /Workspace/Shared/.bundle/${bundle.name}/${bundle.target}
"""


def dabprp(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dabprp", *args], capture_output=True, text=True, timeout=60)


@pytest.fixture
def project(tmp_path):
    """rag-apps with a generated PRP; regenerating after the bundle change refreshes the regions."""
    root = copy_project(FIXTURES / "rag-apps", tmp_path / "p")
    assert dabprp("generate", str(root)).returncode == 0
    bundle = root / "databricks.yml"
    bundle.write_text(bundle.read_text().replace("targets:\n", "targets:\n" + STAGING, 1))
    return root


def begin(name: str, text: str) -> str:
    match = re.search(rf"<!-- dabprp:begin {name} [0-9a-f]{{12}} -->\n", text)
    assert match, name
    return match.group(0)


def regenerate(root: Path, prp_text: bytes) -> tuple[subprocess.CompletedProcess, bytes]:
    (root / PRP).write_bytes(prp_text)
    result = dabprp("generate", str(root))
    return result, (root / PRP).read_bytes()


def test_unknown_region_is_kept_with_its_content(project):
    text = (project / PRP).read_text()
    mine = "<!-- dabprp:begin my-notes -->\nOur rollout is on Tuesdays.\n<!-- dabprp:end my-notes -->\n"
    marker = begin("stages", text)
    result, after = regenerate(project, text.replace(marker, mine + marker).encode())
    assert result.returncode == 0, result.stderr
    assert mine.encode() + b"<!-- dabprp:begin stages " in after
    assert b"staging" in after  # the known regions were refreshed


def test_markers_inside_a_code_fence_are_text(project):
    text = (project / PRP).read_text()
    fence = ("```markdown\n<!-- dabprp:begin stages -->\nexample only\n<!-- dabprp:end stages -->\n"
             "<!-- dabprp:end nothing -->\n```\n")
    result, after = regenerate(project, (text + "\n## How we use it\n" + fence).encode())
    assert result.returncode == 0, result.stderr
    assert after.decode().endswith("\n## How we use it\n" + fence)
    assert after.decode().count("example only") == 1


def test_an_end_marker_moved_past_user_notes_keeps_the_notes(project):
    text = (project / PRP).read_text()
    notes = "Our own note under the stages.\n\n- keep this bullet\n"
    end = "<!-- dabprp:end stages -->\n"
    moved = text.replace(end, notes + end, 1)
    result, after = regenerate(project, moved.encode())
    assert result.returncode == 0, result.stderr
    assert (end + notes).encode() in after
    assert after.count(b"Our own note under the stages.") == 1


def test_a_region_edited_by_hand_is_kept_and_reported(project):
    text = (project / PRP).read_text()
    marker = begin("stages", text)
    edited = text.replace(marker, marker + "My edit inside the region.\n", 1)
    result, after = regenerate(project, edited.encode())
    assert result.returncode == 0
    assert "region `stages` was edited by hand; kept as it is" in result.stderr
    assert b"My edit inside the region.\n" in after
    again, second = regenerate(project, after)
    assert again.returncode == 0 and second == after


def test_hand_ticks_are_kept(project):
    text = (project / PRP).read_text()
    item = re.search(r"^- \[ \] \*\*(T\d+)\*\*", text, flags=re.M)
    assert item
    ticked = text.replace(item.group(0), item.group(0).replace("[ ]", "[x]"), 1)
    result, after = regenerate(project, ticked.encode())
    assert result.returncode == 0, result.stderr
    assert f"- [x] **{item.group(1)}**".encode() in after
    assert living.parse_items(after.decode())[item.group(1)].checked


@pytest.mark.parametrize("damage", ["begin", "end", "both"])
def test_deleted_markers_refuse_and_leave_the_file_untouched(project, damage):
    text = (project / PRP).read_text()
    damaged = text
    if damage in ("begin", "both"):
        damaged = damaged.replace(begin("stages", text), "", 1)
    if damage in ("end", "both"):
        damaged = damaged.replace("<!-- dabprp:end stages -->\n", "", 1)
    result, after = regenerate(project, damaged.encode())
    assert result.returncode == 2 and "the PRP was not changed" in result.stderr
    assert re.search(r"multi-stage-deployment\.md:\d+: ", result.stderr)
    assert after == damaged.encode()


def test_markers_with_trailing_spaces_are_still_markers(project):
    text = (project / PRP).read_text()
    spaced = re.sub(r"(<!-- dabprp:(?:begin|end) [^\n]*-->)\n", r"\1  \n", text)
    result, after = regenerate(project, spaced.encode())
    assert result.returncode == 0, result.stderr
    out = after.decode()
    assert out.count("<!-- dabprp:begin stages ") == 1 and out.count("## ") == text.count("## ")


def test_a_malformed_marker_refuses(project):
    text = (project / PRP).read_text()
    broken = text.replace("<!-- dabprp:end stages -->", "<!-- dabprp:end stages", 1)
    result, after = regenerate(project, broken.encode())
    assert result.returncode == 2 and "malformed dabprp marker" in result.stderr
    assert after == broken.encode()
    status = dabprp("status", str(project))
    assert status.returncode == 2 and "malformed dabprp marker" in status.stderr


@pytest.mark.parametrize("newline", ["\r\n", "\r"])
def test_line_endings_are_kept_byte_for_byte(project, newline):
    text = (project / PRP).read_text()
    notes = f"My note{newline}second line{newline}"
    converted = text.replace("\n", newline) + notes
    result, after = regenerate(project, converted.encode())
    assert result.returncode == 0, result.stderr
    assert after.endswith(notes.encode())
    assert b"\n" not in after.replace(b"\r\n", b"") if newline == "\r\n" else b"\n" not in after
    assert b"staging" in after
    again, second = regenerate(project, after)
    assert again.returncode == 0 and second == after
