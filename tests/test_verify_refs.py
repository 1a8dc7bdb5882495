"""`verify-refs`: generated PRPs verify clean; invented references are caught with their line."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from dabprp.api import generate, plan
from dabprp.cli import main
from dabprp.verify import verify_text
from tests.conftest import EXAMPLE, FIXTURES


@pytest.mark.parametrize("project", [EXAMPLE, FIXTURES / "rag-apps", FIXTURES / "multi-target",
                                     FIXTURES / "never-execute"])
def test_generated_prp_has_no_invented_reference(project):
    text, _ = generate(str(project))
    built, analyzed = plan(str(project))
    assert verify_text(text, analyzed, built, str(project)) == []


CASES = [
    ("See `src/multiagent_genie.py:133` for the supervisor node.", None),
    ("See `src/multiagent_genie.py:9999`.", "has 184 lines"),
    ("The agent lives in `src/agent_core.py:10`.", "does not exist"),
    ("Edit `src/orchestrator/graph.py`.", "no such file"),
    ("Run the `sec_agent_prod_job` job.", "no job, task"),
    ("The task `deploy_agent` of `agent_deploy_job` stays.", None),
    ("Use `${var.catalog}` and `${var.warehouse}`.", "no variable `warehouse`"),
    ("Reference `${resources.jobs.agent_deploy_job.id}` and `${resources.jobs.ghost_job.id}`.", "no resource"),
    ("Planned: `resources/deployment_job.yml` and `multiagent_genie_deployment`.", None),
]


@pytest.mark.parametrize(("text", "problem"), CASES)
def test_reference_cases(text, problem):
    built, analyzed = plan(str(EXAMPLE))
    found = verify_text("# t\n\n" + text + "\n", analyzed, built, str(EXAMPLE))
    if problem is None:
        assert found == []
    else:
        assert len(found) == 1 and problem in found[0].reason and found[0].line == 3


def test_yaml_blocks_are_not_checked():
    built, analyzed = plan(str(EXAMPLE))
    assert verify_text("```yaml\nx: `made_up_name`\n```\n", analyzed, built, str(EXAMPLE)) == []


def test_cli_exit_codes_and_lines(tmp_path):
    good = tmp_path / "good.md"
    good.write_text("The graph is at `src/multiagent_genie.py:132`.\n")
    result = CliRunner().invoke(main, ["verify-refs", str(good), "--project", str(EXAMPLE)])
    assert result.exit_code == 0
    bad = tmp_path / "bad.md"
    bad.write_text("ok\n\nRun `nightly_eval_job` from `src/jobs/nightly.py`.\n")
    result = CliRunner().invoke(main, ["verify-refs", str(bad), "--project", str(EXAMPLE)])
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        f"{bad}:3: `nightly_eval_job`: no job, task, resource, variable or symbol of this name in the project "
        "or the plan",
        f"{bad}:3: `src/jobs/nightly.py`: no such file in the project or the plan",
    ]
    assert CliRunner().invoke(main, ["verify-refs", str(tmp_path / "none.md")]).exit_code == 2
