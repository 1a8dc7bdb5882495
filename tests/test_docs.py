"""Documentation generated from code stays current, and the README's commands are the real ones."""

from __future__ import annotations

import re

from click.testing import CliRunner

from dabprp.cli import main
from tests.conftest import ROOT


def test_rules_md_is_current():
    result = CliRunner().invoke(main, ["rules", "--format", "md"])
    assert result.exit_code == 0
    assert (ROOT / "docs" / "rules.md").read_text() == result.stdout, "run: dabprp rules --format md > docs/rules.md"


def test_readme_setup_commands_and_command_reference():
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```sh\n(.*?)```", readme, flags=re.S)
    assert blocks[0].strip().endswith("dabprp generate examples/multiagent-genie")
    assert blocks[1].strip().endswith("pytest -q")
    assert "pytest -q" in (ROOT / ".ci" / "run").read_text()
    for command in main.commands:
        assert f"dabprp {command}" in readme, command
