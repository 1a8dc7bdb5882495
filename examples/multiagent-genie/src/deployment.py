# Databricks notebook source
# MAGIC %md
# MAGIC # Deploy the SEC multi-agent Genie system
# MAGIC Logs the agent with MLflow, registers it to Unity Catalog and deploys it with Mosaic AI Agent Framework.

# COMMAND ----------

# MAGIC %pip install -U -qqqq mlflow databricks-langchain databricks-agents langgraph==0.3.4 pydantic
# MAGIC dbutils.library.restartPython()

# COMMAND ----------

# MAGIC %run ./multiagent_genie

# COMMAND ----------

import mlflow
from databricks import agents
from mlflow.models.resources import (
    DatabricksGenieSpace,
    DatabricksServingEndpoint,
    DatabricksSQLWarehouse,
)

model_config = mlflow.models.ModelConfig(development_config="configs.yaml")
databricks_configs = model_config.get("databricks_configs")
agent_configs = model_config.get("agent_configs")

catalog = dbutils.widgets.get("catalog")
schema = dbutils.widgets.get("schema")
model_name = dbutils.widgets.get("model_name")
UC_MODEL_NAME = f"{catalog}.{schema}.{model_name}"

# COMMAND ----------

resources = [
    DatabricksServingEndpoint(endpoint_name=agent_configs["llm"]["endpoint_name"]),
    DatabricksGenieSpace(genie_space_id=databricks_configs["genie_space_id"]),
    DatabricksSQLWarehouse(warehouse_id=databricks_configs["sql_warehouse_id"]),
]

input_example = {"messages": [{"role": "user", "content": "What was AAPL's revenue in 2022?"}]}

mlflow.set_experiment("/Users/jane.doe@example.com/multiagent-genie")

with mlflow.start_run():
    logged_agent_info = mlflow.pyfunc.log_model(
        name="agent",
        python_model="multiagent_genie.py",
        model_config="configs.yaml",
        input_example=input_example,
        resources=resources,
        pip_requirements=[
            "mlflow",
            "databricks-langchain",
            "databricks-agents",
            "langgraph==0.3.4",
            "pydantic",
        ],
    )

# COMMAND ----------

mlflow.models.predict(
    model_uri=f"runs:/{logged_agent_info.run_id}/agent",
    input_data=input_example,
    env_manager="uv",
)

# COMMAND ----------

mlflow.set_registry_uri("databricks-uc")
uc_registered_model_info = mlflow.register_model(
    model_uri=logged_agent_info.model_uri, name=UC_MODEL_NAME
)

# COMMAND ----------

secret_scope = databricks_configs["databricks_pat"]["secret_scope_name"]
secret_key = databricks_configs["databricks_pat"]["secret_key_name"]

agents.deploy(
    UC_MODEL_NAME,
    uc_registered_model_info.version,
    environment_vars={
        "DATABRICKS_GENIE_PAT": f"{{{{secrets/{secret_scope}/{secret_key}}}}}",
    },
    tags={"endpointSource": "multiagent-genie"},
)
