"""Evaluation data in Unity Catalog (MLflow evaluation datasets, tables read for evaluation) is an evaluation
dataset: DAB503 stays silent; without any, it fires."""

from __future__ import annotations

from dabprp.analyze import analyze
from dabprp.facts import EvalTable, Literal
from dabprp.rules import run_rules
from tests.conftest import write_tree


def dab503(root) -> list[tuple[str, str, int]]:
    return [(f.rule_id, f.location.path, f.location.line) for f in run_rules(analyze(str(root)))
            if f.rule_id == "DAB503"]


def test_mlflow_dataset_and_spark_tables_are_eval_data(tmp_path):
    root = write_tree(tmp_path, {"evaluate.py": (
        "import mlflow\nimport mlflow.genai.datasets\n"
        "CATALOG = 'main'\n"
        "ds = mlflow.genai.datasets.create_dataset(uc_table_name=f'{CATALOG}.agents.eval_set')\n"
        "def run(spark):\n"
        "    golden = spark.table('main.agents.golden_questions')\n"
        "    mlflow.genai.evaluate(data=golden, predict_fn=predict, scorers=[])\n"
        "    other = spark.read.table('main.agents.evaluation_v2')\n"
        "    users = spark.table('main.crm.users')\n"
    )})
    tables = [(t.name, t.table, t.location.line) for t in analyze(str(root)).python.of(EvalTable)]
    assert [(n, t.value if isinstance(t, Literal) else t, line) for n, t, line in tables] == [
        ("mlflow.genai.datasets.create_dataset", "main.agents.eval_set", 4),
        ("spark.table", "main.agents.golden_questions", 6),
        ("spark.read.table", "main.agents.evaluation_v2", 8),
    ]
    assert dab503(root) == []


def test_no_eval_data_anywhere_fires(tmp_path):
    root = write_tree(tmp_path, {"evaluate.py": "def run(spark):\n    users = spark.table('main.crm.users')\n"})
    assert dab503(root) == [("DAB503", "data/evals/eval-questions.json", 1)]
