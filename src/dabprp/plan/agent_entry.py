"""Which file and class serve the agent: the file MLflow's models-from-code logging runs, and what it sets."""

from __future__ import annotations

import re

from dabprp.facts import AgentClass, Expr, Location, PythonFacts
from dabprp.records import record

SET_MODEL = "mlflow.models.set_model"
_CALLED_CLASS = re.compile(r"^(?:[\w.]+\.)?(\w+)\(")


@record
class AgentEntry:
    """The served agent as the code shows it; `path` None: no file qualifies (nothing is guessed)."""

    path: str | None
    agent: AgentClass | None
    """The class served; None when the file's `set_model` argument names no project agent class."""
    location: Location | None
    """The `set_model` call, else the module-level instantiation."""
    sets_model: bool
    """The file calls `mlflow.models.set_model`, which models-from-code logging needs."""
    concrete: tuple[AgentClass, ...]
    """The project's concrete agent classes (not abstract, no agent class derives from them)."""


def agent_entry(py: PythonFacts) -> AgentEntry:
    """A file that calls `mlflow.models.set_model` first, then one that instantiates a concrete agent class at
    module level; never a file whose agent classes are only bases of others (dabprp's own files excluded)."""
    generated = py.generated_paths()
    classes = [a for a in py.agent_classes if a.location.path not in generated]
    concrete = tuple(a for a in classes if not a.subclassed and not a.abstract)
    created = sorted(((where, a) for a in concrete for where in a.instances if where.path not in generated),
                     key=lambda pair: pair[0])
    for call in py.calls(SET_MODEL):
        if call.location.path in generated:
            continue
        served = _set_class(call.arguments.get("_0") or call.arguments.get("model"), classes)
        if served is None:  # `set_model(AGENT)` with AGENT made elsewhere in the file
            served = next((a for where, a in created if where.path == call.location.path), None)
        return AgentEntry(call.location.path, served, call.location, True, concrete)
    if created:
        where, served = created[0]
        return AgentEntry(where.path, served, where, False, concrete)
    return AgentEntry(None, None, None, False, concrete)


def _set_class(value: object, classes: list[AgentClass]) -> AgentClass | None:
    """The agent class `set_model(ResearchAgent())` (or a name bound to that call) instantiates."""
    if not isinstance(value, Expr):
        return None
    match = _CALLED_CLASS.match(value.source)
    return next((a for a in classes if match and a.name == match.group(1)), None)
