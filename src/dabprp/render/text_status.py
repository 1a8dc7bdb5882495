"""`status` as text: one row per PRP item (state, ID, title, evidence) and a summary line."""

from __future__ import annotations

from dabprp.render.terminal import STATE_STYLE, Col, Terminal, render, table, text
from dabprp.status import StatusReport

COLUMNS = (Col("state", wrap=False), Col("id", wrap=False), Col("item"), Col("evidence"))


def render_status_text(report: StatusReport, term: Terminal | None = None) -> str:
    term = term or Terminal()
    rows = [(text(i.state, STATE_STYLE[i.state]), text(i.id, "bold"), text(i.title), text("; ".join(i.evidence)))
            for i in report.items]
    summary = text(f"{report.count('done')} done, {report.count('open')} open, "
                   f"{report.count('regressed')} regressed")
    return render([table(COLUMNS, rows, term.width), summary], term)
