# Databricks notebook source
# MAGIC %md
# MAGIC # Evaluate the SEC multi-agent Genie system
# MAGIC Runs the evaluation questions through the agent and scores them with MLflow's built-in judges.

# COMMAND ----------

# MAGIC %pip install -U -qqqq mlflow databricks-langchain databricks-agents langgraph==0.3.4
# MAGIC dbutils.library.restartPython()

# COMMAND ----------

import json

import mlflow
import pandas as pd
from mlflow.genai.scorers import Correctness, Guidelines, RelevanceToQuery, Safety

# COMMAND ----------

# MAGIC %run ./multiagent_genie

# COMMAND ----------

eval_path = dbutils.widgets.get("eval_path")
mlflow.set_experiment(dbutils.widgets.get("experiment_name"))

with open("../data/evals/eval-questions.json") as f:
    eval_records = json.load(f)

eval_df = pd.DataFrame(eval_records)


def predict_fn(question: str) -> str:
    response = AGENT.predict({"messages": [{"role": "user", "content": question}]})
    return response.messages[-1].content


# COMMAND ----------

results = mlflow.genai.evaluate(
    data=eval_df,
    predict_fn=predict_fn,
    scorers=[
        Correctness(),
        RelevanceToQuery(),
        Safety(),
        Guidelines(name="cites_fiscal_year", guidelines="Every figure names the fiscal year it belongs to"),
    ],
)

display(results.tables["eval_results"])
print(results.metrics)
