"""`rules` as text: the catalogue as a table, or one rule's documentation."""

from __future__ import annotations

from collections.abc import Iterable

from rich.console import RenderableType
from rich.text import Text

from dabprp.findings import RuleDoc
from dabprp.render.terminal import SEVERITY_STYLE, Col, Terminal, fold_url, heading, render, table, text

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
    term = term or Terminal()
    for link in r.docs:
        # a URL is never wrapped at a space or a hyphen: it fits on the `See:` line, or it follows that line
        # in pieces cut after a `/` (joined, they are the URL; `--format md` prints it whole)
        if len(link) + 5 <= term.width:
            items.append(Text(f"See: {link}", no_wrap=True, overflow="ignore"))
        else:
            items.append(Text("See:"))
            items += [Text(f"  {piece}", no_wrap=True, overflow="ignore") for piece in fold_url(link, term.width - 2)]
    return render(items, term)
