"""A project whose code shows no agent (e.g. a classic MLOps stack retraining a model daily): the plan takes
over none of its models, endpoints, apps or deployment jobs, says which ones it left alone, and names its own
model with a variable of its own."""

from __future__ import annotations

import json

from dabprp.api import generate, scaffold

MLOPS = {
    "databricks.yml": (
        "bundle:\n  name: churn\ninclude:\n  - resources/*.yml\nvariables:\n  model_name:\n    default: churn-model\n"
        "  catalog:\n    default: ml\ntargets:\n  dev:\n    mode: development\n    default: true\n"),
    "resources/model.yml": (
        "resources:\n  registered_models:\n    model:\n      catalog_name: ${var.catalog}\n      schema_name: default\n"
        "      name: ${var.model_name}\n  model_serving_endpoints:\n    scoring:\n      name: churn-scoring\n"
        "      config:\n        served_entities:\n          - name: current\n"
        "            entity_name: ml.default.churn-model\n            entity_version: '3'\n"
        "  jobs:\n    deploy:\n      name: churn-deploy\n      tasks:\n        - task_key: Approval_Check\n"
        "          notebook_task: {notebook_path: ../notebooks/approve}\n"),
    "notebooks/approve.py": "# Databricks notebook source\nprint('approve')\n",
    "notebooks/train.py": "# Databricks notebook source\nimport mlflow\nmlflow.sklearn.autolog()\n",
}


def plan_json(root) -> dict:
    return json.loads(generate(str(root), fmt="json")[0])


def model_refs(plan: dict) -> set[str]:
    return {p["value"] for j in plan["jobs"] for t in j["tasks"] for p in t["params"] if p["flag"] == "--model-name"}


def test_nothing_of_a_project_without_agent_code_is_taken_over(tree):
    root = tree(MLOPS)
    plan = plan_json(root)
    assert plan["agent"]["found"] is False
    assert [(e["label"], e["value"], e["location"]["line"]) for e in plan["left_alone"]] == [
        ("registered model", "model (name ${var.model_name})", 3),
        ("serving endpoint", "scoring (name churn-scoring)", 8),
        ("deployment job", "deploy (name churn-deploy)", 16)]
    # the plan's own resources are named apart from the project's (`churn-agent`, `churn_agent_*`)
    assert plan["serving_mode"]["endpoint_key"] is None
    assert plan["bundle_rollout"]["endpoint_key"] == "churn_agent_endpoint"
    assert sorted(j["key"] for j in plan["jobs"]) == [
        "churn_agent_build", "churn_agent_deployment", "churn_agent_link_deployment_job", "churn_agent_load_test",
        "churn_agent_tests"]
    own = ("${resources.registered_models.churn_agent_model.catalog_name}.${resources.registered_models."
           "churn_agent_model.schema_name}.${resources.registered_models.churn_agent_model.name}")
    assert model_refs(plan) == {own, "{{job.parameters.model_name}}"}
    assert not any(j["reused"] for j in plan["jobs"])
    text, _ = generate(str(root))
    assert ("**No agent code was found**: its Python has no LangGraph graph, agent class, `mlflow.models.set_model`, "
            "`databricks.agents.deploy`, agent server, GenAI autolog or `log_model`, GenAI evaluation, scorer, "
            "trace span, chat-model or Genie call, so nothing below describes an agent; the build needs the agent's "
            "file in the bundle variable `agent_file`. "
            "Left alone, since nothing shows they serve an agent: registered model `model` (name `${var.model_name}`) "
            "(`resources/model.yml:3`), serving endpoint `scoring` (name `churn-scoring`) (`resources/model.yml:8`), "
            "deployment job `deploy` (name `churn-deploy`) (`resources/model.yml:16`); the plan registers, links and "
            "serves a model of its own instead of taking them over.") in text
    assert "  agent_model_name:\n    description: registered model name (without catalog and schema)\n" in text


def test_scaffold_leaves_the_project_s_model_endpoint_and_job_alone(tree):
    root = tree(MLOPS)
    before = {p: (root / p).read_text() for p in MLOPS}
    scaffold(str(root))
    assert {p: (root / p).read_text() for p in MLOPS if p != "databricks.yml"} == {
        p: t for p, t in before.items() if p != "databricks.yml"}
    written = "\n".join(p.read_text() for p in (root / "resources").glob("*.yml"))
    assert "registered_models.model." not in written and "model_serving_endpoints.scoring" not in written
    # the plan's model goes beside the project's `resources/model.yml`, which holds the project's own resources
    assert "      name: ${var.agent_model_name}\n" in (root / "resources" / "dabprp_model.yml").read_text()
    files = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    again = scaffold(str(root))
    assert {c.kind for c in again.changes} == {"identical"}
    assert {p: p.read_bytes() for p in root.rglob("*") if p.is_file()} == files  # a second run changes nothing


def test_genai_code_makes_the_project_s_model_the_agent_s(tree):
    root = tree({**MLOPS, "notebooks/agent.py": "# Databricks notebook source\nimport mlflow\n"
                                                 "mlflow.langchain.autolog()\n"})
    plan = plan_json(root)
    assert plan["agent"]["found"] is True and plan["left_alone"] == []
    assert model_refs(plan) == {
        "${resources.registered_models.model.catalog_name}.${resources.registered_models.model.schema_name}."
        "${resources.registered_models.model.name}", "{{job.parameters.model_name}}"}
    assert plan["serving_mode"]["endpoint_key"] == "scoring"


def test_traced_or_evaluated_genai_code_is_an_agent(tree):
    for code in ("import mlflow\n\n\n@mlflow.trace(span_type='AGENT')\ndef answer(q):\n    return q\n",
                 "import mlflow\nmlflow.genai.evaluate(data=[], predict_fn=print, scorers=[])\n"):
        root = tree({**MLOPS, "notebooks/agent.py": code})
        assert plan_json(root)["agent"]["found"] is True, code


def test_a_no_agent_project_s_deployment_job_in_the_root_file_is_not_edited(tree):
    bundle = MLOPS["databricks.yml"] + ("resources:\n  jobs:\n    model_deployment:\n      name: deploy\n      tasks:\n"
                                        "        - task_key: Approval_Check\n"
                                        "          notebook_task: {notebook_path: ./notebooks/approve}\n")
    root = tree({**MLOPS, "databricks.yml": bundle})
    result = scaffold(str(root))
    assert not any("model_deployment" in note for note in result.notes)
    assert "    model_deployment:\n      name: deploy\n      tasks:\n" in (root / "databricks.yml").read_text()
    assert "queue" not in (root / "databricks.yml").read_text().split("model_deployment:")[1].split("targets:")[0]
