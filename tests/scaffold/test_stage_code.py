"""The generated stage code, exercised with the real libraries offline: MLflow with a local SQLite store
and registry, the Databricks SDK's own types, and fakes only at the network boundary (serving)."""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass, field

import pytest

from tests.scaffold.conftest import load_stage

pytest.importorskip("mlflow")


# --------------------------------------------------------------------------- evaluate


def stub_agent(mlflow, right: bool):
    """A stand-in agent: routes comparative questions to `parallel_executor`, others to `genie`, with spans."""

    @mlflow.trace(name="genie")
    def genie(question: str) -> str:
        return "AAPL revenue was 394,328 million USD in fiscal 2022; in 2024 and 2025 too." if right else "No idea."

    @mlflow.trace(name="parallel_executor")
    def parallel(question: str) -> str:
        return "AAPL 22.4% and AXP 16.6%; Apple; BAC largest, AXP smallest" if right else "No idea."

    @mlflow.trace(name="supervisor")
    def predict_fn(question: str) -> str:
        comparative = any(w in question.lower() for w in ("compare", "which", "versus", "between", "both"))
        if right:
            return parallel(question) if comparative else genie(question)
        return genie(question)

    return predict_fn


def write_dataset(tmp_path) -> str:
    records = [
        {"inputs": {"question": "What was AAPL's total revenue in fiscal year 2022?"},
         "expectations": {"expected_facts": ["394,328 million USD"]}},
        {"inputs": {"question": "Compare the net profit margin of AAPL and AXP in 2018."},
         "expectations": {"expected_facts": ["AAPL 22.4%", "AXP 16.6%"]}},
        {"inputs": {"question": "What was Apple's operating income last year?"},
         "expectations": {"guidelines": ["resolves last year"]}},
    ]
    path = tmp_path / "evals.json"
    path.write_text(json.dumps(records))
    return str(path)


GATES = ["--gate", "numeric_accuracy/mean>=0.9", "--gate", "routing_accuracy/mean>=0.9",
         "--gate", "relative_time_resolution/mean>=0.9"]


def test_evaluate_passing_gate(scaffolded_example, mlflow_local, tmp_path, capsys, monkeypatch):
    evaluate = load_stage(scaffolded_example, "evaluate")
    monkeypatch.setattr(evaluate, "date", type("D", (), {"today": staticmethod(lambda: __import__(
        "datetime").date(2025, 6, 1))}))
    code = evaluate.main(["--dataset", write_dataset(tmp_path), *GATES], scorers=evaluate.build_code_scorers(),
                         predict_fn=stub_agent(mlflow_local, right=True))
    assert code == 0
    out = capsys.readouterr().out
    report = json.loads(out[out.index('{\n  "gates"'):])
    assert report["passed"] and report["metrics"]["numeric_accuracy/mean"] == 1.0
    assert report["metrics"]["routing_accuracy/mean"] == 1.0
    artifacts = mlflow_local.MlflowClient().list_artifacts(report["run_id"])
    assert "gate_report.json" in [a.path for a in artifacts]


def test_evaluate_failing_gate_raises(scaffolded_example, mlflow_local, tmp_path):
    evaluate = load_stage(scaffolded_example, "evaluate")
    with pytest.raises(evaluate.GateFailed, match="numeric_accuracy/mean"):
        evaluate.main(["--dataset", write_dataset(tmp_path), *GATES], scorers=evaluate.build_code_scorers(),
                      predict_fn=stub_agent(mlflow_local, right=False))


def test_evaluate_helpers_from_the_project(scaffolded_example):
    evaluate = load_stage(scaffolded_example, "evaluate")
    assert evaluate.ROUTE_NODES == ("supervisor", "genie", "parallel_executor", "final_answer")
    assert evaluate.PARALLEL_ROUTE == "parallel_executor" and evaluate.INPUT_KEY == "question"
    assert evaluate.DATASET == "data/evals/eval-questions.json"
    assert set(evaluate.GATES) >= {"correctness/mean", "numeric_accuracy/mean", "routing_accuracy/mean"}
    assert evaluate.numeric_match("revenue 394.3 billion", {"expected_facts": ["394,328 million"]})[0] is True
    assert evaluate.numeric_match("revenue 380 billion", {"expected_facts": ["394,328 million"]})[0] is False
    from datetime import date

    assert evaluate.relative_years("How did revenue change over the past three years?", date(2025, 3, 1)) == {
        "2024", "2023", "2022"}
    assert evaluate.relative_years("What was it in 2019?", date(2025, 3, 1)) is None
    assert evaluate.check_gates({"a/mean": 0.5}, {"a/mean": 0.8, "b/mean": 0.1}) == [
        "a/mean=0.5 < 0.8", "b/mean=None < 0.1"]
    records = evaluate.load_dataset(scaffolded_example / evaluate.DATASET)
    assert len(records) == 14 and "question" in records[0]["inputs"]


# --------------------------------------------------------------------------- approve


def registered_version(mlflow, name: str = "cat.sch.agent") -> str:
    client = mlflow.MlflowClient()
    with contextlib.suppress(mlflow.exceptions.MlflowException):  # exists from an earlier call in the test
        client.create_registered_model(name)
    return str(client.create_model_version(name, source="file:///tmp/model").version)


def test_approve_pending_then_approved(scaffolded_example, mlflow_local):
    approve = load_stage(scaffolded_example, "approve")
    version = registered_version(mlflow_local)
    client = mlflow_local.MlflowClient()
    args = ["--model-name", "cat.sch.agent", "--model-version", version, "--tag", "Approval_Check"]
    with pytest.raises(approve.ApprovalPending, match="first run fails by design"):
        approve.main(args, client=client)
    client.set_model_version_tag("cat.sch.agent", version, "Approval_Check", "Rejected")
    with pytest.raises(approve.ApprovalPending, match="not `Approved`"):
        approve.main(args, client=client)
    client.set_model_version_tag("cat.sch.agent", version, "Approval_Check", "Approved")
    assert approve.main(args, client=client) == 0


# --------------------------------------------------------------------------- deploy


@dataclass
class FakeServing:
    """The serving endpoint at the network boundary: records calls, reports scripted health."""

    unhealthy_versions: set[str] = field(default_factory=set)
    entities: dict[str, dict] = field(default_factory=dict)
    calls: list[tuple[dict, dict]] = field(default_factory=list)

    def served(self, endpoint):
        return {k: dict(v) for k, v in self.entities.items()}

    def set_traffic(self, endpoint, model_name, versions, routes):
        self.calls.append((dict(versions), dict(routes)))
        self.entities = {n: {"version": v, "traffic": routes.get(n, 0)} for n, v in versions.items()}

    def health(self, endpoint, entity):
        from types import SimpleNamespace

        bad = self.entities[entity]["version"] in self.unhealthy_versions
        return SimpleNamespace(error_rate=0.5 if bad else 0.0, p95_ms=100.0,
                               ok=lambda p95_ms=0, max_error_rate=0: not bad)


def aliases(client, name):
    out = {}
    for alias in ("champion", "challenger", "previous"):
        with contextlib.suppress(Exception):  # MLflow raises for a missing alias
            out[alias] = str(client.get_model_version_by_alias(name, alias).version)
    return out


def test_deploy_success_rollback_and_idempotent_rerun(scaffolded_example, mlflow_local):
    deploy = load_stage(scaffolded_example, "deploy")
    client = mlflow_local.MlflowClient()
    name = "cat.sch.agent"
    v1, v2, v3 = (registered_version(mlflow_local, name) for _ in range(3))
    serving = FakeServing()

    first = deploy.deploy(client, serving, name, v1, "ep", (10, 50, 100))
    assert first["action"] == "deployed" and first["previous"] is None
    assert serving.entities == {f"v{v1}": {"version": v1, "traffic": 100}}

    second = deploy.deploy(client, serving, name, v2, "ep", (10, 50, 100))
    assert [s["percent"] for s in second["steps"]] == [10, 50, 100]
    assert serving.calls[-3][1] == {f"v{v2}": 10, f"v{v1}": 90}
    assert aliases(client, name) == {"champion": v2, "previous": v1}
    assert client.get_model_version(name, v2).tags["dabprp.deployment"] == "deployed:ep"

    serving.unhealthy_versions.add(v3)
    with pytest.raises(deploy.DeploymentFailed) as failure:
        deploy.deploy(client, serving, name, v3, "ep", (10, 50, 100))
    record = json.loads(str(failure.value))
    assert record["action"] == "rolled_back" and record["restored"] == v2 and len(record["steps"]) == 1
    assert serving.entities == {f"v{v2}": {"version": v2, "traffic": 100}}
    assert aliases(client, name) == {"champion": v2, "previous": v1}
    assert client.get_model_version(name, v3).tags["dabprp.deployment"] == "rolled_back:ep"

    calls_before = len(serving.calls)
    again = deploy.deploy(client, serving, name, v2, "ep", (10, 50, 100))
    assert again["action"] == "noop" and len(serving.calls) == calls_before

    rehearsal = deploy.rollback(client, serving, name, "ep")
    assert rehearsal == {"action": "rolled_back", "version": v1, "replaced": v2}
    assert serving.entities == {f"v{v1}": {"version": v1, "traffic": 100}}


def test_deploy_builds_real_sdk_requests(scaffolded_example):
    deploy = load_stage(scaffolded_example, "deploy")
    entities = deploy.entity_inputs("c.s.m", {"v2": "2", "v1": "1"})
    assert [(e.name, e.entity_version, e.entity_name) for e in entities] == [("v1", "1", "c.s.m"), ("v2", "2", "c.s.m")]
    config = deploy.traffic_config({"v2": 10, "v1": 90})
    assert [(r.served_entity_name, r.traffic_percentage) for r in config.routes] == [("v1", 90), ("v2", 10)]
    assert config.as_dict() == {"routes": [{"served_entity_name": "v1", "traffic_percentage": 90},
                                           {"served_entity_name": "v2", "traffic_percentage": 10}]}
    assert deploy.DEFAULT_STEPS == (10, 50, 100) and deploy.ENDPOINT == "multiagent-genie-staging"


# --------------------------------------------------------------------------- link, load test, config


class FakeRegistry:
    def __init__(self, current=None):
        self.current = current
        self.calls = []

    def get_registered_model(self, name):
        from types import SimpleNamespace

        return SimpleNamespace(name=name, deployment_job_id=self.current)

    def update_registered_model(self, name, deployment_job_id=None):
        self.calls.append((name, deployment_job_id))
        self.current = deployment_job_id


def test_link_deployment_job_calls_update_once(scaffolded_example, capsys):
    link = load_stage(scaffolded_example, "link_deployment_job")
    client = FakeRegistry()
    assert link.main(["--model-name", "c.s.m", "--job-id", "42"], client=client) == 0
    assert client.calls == [("c.s.m", "42")]
    assert link.main(["--model-name", "c.s.m", "--job-id", "42"], client=client) == 0
    assert client.calls == [("c.s.m", "42")]
    assert "already linked" in capsys.readouterr().out


def test_loadtest_budget_and_payload(scaffolded_example):
    loadtest = load_stage(scaffolded_example, "loadtest")
    assert loadtest.within_budget(100, 0, 800.0)[0] is True
    assert loadtest.within_budget(100, 5, 800.0)[0] is False
    assert loadtest.within_budget(100, 0, 60000.0)[0] is False
    assert loadtest.within_budget(0, 0, 0.0)[0] is False
    assert loadtest.payload("hi") == {"messages": [{"role": "user", "content": "hi"}]}
    assert len(loadtest.questions()) == 14


def test_validate_config_finds_the_example_placeholders(scaffolded_example, capsys):
    check = load_stage(scaffolded_example, "validate_config")
    assert check.main([]) == 1
    err = capsys.readouterr().err
    assert "databricks_configs.genie_space_id=''" in err and "secret_scope_name='TODO'" in err
