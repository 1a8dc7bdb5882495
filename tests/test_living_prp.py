"""The PRP as a living document: user notes survive regeneration, fixed gaps flip to done, regressions show."""

from __future__ import annotations

import json
import re

from click.testing import CliRunner

from dabprp import living
from dabprp.cli import main
from tests.conftest import EXAMPLE, copy_project

STAGING = """  staging:
    mode: production
    workspace:
      root_path: /Workspace/Shared/.bundle/${bundle.name}/${bundle.target}
    run_as:
      service_principal_name: 00000000-0000-0000-0000-000000000001
"""
GATE = '\nif results.metrics["correctness/mean"] < 0.8:\n    raise RuntimeError("quality gate failed")\n'


def cli(*args: str):
    return CliRunner().invoke(main, list(args))


def test_generate_update_status_regression(tmp_path):
    project = tmp_path / "proj"
    copy_project(EXAMPLE, project)
    prp = project / "PRPs" / "multi-stage-deployment.md"
    assert cli("generate", str(project)).exit_code == 0
    original = prp.read_text()
    before = living.parse_items(original)
    assert {i.id for i in before.values() if i.id.startswith("T")} >= {"T01", "T09", "T16"}
    assert not any(i.checked for i in before.values() if i.id.startswith("G-"))

    # user edits: title, notes between sections, a note inside nothing generated, text at the end
    edited = original.replace("# PRP: multi-stage deployment", "# Our deployment plan (edited)", 1)
    edited = re.sub(r"(<!-- dabprp:begin technical-requirements \w+ -->)",
                    r"Team note: review with platform team on Monday.\n\n\1", edited, count=1)
    edited = re.sub(r"(<!-- dabprp:begin appendix-a-findings \w+ -->)",
                    r"> Decision: we keep Model Serving for now.\n\n\1", edited, count=1)
    edited += "\n## Our own appendix\nNothing generated here.\n"
    prp.write_text(edited)

    # fix two gaps: a staging target and an evaluation threshold
    bundle = project / "databricks.yml"
    bundle.write_text(bundle.read_text() + STAGING)
    evaluation = project / "src" / "evaluation.py"
    evaluation.write_text(evaluation.read_text() + GATE)

    assert cli("generate", str(project)).exit_code == 0
    updated = prp.read_text()
    for note in ("# Our deployment plan (edited) for `multiagent-genie`\n",
                 "Team note: review with platform team on Monday.\n\n",
                 "> Decision: we keep Model Serving for now.\n\n", "\n## Our own appendix\nNothing generated here.\n"):
        assert note in updated
    assert updated.endswith("\n## Our own appendix\nNothing generated here.\n")
    after = living.parse_items(updated)
    flipped = sorted(i for i in after if after[i].checked and not before[i].checked) if set(before) <= set(
        after) else None
    assert flipped is not None and len(flipped) == 2
    texts = " ".join(after[i].text for i in flipped)
    assert "`DAB101`" in texts and "`DAB502`" in texts

    result = cli("status", str(project), "--format", "json")
    assert result.exit_code == 0
    states = {i["id"]: i for i in json.loads(result.stdout)["items"]}
    for item_id in flipped:
        assert states[item_id]["state"] == "done" and states[item_id]["evidence"] == ["no longer reported"]
    open_gap = next(i for i in states.values() if i["kind"] == "gap" and i["state"] == "open")
    assert " at " in open_gap["evidence"][0]

    # undo one fix: the staging target goes away again
    bundle.write_text(bundle.read_text().replace(STAGING, ""))
    result = cli("status", str(project))
    assert result.exit_code == 1
    regressed = [line for line in result.stdout.splitlines() if line.startswith("regressed")]
    assert len(regressed) == 1 and "DAB101 at databricks.yml:58" in regressed[0]

    # --force regenerates from scratch: user text is gone, the title is the generated one
    assert cli("generate", str(project), "--force").exit_code == 0
    assert prp.read_text().startswith("# PRP: multi-stage deployment")


def test_merge_keeps_user_text_byte_for_byte():
    old = ("# T\n\nintro\n" + living.wrap("a", "A1\n") + "\nmiddle\n" + living.wrap("b", "B1\n") + "tail")
    new = "# X\n\n" + living.wrap("a", "A2\n") + living.wrap("c", "C2\n") + living.wrap("b", "B2\n")
    merged = living.merge(old, new).text
    assert merged == living.stamp("# T\n\nintro\n" + living.wrap("a", "A2\n") + living.wrap("c", "C2\n") + "\nmiddle\n"
                      + living.wrap("b", "B2\n") + "tail")


def test_status_without_prp_is_usage_error(tmp_path):
    result = cli("status", str(EXAMPLE), "--prp", str(tmp_path / "none.md"))
    assert result.exit_code == 2 and "no PRP found" in result.stderr
