"""Which jobs of the scaffolded workflow run for each event, evaluated the way GitHub Actions evaluates their
`if:` and `needs:`: a push to main deploys staging then prod; a pull request only tests; a manual dispatch (the
prod rollout of an approved version, where the plan has one) runs the rollout and deploys nothing else."""

from __future__ import annotations

import re

import pytest
import yaml

from dabprp.api import scaffold
from tests.conftest import EXAMPLE, FIXTURES, copy_into


def _holds(condition: str | None, context: dict[str, str]) -> bool:
    if condition is None:
        return True
    terms = [t.strip() for t in condition.split("&&")]
    out = True
    for term in terms:
        match = re.fullmatch(r"([\w.]+) == '([^']*)'", term)
        assert match, f"condition this test does not evaluate: {term}"
        out = out and context[match.group(1)] == match.group(2)
    return out


def jobs_run(workflow: dict, event: str, ref: str = "refs/heads/main") -> list[str]:
    triggers = workflow.get("on") or workflow.get(True)
    if event not in triggers:
        return []
    context = {"github.event_name": event, "github.ref": ref}
    ran: list[str] = []
    for name, job in workflow["jobs"].items():  # in file order: needs refer to earlier jobs
        needs = job.get("needs") or []
        needs = [needs] if isinstance(needs, str) else needs
        if all(n in ran for n in needs) and _holds(job.get("if"), context):
            ran.append(name)
    return ran


@pytest.mark.parametrize(("source", "dispatch"), [(EXAMPLE, []), (FIXTURES / "multi-target", ["test", "rollout-prod"])],
                         ids=["agents-deploy", "bundle-endpoint"])
def test_each_event_runs_the_jobs_it_should(source, dispatch, tmp_path):
    root = copy_into(source, tmp_path)
    scaffold(str(root))
    workflow = yaml.safe_load((root / ".github" / "workflows" / "dabprp-deploy.yml").read_text())
    assert jobs_run(workflow, "push") == ["test", "deploy-staging", "deploy-prod"]
    assert jobs_run(workflow, "push", "refs/heads/feature") == ["test"]
    assert jobs_run(workflow, "pull_request", "refs/pull/1/merge") == ["test"]
    assert jobs_run(workflow, "workflow_dispatch") == dispatch
