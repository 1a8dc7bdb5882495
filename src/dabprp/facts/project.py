"""Facts of the agent config, evaluation sets and repository, and the Project that holds them all."""

from __future__ import annotations

from dataclasses import field
from enum import Enum
from typing import Any

from dabprp.facts.bundle import Bundle
from dabprp.facts.code import HardcodedSecret, PythonFacts
from dabprp.facts.location import Location
from dabprp.records import record


class ProblemKind(str, Enum):
    """Why an input file yields no facts; decisions use this, never the message wording."""

    SKIPPED = "skipped"
    """Left out on purpose (too large, binary, a link leaving the root)."""
    UNREADABLE = "unreadable"
    """Could not be read or parsed (invalid YAML, not UTF-8, a Python syntax error)."""
    INVALID = "invalid"
    """Read, but not valid input (an include that matches nothing, a duplicate key)."""


@record
class ConfigValue:
    key: str
    value: Any
    location: Location


@record
class ConfigEndpoint:
    """A config value that names an endpoint, with what it is used for and why that role was chosen."""

    key: str
    value: str
    role: str
    """`chat`, `embedding`, `vector_search_index`, `vector_search_endpoint` or `agent_endpoint`."""
    evidence: str
    location: Location


@record
class Prompt:
    key: str
    length: int
    location: Location


@record
class DataScope:
    entities: tuple[str, ...] = ()
    year_min: int | None = None
    year_max: int | None = None
    data_sources: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    evidence: tuple[Location, ...] = ()


@record
class AgentConfig:
    path: str
    location: Location
    keys: tuple[ConfigValue, ...] = ()
    placeholders: tuple[ConfigValue, ...] = ()
    llm_endpoints: tuple[ConfigValue, ...] = ()
    """Values that name a chat model endpoint (the `chat` entries of `endpoints`)."""
    genie_spaces: tuple[ConfigValue, ...] = ()
    secret_names: tuple[ConfigValue, ...] = ()
    prompts: tuple[Prompt, ...] = ()
    scope: DataScope = field(default_factory=DataScope)
    endpoints: tuple[ConfigEndpoint, ...] = ()
    hardcoded_secrets: tuple[HardcodedSecret, ...] = ()
    """Credentials written in the file (redacted in `keys` and every other fact)."""


@record
class EvalSet:
    path: str
    location: Location
    records: int
    fields: tuple[str, ...] = ()
    categories: dict[str, int] = field(default_factory=dict)
    referenced_from: tuple[Location, ...] = ()
    error: str | None = None
    period_questions: int = 0
    """Questions about a year or quarter relative to today ('last fiscal year', 'most recent quarter'): the ones
    an evaluation can check for a concrete period (a month or a week it cannot)."""


@record
class TestFile:
    path: str
    tests: tuple[str, ...] = ()


@record
class CiDefinition:
    path: str
    system: str
    runs_bundle_commands: tuple[str, ...] = ()
    runs_tests: bool = False


@record
class Requirement:
    name: str
    spec: str
    pinning: str
    """`exact`, `range` or `none`."""
    location: Location


@record
class RepoSignals:
    tests: tuple[TestFile, ...] = ()
    ci: tuple[CiDefinition, ...] = ()
    requirements: tuple[Requirement, ...] = ()
    ignored_secret_files: tuple[str, ...] = ()
    tracked_secret_files: tuple[str, ...] = ()
    has_pyproject: bool = False



@record
class Problem:
    """Input that could not be read (bad YAML, missing include, …): a fact, not a crash."""

    location: Location
    message: str
    kind: ProblemKind = ProblemKind.UNREADABLE
    bundle: bool = False
    """Found while loading the bundle (its root file or an include)."""


@record
class Project:
    root: str
    """The project's directory name (never an absolute path)."""
    bundle: Bundle | None
    python: PythonFacts
    configs: tuple[AgentConfig, ...] = ()
    evalsets: tuple[EvalSet, ...] = ()
    repo: RepoSignals = field(default_factory=RepoSignals)
    problems: tuple[Problem, ...] = ()
    files: tuple[str, ...] = ()

    def exists(self, path: str) -> bool:
        return path in self.files
