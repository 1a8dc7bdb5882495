"""`generate --format json` carries data, not Markdown or YAML text: the plan holds typed values and prose
with its names marked as data (`Text`); only render and scaffold write Markdown and YAML."""

from __future__ import annotations

import json
import re

import jsonschema_rs
import pytest
from click.testing import CliRunner

from dabprp.cli import main
from dabprp.facts_schema import plan_schema
from dabprp.plan.model import Code, prose
from dabprp.render.prose import md
from tests.conftest import EXAMPLE, FIXTURES

PROJECTS = [EXAMPLE, FIXTURES / "rag-apps", FIXTURES / "multi-target", FIXTURES / "no-bundle"]
MARKDOWN = {
    "code span": re.compile(r"`"),
    "bold": re.compile(r"\*\*"),
    "table row": re.compile(r"^\s*\|.*\|\s*$", re.M),
    "multi-line text (a YAML document, a block)": re.compile(r"\n"),
}
NOT_WALKED = {
    "findings": "the Report's findings, as `check`, SARIF and MCP publish them (their own contract)",
    "bundle_files[].variables[].description": "a variable's description as the bundle file will say it",
}
NOT_YET_DATA: set[str] = set()
"""Prose fields that still hold Markdown code spans (each left this list when it became `Text`)."""


def _walk(value, path):
    if path.lstrip(".") in NOT_WALKED:
        return
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _walk(item, f"{path}.{key}")
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item, f"{path}[]")
    elif isinstance(value, str):
        for what, pattern in MARKDOWN.items():
            if pattern.search(value):
                yield path, what, value


@pytest.mark.parametrize("project", PROJECTS, ids=lambda p: p.name)
def test_plan_json_has_no_markdown_or_yaml_text(project):
    result = CliRunner().invoke(main, ["generate", str(project), "--format", "json", "--stdout"])
    assert result.exit_code == 0, result.output
    plan = json.loads(result.stdout)
    jsonschema_rs.validator_for(plan_schema()).validate(plan)
    for f in plan["bundle_files"]:  # typed resources, not configuration trees
        assert "document" not in f
        assert all({"kind", "key"} <= set(r) for r in f["resources"])
    found = sorted({(path, what) for path, what, _ in _walk(plan, "")})
    assert [(path, what) for path, what in found if path not in NOT_YET_DATA] == []
    if project == EXAMPLE:  # the list is exact: a field converted leaves it
        assert {path for path, _ in found} == NOT_YET_DATA


def test_prose_is_plain_text_in_json_and_code_in_the_prp():
    result = CliRunner().invoke(main, ["generate", str(EXAMPLE), "--format", "json", "--stdout"])
    plan = json.loads(result.stdout)
    assert plan["current_state"][:3] == [
        {"label": "bundle", "value": "multiagent-genie", "location": {"path": "databricks.yml", "line": 3}},
        {"label": "target", "value": "dev (mode production, default)",
         "location": {"path": "databricks.yml", "line": 58}},
        {"label": "job", "value": "agent_deploy_job: deploy_agent", "location": {"path": "databricks.yml", "line": 28}},
    ]
    prp = CliRunner().invoke(main, ["generate", str(EXAMPLE), "--stdout"]).stdout
    assert "| job | `agent_deploy_job`: `deploy_agent` | `databricks.yml:28` |" in prp


def test_a_value_never_adds_or_ends_a_name():
    sentence = prose("run `{cmd}` on {target}", cmd="a`b", target="x `y`")
    assert sentence.parts == ("run ", Code("a`b"), " on x `y`")
    assert str(sentence) == "run a`b on x `y`"
    assert md(sentence) == "run `` a`b `` on x `y`"
    with pytest.raises(ValueError, match="unbalanced"):
        prose("one ` too many")
