"""Class hierarchy inside the project: agent classes reached through the project's own base classes."""

from __future__ import annotations

from typing import Any

from dabprp.facts import AgentClass, Location
from dabprp.records import record

AGENT_BASES = ("ChatAgent", "ResponsesAgent", "PythonModel", "ChatModel")
MAX_CHAIN = 12


@record
class ClassInfo:
    """A class definition: its name, its bases as qualified through the module's imports, its methods."""

    name: str
    bases: tuple[str, ...]
    location: Location
    methods: tuple[str, ...]
    abstract: bool = False
    """Derives from `ABC` or declares an `@abstractmethod`: it cannot be instantiated."""


@record
class Instantiation:
    """A call of a name at module level (`AGENT = ResearchAgent()`): a class instantiated on import."""

    name: str
    """The called name, without its module (`ResearchAgent`)."""
    location: Location


def agent_classes(classes: list[ClassInfo], created: list[Instantiation] | None = None) -> list[AgentClass]:
    """Classes whose bases reach an MLflow agent interface, directly or through project classes (matched by
    name; a relative or package import names the same class), each with whether another one derives from it
    and where the modules instantiate it."""
    by_name: dict[str, list[ClassInfo]] = {}
    for cls in classes:
        by_name.setdefault(cls.name, []).append(cls)
    found = [(cls, reached) for cls in classes if (reached := _reach(cls, by_name, ())) is not None]
    bases = {b.rsplit(".", 1)[-1] for cls, _ in found for b in cls.bases}
    out = []
    instances = _instances(found, created or [], by_name)
    for cls, (base, via) in found:
        out.append(AgentClass(cls.name, base, cls.location, cls.methods, via, cls.name in bases, cls.abstract,
                              tuple(sorted(instances.get(id(cls), ())))))
    return out


def _instances(found: list[tuple[ClassInfo, Any]], created: list[Instantiation],
               by_name: dict[str, list[ClassInfo]]) -> dict[int, list[Location]]:
    """Where each agent class (by id) is instantiated: a call names the class of that name defined in its own
    file, else the only class of that name in the project; with several and none in the file, which one it
    is depends on the file's imports, so none is claimed."""
    agents = {id(cls) for cls, _ in found}
    in_file: dict[tuple[str, str], list[ClassInfo]] = {}  # a file's own class of a name shadows the others
    for same_name in by_name.values():
        for cls in same_name:
            in_file.setdefault((cls.name, cls.location.path), []).append(cls)
    out: dict[int, list[Location]] = {}
    for made in created:
        local = in_file.get((made.name, made.location.path), [])
        before = [c for c in local if c.location.line <= made.location.line]
        same_name = by_name.get(made.name, [])
        chosen = (before or local)[-1:] if local else same_name if len(same_name) == 1 else []
        for cls in chosen:
            if id(cls) in agents:
                out.setdefault(id(cls), []).append(made.location)
    return out


def _reach(cls: ClassInfo, by_name: dict[str, list[ClassInfo]],
           chain: tuple[str, ...]) -> tuple[str, tuple[str, ...]] | None:
    if len(chain) > MAX_CHAIN:
        return None
    for base in cls.bases:
        short = base.rsplit(".", 1)[-1]
        if short in AGENT_BASES and not _is_project_class(base, short, by_name, cls):
            return short, chain
    for base in cls.bases:
        short = base.rsplit(".", 1)[-1]
        for parent in by_name.get(short, []):
            if parent is cls or parent.name in chain:
                continue
            found = _reach(parent, by_name, (*chain, parent.name))
            if found is not None:
                return found
    return None


def _is_project_class(base: str, short: str, by_name: dict[str, list[ClassInfo]], cls: ClassInfo) -> bool:
    """`ChatAgent` defined by the project itself (not MLflow's): only when imported from no package."""
    return base.startswith(".") or ("." not in base and any(c is not cls for c in by_name.get(short, [])))
