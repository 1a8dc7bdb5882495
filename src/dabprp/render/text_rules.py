"""`rules` as text: the catalogue as a table, or one rule's documentation."""

from __future__ import annotations

from collections.abc import Iterable

from rich.console import RenderableType
from rich.text import Text

from dabprp.findings import RuleDoc
from dabprp.render.terminal import SEVERITY_STYLE, Col, Terminal, heading, render, table, text

COLUMNS = (Col("rule", wrap=False), Col("severity", wrap=False), Col("stage", wrap=False), Col("title"))


def render_rules_text(rules: Iterable[RuleDoc], term: Terminal | None = None) -> str:
    term = term or Terminal()
    rows = [(text(r.id, "bold"), text(r.severity.value, SEVERITY_STYLE[r.severity.value]), text(r.stage.value),
             text(r.title)) for r in rules]
    return render([table(COLUMNS, rows, term.width)], term)


def render_rule_text(r: RuleDoc, term: Terminal | None = None) -> str:
    items: list[RenderableType] = [
        heading(f"{r.id} {r.title}"),
        text(f"severity: {r.severity.value}; blocks stage: {r.stage.value}"), text(""),
        text(r.rationale), text(""), text(f"Fix: {r.fix}"),
    ]
    # a URL is never split: it stays one line even when it is wider than the terminal
    items += [Text(f"See: {link}", no_wrap=True, overflow="ignore") for link in r.docs]
    return render(items, term or Terminal())
