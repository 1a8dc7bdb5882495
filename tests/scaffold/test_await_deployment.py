"""The build job's await step against the Jobs API (a local fake) and a local MLflow registry: it waits for an
approver only while the approval task says the approval is missing; a crashed approval task fails it at once."""

from __future__ import annotations

import pytest

from tests.scaffold.conftest import load_stage

MODEL = "main.agents.agent"
PENDING = "ApprovalPending: main.agents.agent version 1 has no `Approval_Check` tag yet"


@pytest.fixture
def stage(scaffolded_example, mlflow_local, fake_workspace):
    from databricks.sdk import WorkspaceClient
    from mlflow import MlflowClient

    registry = MlflowClient()
    registry.create_registered_model(MODEL)
    registry.create_model_version(MODEL, source="file:///tmp/agent")
    module = load_stage(scaffolded_example, "await_deployment")
    jobs = WorkspaceClient().jobs

    def wait(approval_wait: float) -> dict:
        ticks = iter(range(0, 10_000, 60))
        return module.wait(jobs, registry, "7", MODEL, "1", 600, approval_wait, sleep=lambda s: None,
                           clock=lambda: float(next(ticks)))

    return module, fake_workspace.state, wait


def _record(state, approval: str, error: str | None = None) -> None:
    with state.lock:
        state.record_run("7", {"model_name": MODEL, "model_version": "1"}, "MODEL", "FAILED",
                         [("Evaluation", "SUCCESS"), ("Approval_Check", approval), ("Deployment", "UPSTREAM_FAILED")],
                         {"Approval_Check": error} if error else None)


def test_a_missing_approval_is_waited_for_then_reported(stage):
    module, state, wait = stage
    _record(state, "FAILED", PENDING)
    with pytest.raises(module.DeploymentNotSucceeded, match="waits at Approval_Check for more than 300 s"):
        wait(300)


def test_a_crashed_approval_task_fails_at_once_with_its_error(stage):
    module, state, wait = stage
    _record(state, "FAILED", "KeyError: 'tags'")
    with pytest.raises(module.DeploymentNotSucceeded) as raised:
        wait(3600)
    assert "approval task failed, not waiting for an approver: Approval_Check: KeyError: 'tags'" in str(raised.value)


def test_an_unreadable_task_output_counts_as_waiting(stage):
    module, state, wait = stage
    _record(state, "FAILED")  # no output recorded: the API answers 404
    with pytest.raises(module.DeploymentNotSucceeded, match="waits at Approval_Check"):
        wait(120)
