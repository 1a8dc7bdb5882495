"""Databricks facts the rules and the plan rely on, kept as data in one place."""

from __future__ import annotations

import re

DEFAULT_EVALSET = "data/evals/eval-questions.json"
"""The evaluation dataset a project without one is told to create (the evaluation stage reads it)."""

DOCS = {
    "bundles": "https://docs.databricks.com/aws/en/dev-tools/bundles/",
    "targets": "https://docs.databricks.com/aws/en/dev-tools/bundles/deployment-modes",
    "run_as": "https://docs.databricks.com/aws/en/dev-tools/bundles/run-as",
    "permissions": "https://docs.databricks.com/aws/en/dev-tools/bundles/permissions",
    "deployment_job": "https://docs.databricks.com/aws/en/mlflow/deployment-job",
    "uc_models": "https://docs.databricks.com/aws/en/machine-learning/manage-model-lifecycle/",
    "agents_deploy": "https://docs.databricks.com/aws/en/generative-ai/agent-framework/deploy-agent",
    "agents_apps": "https://docs.databricks.com/aws/en/generative-ai/agent-framework/migrate-agent-to-apps",
    "genai_eval": "https://docs.databricks.com/aws/en/mlflow3/genai/eval-monitor/",
    "scorers": "https://docs.databricks.com/aws/en/mlflow3/genai/eval-monitor/custom-scorers",
    "tracing": "https://docs.databricks.com/aws/en/mlflow3/genai/tracing/",
    "monitoring": "https://docs.databricks.com/aws/en/mlflow3/genai/eval-monitor/production-monitoring",
    "inference_tables": "https://docs.databricks.com/aws/en/ai-gateway/inference-tables",
    "secrets": "https://docs.databricks.com/aws/en/security/secrets/",
    "oauth_m2m": "https://docs.databricks.com/aws/en/dev-tools/auth/oauth-m2m",
    "predeploy": "https://docs.databricks.com/aws/en/machine-learning/model-serving/model-serving-debug",
    "serving_traffic": "https://docs.databricks.com/aws/en/machine-learning/model-serving/create-manage-serving-endpoints",
    "ci_cd": "https://docs.databricks.com/aws/en/dev-tools/bundles/ci-cd-bundles",
    "jobs": "https://docs.databricks.com/aws/en/jobs/",
}

# Top-level permission levels the CLI accepts (reference 2.7).
TOP_LEVEL_PERMISSION_LEVELS = ("CAN_MANAGE", "CAN_RUN", "CAN_VIEW")
TARGET_MODES = ("development", "production")

# Resources whose deployed name is unique in a workspace (Unity Catalog objects: in the metastore behind it), so two
# targets deploying the same name to one workspace collide (the second deploy fails). Per type: the fields whose
# values, joined with ".", make the unique name, and how `presets.name_prefix` (development mode: "[dev <short
# name>] ") changes it, as the CLI's ApplyPresets does (reference 2.11): "plain" (prefixed), "last_part" (the last
# path part is prefixed), "normalized" (`dev_<short_name>_`), "none" (no presets), "unknown" (not known: any prefix
# makes the name unknown). Jobs, pipelines and clusters may share names; Genie spaces and dashboards are found by ID.
WORKSPACE_UNIQUE_NAMES: dict[str, tuple[tuple[str, ...], str]] = {
    "experiments": (("name",), "last_part"),
    "apps": (("name",), "none"),
    "model_serving_endpoints": (("name",), "normalized"),
    "registered_models": (("catalog_name", "schema_name", "name"), "normalized"),
    "models": (("name",), "plain"),
    "secret_scopes": (("name",), "none"),
    "schemas": (("catalog_name", "name"), "normalized"),
    "volumes": (("catalog_name", "schema_name", "name"), "unknown"),
    "quality_monitors": (("table_name",), "none"),
    "vector_search_endpoints": (("name",), "unknown"),
}
CASE_INSENSITIVE_NAMES = ("registered_models", "schemas", "volumes", "quality_monitors")
"""Unity Catalog names compare without case."""
RESOURCE_LABELS = {"experiments": "experiment", "apps": "app", "model_serving_endpoints": "serving endpoint",
                   "registered_models": "registered model", "models": "workspace model",
                   "secret_scopes": "secret scope",
                   "schemas": "schema", "volumes": "volume", "quality_monitors": "quality monitor",
                   "vector_search_endpoints": "vector search endpoint"}

# Databricks App names: lowercase letters, digits and hyphens (reference 3.6, the schema's and the API's `name`), unique
# in the workspace, fixed once created. The length limit is in neither the reference nor the API docs; Databricks'
# own Apps tooling states 30 characters at most (no dev-mode prefix applies to apps: reference 3.6).
APP_NAME_CHARS = re.compile(r"[a-z0-9-]+")
APP_NAME_MAX = 30


def app_name_problem(name: str) -> str | None:
    """What makes `name` no valid Databricks App name, or None when it is one."""
    if not APP_NAME_CHARS.fullmatch(name):
        return "has characters other than lowercase letters, digits and hyphens"
    if len(name) > APP_NAME_MAX:
        return f"is {len(name)} characters long (at most {APP_NAME_MAX})"
    return None


# Facts flagged UNCONFIRMED in the reference: the PRP must say so when it relies on them.
UNCONFIRMED = {
    "judge_default": "Which judge model the built-in scorers use outside Databricks, and the exact "
                     "built-in metric keys beyond `<name>/mean`.",
    "experiment_id_env": "Whether `${resources.experiments.<key>.id}` resolves inside serving "
                         "`environment_vars` at deploy time.",
    "inference_table_name": "The exact AI Gateway inference-table name (assumed `<table_name_prefix>_payload`).",
    "create_model_version": "`CREATE_MODEL_VERSION` as a bundle grant privilege (grant it in SQL instead).",
    "relative_experiment_names": "How relative experiment names resolve (use absolute `/Workspace/...` paths).",
    "workspace_behaviour": "Workspace-side behaviour of `agents.deploy()`, deployment jobs and production "
                           "monitoring (from docs and package source, not a live workspace).",
    "environment_version": "Which serverless `environment_version` values the workspace offers "
                           "(`\"4\"` is an example).",
    "served_model_metrics": "Whether requests sent to one served entity "
                            "(`/serving-endpoints/<name>/served-models/<entity>/invocations`) appear in the "
                            "endpoint's metrics export; the canary counts its own probes as well and judges on the "
                            "larger count, so either way a step needs `--min-requests` requests.",
}

TEMPORAL_NAME_RE = r"(temporal|fiscal|quarter|date_context|time_context|relative_date|today)"
METRIC_WORD_RE = (r"(revenue|income|margin|ratio|percent|%|usd|eur|million|billion|price|cost|rate|"
                  r"count|total|average|growth|return on)")


def names_a_deployment_job(text: str) -> bool:
    """A job key or name that says it deploys (`agent_deploy_job`, `x-deployment`), but not a helper job that
    only links or reports on deployments."""
    lowered = text.lower()
    return bool(re.search(r"(^|[^a-z])deploy(ment)?([^a-z]|$)", lowered)) and "link" not in lowered


def is_approval_task_key(task_key: object) -> bool:
    """MLflow 3 deployment jobs treat tasks whose name starts with "approval" (any case) as approval tasks."""
    return str(task_key or "").lower().startswith("approval")
