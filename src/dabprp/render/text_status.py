"""`status` as text: one row per PRP item (state, ID, title, evidence) and a summary line."""

from __future__ import annotations

from collections.abc import Sequence

from dabprp.render.terminal import STATE_STYLE, Col, Terminal, render, table, text

COLUMNS = (Col("state", wrap=False), Col("id", wrap=False), Col("item"), Col("evidence"))
StatusRow = tuple[str, str, str, Sequence[str]]
"""state, item ID, title, evidence."""


def render_status_text(rows: Sequence[StatusRow], term: Terminal | None = None) -> str:
    term = term or Terminal()
    cells = [(text(state, STATE_STYLE[state]), text(item_id, "bold"), text(title), text("; ".join(evidence)))
             for state, item_id, title, evidence in rows]
    counts = {s: sum(1 for r in rows if r[0] == s) for s in STATE_STYLE}
    summary = text(f"{counts['done']} done, {counts['open']} open, {counts['regressed']} regressed")
    return render([table(COLUMNS, cells, term.width), summary], term)
