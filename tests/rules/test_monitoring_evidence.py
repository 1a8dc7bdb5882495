"""DAB603 stays silent when the project registers and starts production scorers, and fires when it does not."""

from __future__ import annotations

from dabprp.analyze import analyze
from dabprp.facts import ProductionScorer
from dabprp.rules import run_rules
from tests.conftest import write_tree

DEPLOY = ("from databricks import agents\n"
          "agents.deploy('main.agents.support', 3)\n")
MONITOR = (
    "from mlflow.genai.scorers import Safety, ScorerSamplingConfig, scorer\n\n\n"
    "@scorer\ndef concise(outputs) -> bool:\n    return len(str(outputs)) < 800\n\n\n"
    "def start_monitoring():\n"
    "    safety = Safety().register(name='safety')\n"
    "    safety.start(sampling_config=ScorerSamplingConfig(sample_rate=0.5))\n"
    "    registered = concise.register(name='concise')\n"
    "    registered = registered.start(sampling_config=ScorerSamplingConfig(sample_rate=1.0))\n"
)


def dab603(root) -> list[tuple[str, str, int]]:
    return [(f.rule_id, f.location.path, f.location.line) for f in run_rules(analyze(str(root)))
            if f.rule_id == "DAB603"]


def test_registered_and_started_scorers_are_production_monitoring(tmp_path):
    root = write_tree(tmp_path, {"deploy.py": DEPLOY, "monitoring.py": MONITOR})
    project = analyze(str(root))
    assert [(s.name, s.action, s.location.line) for s in project.python.of(ProductionScorer)] == [
        ("Safety()", "register", 10), ("safety", "start", 11), ("concise", "register", 12),
        ("registered", "start", 13)]
    assert dab603(root) == []


def test_registration_without_start_is_not_monitoring(tmp_path):
    root = write_tree(tmp_path, {"deploy.py": DEPLOY,
                                 "monitoring.py": MONITOR.split("    safety.start")[0] + "\n"})
    assert dab603(root) == [("DAB603", "deploy.py", 2)]
