"""The generated stage code, exercised with the real libraries offline: MLflow with a local SQLite store
and registry, the Databricks SDK against the rehearsal's fake workspace on 127.0.0.1."""

from __future__ import annotations

import contextlib
import json

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


GATES = ["--gate=numeric_accuracy/mean>=0.9", "--gate=routing_accuracy/mean>=0.9",
         "--gate=relative_time_resolution/mean>=0.9"]
CODE_SCORERS = ("numeric_accuracy", "routing_accuracy", "relative_time_resolution")


def test_evaluate_passing_gate(scaffolded_example, mlflow_local, tmp_path, capsys, monkeypatch):
    evaluate = load_stage(scaffolded_example, "evaluate")
    monkeypatch.setattr(evaluate, "date", type("D", (), {"today": staticmethod(lambda: __import__(
        "datetime").date(2025, 6, 1))}))
    scorers = [evaluate.build_code_scorer({"name": n}) for n in CODE_SCORERS]
    code = evaluate.main(["--dataset", write_dataset(tmp_path), *GATES], scorers=scorers,
                         predict_fn=stub_agent(mlflow_local, right=True))
    assert code == 0
    out = capsys.readouterr().out
    report = json.loads(out[out.index('{\n  "gates"'):])
    # rows with nothing to check are skipped: numeric over 2 rows, routing over 1, relative time over 1
    assert report["passed"] and report["metrics"]["numeric_accuracy/mean"] == 1.0
    assert report["metrics"]["routing_accuracy/mean"] == 1.0
    assert report["metrics"]["relative_time_resolution/mean"] == 1.0
    artifacts = mlflow_local.MlflowClient().list_artifacts(report["run_id"])
    assert "gate_report.json" in [a.path for a in artifacts]


def test_evaluate_failing_gate_raises(scaffolded_example, mlflow_local, tmp_path):
    evaluate = load_stage(scaffolded_example, "evaluate")
    scorers = [evaluate.build_code_scorer({"name": n}) for n in CODE_SCORERS]
    with pytest.raises(evaluate.GateFailed, match=r"numeric_accuracy/mean=0\.0 < 0\.9"):
        evaluate.main(["--dataset", write_dataset(tmp_path), *GATES], scorers=scorers,
                      predict_fn=stub_agent(mlflow_local, right=False))


def test_a_gate_that_measured_nothing_fails_the_stage(scaffolded_example, mlflow_local, tmp_path):
    """Every row lacks what `numeric_accuracy` needs: MLflow reports no metric for it, and the gate fails."""
    evaluate = load_stage(scaffolded_example, "evaluate")
    data = tmp_path / "no_values.json"
    data.write_text(json.dumps([{"inputs": {"question": "Which company is larger, AAPL or AXP?"},
                                 "expectations": {"expected_facts": ["AAPL"]}}]))
    scorers = [evaluate.build_code_scorer({"name": "numeric_accuracy"})]
    with pytest.raises(evaluate.GateFailed, match=r"^gate measured nothing \(add rows with what its scorer needs\): "
                                                  r"numeric_accuracy/mean: no row had what the scorer needs$"):
        evaluate.main(["--dataset", str(data), "--gate=numeric_accuracy/mean>=0.9"], scorers=scorers,
                      predict_fn=stub_agent(mlflow_local, right=True))


def test_evaluate_refuses_a_gate_no_scorer_produces(scaffolded_example, mlflow_local, tmp_path):
    evaluate = load_stage(scaffolded_example, "evaluate")
    with pytest.raises(evaluate.GateFailed, match=r"no scorer of this stage produces: \['made_up/mean'\]"):
        evaluate.main(["--dataset", write_dataset(tmp_path), "--gate=made_up/mean>=0.5"],
                      predict_fn=stub_agent(mlflow_local, right=True))


def test_evaluate_scorers_and_gates_come_from_one_list(scaffolded_example):
    evaluate = load_stage(scaffolded_example, "evaluate")
    names = [s["name"] for s in evaluate.SCORERS]
    assert names == ["correctness", "relevance_to_query", "safety", "cites_fiscal_year", "numeric_accuracy",
                     "relative_time_resolution", "routing_accuracy"]
    assert set(evaluate.GATES) == evaluate.gate_metrics() == {f"{n}/mean" for n in names}
    # the project's own Guidelines judge, with its own name and text
    assert evaluate.SCORERS[3] == {"name": "cites_fiscal_year", "scorer": "Guidelines", "args": {
        "guidelines": "Every figure names the fiscal year it belongs to", "name": "cites_fiscal_year"}}
    judge = evaluate.build_judge(evaluate.SCORERS[3])
    assert type(judge).__name__ == "Guidelines" and judge.name == "cites_fiscal_year"


def test_evaluate_helpers_from_the_project(scaffolded_example):
    evaluate = load_stage(scaffolded_example, "evaluate")
    assert evaluate.ROUTE_NODES == ("supervisor", "genie", "parallel_executor", "final_answer")
    assert evaluate.PARALLEL_ROUTE == "parallel_executor" and evaluate.INPUT_KEY == "question"
    assert evaluate.DATASET == "data/evals/eval-questions.json"
    assert evaluate.numeric_match("revenue 394.3 billion", {"expected_facts": ["394,328 million"]})[0] is True
    assert evaluate.numeric_match("revenue 380 billion", {"expected_facts": ["394,328 million"]})[0] is False
    assert evaluate.numeric_match("revenue 394.3 billion", {"expected_response": "394,328 million"})[0] is True
    assert evaluate.numeric_match("anything", {"guidelines": ["x"]}) == (None, "no numeric expectation")
    assert evaluate.feedback((None, "nothing to check")).value is None
    from datetime import date

    assert evaluate.relative_years("How did revenue change over the past three years?", date(2025, 3, 1)) == {
        "2024", "2023", "2022"}
    assert evaluate.relative_years("What was it in 2019?", date(2025, 3, 1)) is None
    assert evaluate.check_gates({"a/mean": 0.5}, {"a/mean": 0.8, "b/mean": 0.1}, {"a/mean", "c/mean"}) == (
        ["a/mean=0.5 < 0.8", "b/mean=None < 0.1"], [])
    assert evaluate.check_gates({}, {"c/mean": 0.8}, {"c/mean"}) == ([], ["c/mean: no row had what the scorer needs"])
    records = evaluate.load_dataset(scaffolded_example / evaluate.DATASET)
    assert len(records) == 14 and "question" in records[0]["inputs"]


def test_evaluate_sends_messages_as_messages(scaffolded_example):
    evaluate = load_stage(scaffolded_example, "evaluate")
    assert evaluate.request_of({"question": "Q?"}) == {"messages": [{"role": "user", "content": "Q?"}]}
    turns = [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}, {"role": "user", "content": "c"}]
    assert evaluate.request_of({"messages": turns}) == {"messages": turns}
    assert evaluate.question_of({"messages": turns}) == "c"


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
    args = ["--model-name", "cat.sch.agent", "--model-version", version, "--tag", "Approval_Check",
            "--required", "true"]
    with pytest.raises(approve.ApprovalPending, match="first run fails by design"):
        approve.main(args, client=client)
    client.set_model_version_tag("cat.sch.agent", version, "Approval_Check", "Rejected")
    with pytest.raises(approve.ApprovalPending, match="not `Approved`"):
        approve.main(args, client=client)
    assert client.get_registered_model("cat.sch.agent").aliases == {}  # nothing passed yet
    client.set_model_version_tag("cat.sch.agent", version, "Approval_Check", "Approved")
    assert approve.main(args, client=client) == 0
    assert client.get_registered_model("cat.sch.agent").aliases == {"challenger": int(version)}
    later = registered_version(mlflow_local)
    assert approve.main([*args[:3], later, *args[4:-1], "false"], client=None) == 0  # staging: none needed
    assert client.get_registered_model("cat.sch.agent").aliases == {"challenger": int(later)}


# --------------------------------------------------------------------------- deploy


def test_split_always_sums_to_100(scaffolded_example):
    deploy = load_stage(scaffolded_example, "deploy")
    assert deploy.split({"a": 100}, "c", 10) == {"c": 10, "a": 90}
    assert deploy.split({"a": 70, "b": 30}, "c", 10) == {"c": 10, "a": 63, "b": 27}
    assert deploy.split({"a": 50, "b": 50}, "c", 33) == {"c": 33, "a": 34, "b": 33}
    assert deploy.split({"a": 0}, "c", 10) == {"c": 100, "a": 0}
    for routes in ({"a": 100}, {"a": 1, "b": 99}, {"a": 33, "b": 33, "d": 34}):
        for pct in (1, 10, 50, 99, 100):
            assert sum(deploy.split(routes, "c", pct).values()) == 100


def test_deploy_canary_keeps_champion_then_promotes(scaffolded_example, mlflow_local, fake_workspace):
    deploy = load_stage(scaffolded_example, "deploy")
    client = mlflow_local.MlflowClient()
    name = "cat.sch.agent"
    v1, v2 = (registered_version(mlflow_local, name) for _ in range(2))
    client.set_registered_model_alias(name, "champion", v1)
    e1, e2 = deploy.entity_name(name, v1), deploy.entity_name(name, v2)
    env = {"MLFLOW_EXPERIMENT_NAME": "/x"}
    fake_workspace.state.set_endpoint("ep", [{"name": e1, "entity_name": name, "entity_version": v1,
                                             "workload_size": "Small", "environment_vars": env}], {e1: 100})
    record = deploy.deploy(deploy.Endpoint(), client, name, v2, "ep", (10, 50, 100), soak_seconds=0,
                           sleep=lambda s: None)
    assert record["action"] == "deployed" and record["previous"] == v1
    assert [t["routes"] for t in fake_workspace.state.traffic] == [
        {e1: 100}, {e1: 90, e2: 10}, {e1: 50, e2: 50}, {e1: 0, e2: 100}, {e2: 100}]
    served = fake_workspace.state.endpoints["ep"]["config"]["served_entities"]
    assert served == [{"entity_name": name, "entity_version": v2, "environment_vars": env, "name": e2,
                       "workload_size": "Small"}]  # the champion's settings carried over
    assert str(client.get_model_version_by_alias(name, "champion").version) == v2
    assert str(client.get_model_version_by_alias(name, "previous").version) == v1
    again = deploy.deploy(deploy.Endpoint(), client, name, v2, "ep", (10, 50, 100), soak_seconds=0)
    assert again["action"] == "noop" and len(fake_workspace.state.traffic) == 5


def test_deploy_rollback_restores_the_exact_previous_config(scaffolded_example, mlflow_local, fake_workspace):
    deploy = load_stage(scaffolded_example, "deploy")
    client = mlflow_local.MlflowClient()
    name = "cat.sch.agent"
    v1, v2, v3 = (registered_version(mlflow_local, name) for _ in range(3))
    e1, e2, e3 = (deploy.entity_name(name, v) for v in (v1, v2, v3))
    before = [{"name": e1, "entity_name": name, "entity_version": v1, "workload_size": "Small"},
              {"name": e2, "entity_name": name, "entity_version": v2, "workload_size": "Medium"}]
    fake_workspace.state.set_endpoint("ep", before, {e1: 80, e2: 20})
    fake_workspace.state.healthy_entities = {e1, e2}
    with pytest.raises(deploy.DeploymentFailed) as failure:
        deploy.deploy(deploy.Endpoint(), client, name, v3, "ep", (10, 50, 100), soak_seconds=0,
                      sleep=lambda s: None)
    assert json.loads(str(failure.value))["action"] == "rolled_back"
    assert [t["routes"] for t in fake_workspace.state.traffic] == [{e1: 80, e2: 20}, {e1: 72, e2: 18, e3: 10},
                                                                   {e1: 80, e2: 20}]
    assert fake_workspace.state.endpoints["ep"]["config"]["served_entities"] == before
    assert client.get_model_version(name, v3).tags["dabprp.deployment"] == "rolled_back:ep"


def two_versions_on_ep(deploy, mlflow_local, fake_workspace) -> tuple[object, str, str, str, str, str]:
    client = mlflow_local.MlflowClient()
    name = "cat.sch.agent"
    v1, v2 = (registered_version(mlflow_local, name) for _ in range(2))
    e1, e2 = deploy.entity_name(name, v1), deploy.entity_name(name, v2)
    fake_workspace.state.set_endpoint("ep", [{"name": e1, "entity_name": name, "entity_version": v1}], {e1: 100})
    return client, name, v2, e1, e2, v1


def test_deploy_step_with_too_few_requests_fails_and_restores_the_exact_config(scaffolded_example, mlflow_local,
                                                                                 fake_workspace):
    """No probes and no users: the candidate served nothing, so the first step fails; it is never passed."""
    deploy = load_stage(scaffolded_example, "deploy")
    client, name, v2, e1, e2, _ = two_versions_on_ep(deploy, mlflow_local, fake_workspace)
    with pytest.raises(deploy.DeploymentFailed) as failure:
        deploy.deploy(deploy.Endpoint(), client, name, v2, "ep", (10, 50, 100), soak_seconds=0,
                      sleep=lambda s: None, min_requests=20, probes=0)
    record = json.loads(str(failure.value))
    assert record["reason"] == ("at 10%: too few requests to judge the candidate: it served 0 (0 of them probes), "
                                "at least 20 are needed (--min-requests)")
    assert [t["routes"] for t in fake_workspace.state.traffic] == [{e1: 100}, {e1: 90, e2: 10}, {e1: 100}]
    assert client.get_model_version(name, v2).tags["dabprp.deployment"] == "rolled_back:ep"


def test_deploy_counts_users_traffic_from_the_endpoint_metrics(scaffolded_example, mlflow_local, fake_workspace):
    """Without probes, the users' requests the endpoint routed to the candidate are the evidence (metrics export)."""
    deploy = load_stage(scaffolded_example, "deploy")
    client, name, v2, _, _, _ = two_versions_on_ep(deploy, mlflow_local, fake_workspace)

    def users(seconds: float) -> None:  # 40 requests to the endpoint during each soak, split by its traffic
        for _ in range(40):
            fake_workspace.state.invoke("ep")

    record = deploy.deploy(deploy.Endpoint(), client, name, v2, "ep", (10, 50, 100), soak_seconds=0,
                           sleep=users, min_requests=4, probes=0)
    assert record["action"] == "deployed"
    assert [(s["percent"], s["requests"], s["probes"], s["ok"]) for s in record["steps"]] == [
        (10, 4.0, 0, True), (50, 20.0, 0, True), (100, 40.0, 0, True)]


def test_deploy_options_refuse_a_canary_judged_on_nothing(scaffolded_example):
    deploy = load_stage(scaffolded_example, "deploy")
    with pytest.raises(SystemExit):
        deploy.main(["--model-name", "c.s.m", "--model-version", "2", "--endpoint", "ep", "--min-requests", "0"])


def test_deploy_requires_the_endpoint_parameter(scaffolded_example):
    deploy = load_stage(scaffolded_example, "deploy")
    with pytest.raises(SystemExit):
        deploy.main(["--model-name", "c.s.m", "--model-version", "2"])


def test_parse_counters_reads_the_metrics_export(scaffolded_example):
    deploy = load_stage(scaffolded_example, "deploy")
    text = ('# TYPE request_count_total counter\nrequest_count_total{served_entity_name="a_1"} 10\n'
            'request_5xx_count_total{served_entity_name="a_1"} 2\nrequest_count_total{served_entity_name="a_2"} 5\n'
            'cpu_usage_percentage{served_entity_name="a_1"} 40\n')
    assert deploy.parse_counters(text) == {"a_1": (10.0, 2.0), "a_2": (5.0, 0.0)}


# --------------------------------------------------------------------------- build


def test_build_declares_the_projects_resources_from_its_configuration(scaffolded_example, tmp_path):
    build = load_stage(scaffolded_example, "build")
    declared = build.declared_resources("src/configs.yaml")
    assert [r.to_dict() for r in declared] == [
        {"serving_endpoint": [{"name": "databricks-claude-3-7-sonnet"}]},
        {"genie_space": [{"name": ""}]},  # the example's configuration leaves it empty (DAB701)
        {"sql_warehouse": [{"name": "<your-warehouse-id>"}]},
    ]
    with pytest.raises(build.BuildFailed, match="pass --config"):
        build.declared_resources(None)
    config = tmp_path / "other.yaml"
    config.write_text("agent_configs: {llm: {}}\n")
    with pytest.raises(build.BuildFailed, match=r"no key `agent_configs\.llm\.endpoint_name`"):
        build.declared_resources(str(config))  # an absolute path stays absolute under the project root


def test_most_recent_period_is_bounded_by_the_projects_data_scope(scaffolded_example):
    from datetime import date

    evaluate = load_stage(scaffolded_example, "evaluate")
    assert evaluate.DATA_LAST_YEAR == 2022  # the agent configuration's scope: fiscal years 2003 to 2022
    today = date(2026, 12, 2)
    assert evaluate.relative_years("BAC's efficiency ratio in the most recent quarter available?", today) == {"2022"}
    # the project's fiscal year starts in October (`src/multiagent_genie.py`): on 2026-12-02 it is FY2026
    assert evaluate.FISCAL_CALENDAR == (10, 0, -1)
    assert evaluate.relative_years("Apple's operating income last fiscal year?", today) == {"2025", "2022"}
    assert evaluate.relative_years("Apple's operating income last fiscal year?", date(2026, 5, 1)) == {"2024", "2022"}
    assert evaluate.relative_years("Apple's operating income last year?", date(2026, 5, 1)) == {"2025", "2022"}
    assert evaluate.relative_time_check({"question": "latest revenue?"}, "2025 revenue grew", today) == (
        False, "expected one of ['2022'], found []")
    # a scope that reaches the evaluation date: the last two years
    assert evaluate.relative_years("the most recent quarter?", date(2023, 3, 1)) == {"2022", "2023"}


# What a correct agent answers to each record of the example's dataset, in its own words (not the expected
# facts verbatim): every blocking code gate must pass it, and fail the same answers with wrong values.
CORRECT_ANSWERS = {
    "What was AAPL's total revenue in fiscal year 2022?": "Apple's total revenue in FY2022 was $394.3 billion.",
    "What was Bank of America's net income in 2021?": "Bank of America earned $31.98 billion in 2021.",
    "What was American Express's return on equity in 2019?": "AXP's return on equity was 29.6% in 2019.",
    "How much cash and cash equivalents did Apple hold at the end of 2020?":
        "At the end of fiscal 2020 Apple held $38,016 million in cash and cash equivalents.",
    "What was AXP's total revenue net of interest expense in 2015?":
        "American Express reported total revenues net of interest expense of $32.8 billion in 2015.",
    "What was the debt to equity ratio of BAC in 2010?": "BAC's debt to equity ratio in 2010 was 0.98.",
    "Compare the net profit margin of AAPL and AXP in 2018.":
        "In 2018 Apple's net profit margin was 22.4%, American Express's 16.6%.",
    "Which company had higher revenue growth between 2019 and 2020, Apple or Bank of America?":
        "Apple: its revenue grew 5.5% while Bank of America's fell.",
    "How did BAC's net income change versus AXP's from 2008 to 2009?":
        "Both declined in 2008; in 2009 BAC recovered less than AXP.",
    "Compare total assets of all three companies in 2022.":
        "In 2022 BAC had the largest total assets, AXP the smallest.",
    "What was Apple's operating income last fiscal year?":
        "The data ends with FY2022: Apple's operating income was $119.4 billion in FY2022.",
    "How did American Express's revenue change over the past three years?":
        "The data covers fiscal years up to 2022; from 2020 to 2022 AXP's revenue grew from $36.1 to $52.9 billion.",
    "What was BAC's efficiency ratio in the most recent quarter available?":
        "Only annual data up to 2022 is available; BAC's 2022 efficiency ratio was 64.8%.",
    "Did AAPL's gross margin improve year-over-year in 2021?": "Yes: 41.8% in 2021 against 38.2% in 2020.",
}
WRONG_VALUES = {
    "What was the debt to equity ratio of BAC in 2010?": "BAC's debt to equity ratio in 2010 was 1.4.",
    "What was AAPL's total revenue in fiscal year 2022?": "Apple's total revenue in FY2022 was $365.8 billion.",
    "What was Apple's operating income last fiscal year?": "Apple's operating income was $108.9 billion in FY2021.",
}


def _job_gates(project, evaluate) -> dict[str, float]:
    """The `--gate` arguments the scaffolded deployment job passes to the evaluation task."""
    import yaml

    job = yaml.safe_load((project / "resources" / "deployment_job.yml").read_text())["resources"]["jobs"]
    task = next(t for j in job.values() for t in j["tasks"] if t["task_key"] == "Evaluation")
    args = task["spark_python_task"]["parameters"]
    return evaluate.parse_gates(a.split("=", 1)[1] for a in args if a.startswith("--gate="))


def test_a_correct_agent_in_its_own_words_passes_every_code_gate(scaffolded_example):
    from datetime import date

    evaluate = load_stage(scaffolded_example, "evaluate")
    records = evaluate.load_dataset(scaffolded_example / evaluate.DATASET)
    assert sorted(evaluate.question_of(r["inputs"]) for r in records) == sorted(CORRECT_ANSWERS)
    gates = _job_gates(scaffolded_example, evaluate)
    code_gates = {m: t for m, t in gates.items() if m in ("numeric_accuracy/mean", "relative_time_resolution/mean")}
    assert code_gates == {"numeric_accuracy/mean": 0.9, "relative_time_resolution/mean": 0.9}
    for today in (date(2026, 5, 1), date(2026, 12, 2)):  # before and after the project's fiscal year turns
        def metrics(answers: dict[str, str], today: date = today) -> dict[str, float]:
            numeric, temporal = [], []
            for record in records:
                answer = answers.get(evaluate.question_of(record["inputs"]), CORRECT_ANSWERS[
                    evaluate.question_of(record["inputs"])])
                numeric.append(evaluate.numeric_match(answer, record.get("expectations"))[0])
                temporal.append(evaluate.relative_time_check(record["inputs"], answer, today)[0])
            judged = {"numeric_accuracy/mean": [v for v in numeric if v is not None],
                      "relative_time_resolution/mean": [v for v in temporal if v is not None]}
            assert [len(v) for v in judged.values()] == [8, 3]  # rows with nothing to check are not judged
            return {m: sum(v) / len(v) for m, v in judged.items()}

        assert metrics({}) == {"numeric_accuracy/mean": 1.0, "relative_time_resolution/mean": 1.0}
        assert evaluate.check_gates(metrics({}), code_gates, set(code_gates)) == ([], [])
        for question, wrong in WRONG_VALUES.items():  # one wrong answer is enough to miss a gate
            missed, _ = evaluate.check_gates(metrics({question: wrong}), code_gates, set(code_gates))
            assert len(missed) == 1, (question, missed)


def test_fiscal_questions_are_not_judged_without_the_projects_fiscal_calendar(tmp_path):
    from datetime import date

    from dabprp.api import scaffold
    from tests.conftest import FIXTURES, copy_into

    root = copy_into(FIXTURES / "multi-target", tmp_path)
    scaffold(str(root))
    evaluate = load_stage(root, "evaluate")
    assert evaluate.FISCAL_CALENDAR is None
    today = date(2026, 5, 1)
    assert evaluate.relative_time_check({evaluate.INPUT_KEY: "Revenue last fiscal year?"}, "in 2025", today) == (
        None, "fiscal period: the project's fiscal calendar is not known, so it is not checked")
    assert evaluate.relative_time_check({evaluate.INPUT_KEY: "Revenue last year?"}, "in 2025", today)[0] is True
    assert evaluate.numeric_match("about 0.98", {"expected_facts": ["a ratio between 0.9 and 1.1"]})[0] is True
    assert evaluate.numeric_match("about 1.4", {"expected_facts": ["a ratio between 0.9 and 1.1"]}) == (
        False, "missing a value in [0.9, 1.1]")
    assert evaluate.numeric_match("12%", {"expected_facts": ["margin 10%–15%"]})[0] is True
    assert evaluate.numeric_match("10 then 8 million", {"expected_facts": ["fell from 10 to 8 million"]})[0] is True
    assert evaluate.numeric_match("8 million", {"expected_facts": ["fell from 10 to 8 million"]}) == (
        False, "missing 10")
    assert evaluate.numeric_match("in March", {"expected_facts": ["released 2021-03"]})[0] is None
