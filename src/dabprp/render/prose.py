"""The plan's prose (`Text`) as Markdown: names it marks become code spans."""

from __future__ import annotations

from typing import Any

from dabprp.plan.model import Code, Text


def md(value: Any) -> Any:
    """`value` as Markdown when it is the plan's prose; anything else unchanged."""
    if isinstance(value, Text):
        return "".join(f"`{p.text}`" if isinstance(p, Code) else p for p in value.parts)
    return value
