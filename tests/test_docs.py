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


def test_readme_documents_every_option_of_every_command():
    import click

    readme = (ROOT / "README.md").read_text()
    rows = [line for line in readme.splitlines() if line.startswith("| `dabprp ")]

    def commands(group: click.Group, prefix: str):
        for name, command in sorted(group.commands.items()):
            if isinstance(command, click.Group):
                yield from commands(command, f"{prefix} {name}")
            else:
                yield f"{prefix} {name}", command

    missing = []
    for name, command in commands(main, "dabprp"):
        row = next((r for r in rows if r.startswith((f"| `{name} ", f"| `{name}`"))), None)
        if row is None:
            missing.append(name)
            continue
        for param in command.params:
            # the row, or a section of its own (`--refine` and the LLM flags), documents the option
            if isinstance(param, click.Option) and "--help" not in param.opts and not any(
                    re.search(rf"[\[ `]{re.escape(opt)}\b", row) or f"`{opt}`" in readme for opt in param.opts):
                missing.append(f"{name} {max(param.opts, key=len)}")
    assert missing == []
