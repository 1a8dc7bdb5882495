"""What the analyzer knows about a value in code: a folded constant, an expression it could not fold
(with its source text; a dict written out also gets its entries), or nothing at all."""

from __future__ import annotations

from dabprp.facts.location import Location
from dabprp.records import record


@record
class Literal:
    """A value known statically: written literally or folded from constants, defaults and the agent config."""

    value: str | int | float | bool | tuple[str | int | float | bool | None, ...] | None
    """A constant, or a list or tuple whose items are all constants (as a tuple)."""
    via: str = "literal"
    """How it was found: `literal`, `constant NAME`, `default of os.getenv('X')`, `config key K`, …"""
    evidence: Location | None = None
    """Where the folded value itself is written, when that is not the place of the fact."""


@record
class Expr:
    """A value only known at run time: the expression's source text (shortened)."""

    source: str
    config_key: str | None = None
    """The agent-config key the expression reads, when it reads one (resolved against the config YAML)."""
    template: tuple[tuple[str, str], ...] = ()
    """A string built only from constants and task parameters (`dbutils.widgets.get("x")`): its parts in order,
    `("text", s)` or `("param", name)`; empty when anything else goes into it."""


@record
class ExternalRead:
    """A value read at run time from a secret (`dbutils.secrets.get(scope, key)`, `{{secrets/scope/key}}`) or an
    environment variable (`os.environ["X"]`, `os.getenv("X")`)."""

    kind: str
    """`secret` or `environment`."""
    name: Value
    """The secret's key or the variable's name."""
    scope: Value | None = None
    """The secret scope (None for an environment variable)."""


@record
class MappingEntry:
    """One `key: value` of a dict written out in code; `**other` is an entry whose key is Unknown."""

    key: Value
    value: Value
    location: Location
    reads: ExternalRead | None = None
    """The secret or environment variable the value reads, when it reads one."""


@record
class Mapping(Expr):
    """A dict argument written out in the call (or bound once to a name): an expression, plus its entries in
    order, each folded like any value."""

    entries: tuple[MappingEntry, ...] = ()


@record
class Unknown:
    """No value at all: the argument is not given, or cannot be told apart (`**kwargs`)."""

    reason: str


Value = Literal | Mapping | Expr | Unknown
"""`Mapping` is an `Expr` (named apart so the facts JSON schema lists its `entries`)."""


def literal_str(value: Value | None) -> str | None:
    """The value when it is a known string, else None."""
    return value.value if isinstance(value, Literal) and isinstance(value.value, str) else None
