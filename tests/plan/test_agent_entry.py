"""The served agent: the file that sets it (`mlflow.models.set_model`), else one that instantiates a concrete agent
class at module level; never a file of base classes, and "not known" when nothing qualifies."""

from __future__ import annotations

from pathlib import Path

from dabprp.analyze import analyze
from dabprp.api import generate, plan
from dabprp.plan.agent_entry import agent_entry
from tests.conftest import FIXTURES

BASES = {
    "agents/__init__.py": "",
    "agents/base.py": (
        "from mlflow.pyfunc import ResponsesAgent\n\n\n"
        "class BaseAgent(ResponsesAgent):\n    def predict(self, request):\n        return self.answer(request)\n"),
    "agents/research.py": (
        "from agents.base import BaseAgent\n\n\n"
        "class ResearchAgent(BaseAgent):\n    def answer(self, request):\n        return 'research'\n"),
}


def _build_agent_file(path: str) -> str:
    built, _ = plan(path)
    build = built.job("build")
    assert build is not None
    return next(p.value for p in build.tasks[0].params if p.flag == "--agent-file")


def served(root: Path) -> tuple[str | None, str | None, str, bool, str]:
    """(file, class, where, whether it calls set_model) of the served agent, and the build's `--agent-file`."""
    entry = agent_entry(analyze(str(root)).python)
    return (entry.path, entry.agent.name if entry.agent else None, str(entry.location), entry.sets_model,
            _build_agent_file(str(root)))


def test_a_hierarchy_without_set_model_or_instance_names_no_file_and_no_base_class():
    path = str(FIXTURES / "agent-hierarchy")
    entry = agent_entry(analyze(path).python)
    assert (entry.path, entry.agent, entry.location) == (None, None, None)
    assert [(a.name, str(a.location)) for a in entry.concrete] == [
        ("ResearchAgent", "agents/research.py:4"), ("WriterAgent", "agents/writer.py:9"),
        ("SummaryAgent", "agents/writer.py:14")]
    assert _build_agent_file(path) == "${var.agent_file}"
    text, _ = generate(path)
    assert ("The agent is a **ResponsesAgent or ChatAgent** agent; no file calls `mlflow.models.set_model` or "
            "instantiates a concrete agent class at module level (`ResearchAgent` at `agents/research.py:4`, "
            "`WriterAgent` at `agents/writer.py:9`, `SummaryAgent` at `agents/writer.py:14`), so which one is "
            "served is not known statically: the build needs the agent's file in the bundle variable "
            "`agent_file`.") in text
    assert "BaseResponsesAgent(" not in text
    assert ("  agent_file:\n    description: 'the agent''s Python file (models-from-code), relative to the bundle "
            "root: not found in the project; the build fails until it is set'\n    default: ''\n") in text


def test_the_file_that_calls_set_model_is_served_before_a_module_level_instance(tree):
    root = tree({**BASES,
                 "agents/demo.py": "from agents.research import ResearchAgent\n\nDEMO = ResearchAgent()\n",
                 "agents/serve.py": ("import mlflow\nfrom agents.research import ResearchAgent\n\n"
                                     "AGENT = ResearchAgent()\nmlflow.models.set_model(AGENT)\n")})
    assert served(root) == ("agents/serve.py", "ResearchAgent", "agents/serve.py:5", True, "agents/serve.py")
    text, _ = generate(str(root))
    assert ("The agent is a **ResponsesAgent** agent served through `ResearchAgent(ResponsesAgent)` "
            "(`mlflow.models.set_model` at `agents/serve.py:5`).") in text


def test_a_module_level_instance_of_the_concrete_class_is_served_and_its_missing_set_model_said(tree):
    root = tree({**BASES,
                 "agents/base_demo.py": "from agents.base import BaseAgent\n\nBASE = BaseAgent()\n",
                 "agents/app.py": "from agents.research import ResearchAgent\n\n\nAGENT = ResearchAgent()\n"})
    assert served(root) == ("agents/app.py", "ResearchAgent", "agents/app.py:4", False, "agents/app.py")
    text, _ = generate(str(root))
    assert ("The agent is a **ResponsesAgent** agent served through `ResearchAgent(ResponsesAgent)` (instantiated "
            "at `agents/app.py:4`; that file calls no `mlflow.models.set_model`, which the build's models-from-code "
            "logging needs).") in text


def test_abstract_agent_classes_are_not_served(tree):
    root = tree({
        "agents/abstract.py": (
            "from abc import ABC, abstractmethod\nfrom mlflow.pyfunc import ResponsesAgent\n\n\n"
            "class Plan(ResponsesAgent):\n    @abstractmethod\n    def answer(self, request): ...\n\n\n"
            "class Marker(ResponsesAgent, ABC):\n    pass\n\n\nPLAN = Plan()\nMARK = Marker()\n")})
    py = analyze(str(root)).python
    assert [(a.name, a.abstract, a.subclassed, [str(i) for i in a.instances]) for a in py.agent_classes] == [
        ("Plan", True, False, ["agents/abstract.py:14"]), ("Marker", True, False, ["agents/abstract.py:15"])]
    entry = agent_entry(py)
    assert (entry.path, entry.agent, entry.concrete) == (None, None, ())


def test_an_instantiation_names_its_own_file_s_class_or_the_only_one_of_that_name(tree):
    agent = "from mlflow.pyfunc import ResponsesAgent\n\n\nclass Helper(ResponsesAgent):\n    pass\n"
    root = tree({
        "one/agent.py": agent,
        "two/agent.py": agent + "\n\nLOCAL = Helper()\n",  # its own class
        "three/use.py": "from one.agent import Helper\n\nWHICH = Helper()\n",  # two candidates: not claimed
        "four/shadow.py": "class Solo:\n    pass\n\n\nS = Solo()\n",
        "five/agent.py": "from mlflow.pyfunc import ResponsesAgent\n\n\nclass Solo(ResponsesAgent):\n    pass\n",
        "six/use.py": "from five.agent import Solo\n\nS = Solo()\n",  # one agent Solo, but four/ has a Solo too
        "seven/agent.py": "from mlflow.pyfunc import ResponsesAgent\n\n\nclass Only(ResponsesAgent):\n    pass\n",
        "eight/use.py": "from seven.agent import Only\n\nO = Only()\n",  # the only class of that name
    })
    classes = analyze(str(root)).python.agent_classes
    assert sorted((str(a.location), [str(w) for w in a.instances]) for a in classes) == [
        ("five/agent.py:4", []), ("one/agent.py:4", []), ("seven/agent.py:4", ["eight/use.py:3"]),
        ("two/agent.py:4", ["two/agent.py:8"])]
