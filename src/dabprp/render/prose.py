"""The plan's prose (`Text`) as Markdown: names it marks become code spans."""

from __future__ import annotations

import re
from typing import Any

from dabprp.plan.model import Code, Text


def md(value: Any) -> Any:
    """`value` as Markdown when it is the plan's prose; anything else unchanged."""
    if isinstance(value, Text):
        return "".join(code_span(p.text) if isinstance(p, Code) else p for p in value.parts)
    return value


def code_span(name: str) -> str:
    """`name` as a Markdown code span; a name holding backticks gets a longer fence (CommonMark)."""
    if "`" not in name:
        return f"`{name}`"
    fence = "`" * (max(len(run) for run in re.findall(r"`+", name)) + 1)
    return f"{fence} {name} {fence}"
