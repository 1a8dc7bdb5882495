"""Prose as data: plain text with the names it mentions marked, so JSON carries text and the PRP sets code."""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from dabprp.records import record


@record
class Code:
    """A name, key or literal the prose mentions (a job key, an API, a YAML value): renderers set it as code."""

    text: str


@record
class Text:
    """Prose as data: plain text with the names it mentions marked as `Code`. The plan holds no Markdown;
    JSON carries the plain text, the PRP formats the marks."""

    parts: tuple[str | Code, ...]
    JSON_SCHEMA: ClassVar[dict[str, str]] = {"type": "string"}

    def __str__(self) -> str:
        return "".join(p.text if isinstance(p, Code) else p for p in self.parts)

    def as_data(self) -> str:
        return str(self)


def text(*parts: str | Code) -> Text:
    """`text("endpoint owned by ", Code(api))`: empty parts dropped."""
    return Text(tuple(p for p in parts if p))


def prose(template: str, **values: object) -> Text:
    """Our own sentence written with backticks around names: `prose("run `{cmd}` first", cmd=c)`. The template
    is split at its backticks first, then each part is formatted, so a value never adds or ends a name."""
    pieces = template.split("`")
    if len(pieces) % 2 == 0:
        raise ValueError(f"unbalanced backticks in {template!r}")
    formatted = [p.format(**values) if values else p for p in pieces]
    return text(*(Code(p) if i % 2 else p for i, p in enumerate(formatted)))


def parts_of(value: str | Text) -> tuple[str | Code, ...]:
    """The parts of prose that may be plain text or `Text`, to build a longer `Text` around it."""
    return value.parts if isinstance(value, Text) else (value,)


def names(items: Iterable[str], sep: str = ", ") -> tuple[str | Code, ...]:
    """Parts for a list of names, each marked as code: `a`, `b`, `c`."""
    out: list[str | Code] = []
    for i, item in enumerate(items):
        out += [sep, Code(item)] if i else [Code(item)]
    return tuple(out)
