"""The PRP's bundle YAML is scaffold's change set: new files whole, edits as unified diffs that apply."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from dabprp.api import generate, scaffold
from dabprp.scaffold.changes import unified_diff
from tests.conftest import EXAMPLE, FIXTURES, copy_project, write_tree

PROJECTS = {"deployed-edit": FIXTURES / "deployed-edit", "multi-target": FIXTURES / "multi-target",
            "rag-apps": FIXTURES / "rag-apps", "no-bundle": FIXTURES / "no-bundle", "multiagent-genie": EXAMPLE}
BLOCK = re.compile(r"^#### .*? — `([^`]+)` \(([^)]*)\)\n(?:```(yaml|diff)\n(.*?)```\n)?", re.M | re.S)


def prp_blocks(text: str) -> dict[str, tuple[str, str]]:
    section = text.split("### 2.1 DAB configuration", 1)[1].split("### 2.2", 1)[0]
    return {m.group(1): (m.group(2), m.group(4) or "") for m in BLOCK.finditer(section)}


@pytest.mark.parametrize("name", sorted(PROJECTS))
def test_prp_yaml_is_exactly_what_scaffold_writes(name, tmp_path):
    project = copy_project(PROJECTS[name], tmp_path / name)
    text, _ = generate(str(project))
    changes = [c for c in scaffold(str(project), dry_run=True).changes
               if c.path.endswith((".yml", ".yaml")) and not c.path.startswith(".github/")]
    blocks = prp_blocks(text)
    assert sorted(blocks) == sorted(c.path for c in changes)
    for c in changes:
        label, body = blocks[c.path]
        if c.kind == "create":
            assert label == "new file" and body == c.new, c.path
        else:
            assert (c.kind, label) == ("update", "edit") and body == unified_diff(c), c.path
    # the diffs apply to the user's files and give exactly what scaffold writes
    patch = "".join(body for label, body in blocks.values() if label == "edit")
    if patch:
        subprocess.run(["git", "apply", "-"], input=patch, text=True, cwd=project, check=True, capture_output=True)
        for c in changes:
            if c.kind == "update":
                assert (project / c.path).read_text() == c.new


def test_after_scaffold_the_prp_shows_the_files_in_place(tmp_path):
    project = copy_project(FIXTURES / "deployed-edit", tmp_path / "p")
    scaffold(str(project))
    blocks = prp_blocks(generate(str(project))[0])
    assert {label for label, _ in blocks.values()} == {"in place: scaffold changes nothing"}
    for path, (_, body) in blocks.items():
        assert body == (Path(project) / path).read_text()


def test_a_bundle_scaffold_refuses_is_said_so(tmp_path):
    project = write_tree(tmp_path / "t", {"databricks.yml": "bundle:\n  name: x\ntargets:\n  - dev\n"})
    text, _ = generate(str(project))
    section = text.split("### 2.1 DAB configuration", 1)[1].split("### 2.2", 1)[0]
    assert "`dabprp scaffold` would not edit this bundle yet (databricks.yml:3: `targets` must be a mapping; " \
           "not edited)." in section
