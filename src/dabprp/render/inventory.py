"""Large inventories in the PRP: each list shows its most relevant items and says how many it left out; the full
inventory stays in `dabprp analyze --format json`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TypeVar

from dabprp.facts import Location
from dabprp.plan.model import Evidence, Plan, Text
from dabprp.records import record

LIMIT = 8
"""Items a PRP list shows of one kind (rows of one area in the current state, helpers, parallel calls, ...)."""
ENTITY_LIMIT = 20
"""Entities of the data scope named in the PRP."""
FULL_LIST = "full list: `dabprp analyze --format json`"

T = TypeVar("T")


@record
class Summary:
    plan: Plan
    """The plan with every inventory list cut to its most relevant items."""
    left_out: tuple[tuple[str, int], ...]
    """(what, how many) for every list that was cut, in the order the PRP shows them."""


def _depth(location: Location | None) -> tuple[bool, int]:
    """Files the project keeps near its root (`src/agent.py`) before copies deep in subfolders."""
    return (location is None, location.path.count("/") if location else 0)


def most_relevant(items: Sequence[T], where: Callable[[T], Location | None], limit: int) -> tuple[list[T], int]:
    """All items in their order when they fit; else the `limit` most relevant (shallowest path first, then the
    order found), in that order, and how many were left out."""
    if len(items) <= limit:
        return list(items), 0
    ranked = sorted(range(len(items)), key=lambda i: (_depth(where(items[i])), i))[:limit]
    return [items[i] for i in ranked], len(items) - limit


def _evidence(items: tuple[Evidence, ...], what: str, left_out: list[tuple[str, int]],
              limit: int = LIMIT) -> tuple[Evidence, ...]:
    shown, more = most_relevant(items, lambda e: e.location, limit)
    if more:
        left_out.append((what, more))
    return tuple(shown)


def _rows_by_label(rows: tuple[Evidence, ...], left_out: list[tuple[str, int]]) -> tuple[Evidence, ...]:
    """Table rows cut per area (label), each cut area ending in a row that says how many it left out."""
    groups: dict[str | Text, list[Evidence]] = {}
    for row in rows:
        groups.setdefault(row.label, []).append(row)
    out: list[Evidence] = []
    for label, group in groups.items():
        shown, more = most_relevant(group, lambda e: e.location, LIMIT)
        out += shown
        if more:
            out.append(Evidence(label, f"… and {more} more ({FULL_LIST})"))
            left_out.append((f"`{label}` rows of the current state", more))  # labels here are plain words
    return tuple(out)


def summarise(plan: Plan) -> Summary:
    """The plan as the PRP shows it: at most LIMIT items of each inventory list, most relevant first."""
    left_out: list[tuple[str, int]] = []
    current = _rows_by_label(plan.current_state, left_out)
    scope = plan.scope
    entities, more_entities = most_relevant(scope.entities, lambda _: None, ENTITY_LIMIT)
    if more_entities:
        entities.append(f"… and {more_entities} more")
        left_out.append(("entities of the data scope", more_entities))
    sources, more_sources = most_relevant(scope.sources, lambda _: None, LIMIT)
    if more_sources:
        sources.append(f"… and {more_sources} more")
        left_out.append(("data sources", more_sources))
    scope_where, more_where = most_relevant(scope.evidence, lambda loc: loc, LIMIT)
    if more_where:
        left_out.append(("places that state the data scope", more_where))
    agent = plan.agent
    agent = replace(
        agent, temporal_helpers=_evidence(agent.temporal_helpers, "temporal helpers", left_out),
        parallel=_evidence(agent.parallel, "parallel calls", left_out),
        genie=_evidence(agent.genie, "Genie agents", left_out), tools=_evidence(agent.tools, "tools", left_out),
        llm_endpoints=_evidence(agent.llm_endpoints, "LLM endpoint calls", left_out),
        not_static=_evidence(agent.not_static, "values not known statically", left_out))
    mode = replace(plan.serving_mode, evidence=_evidence(plan.serving_mode.evidence, "serving calls", left_out))
    checks = []
    for check in plan.eval_checks:
        where, more = most_relevant(check.evidence, lambda loc: loc, LIMIT)
        if more:
            left_out.append((f"places `{check.name}` is evidenced", more))
        checks.append(replace(check, evidence=tuple(where)))
    reused = _evidence(plan.reused, "reused bundle items", left_out)
    context = _evidence(plan.context_files, "context files", left_out)
    gotchas, more_gotchas = most_relevant(plan.gotchas, lambda _: None, LIMIT)
    if more_gotchas:
        left_out.append(("gotchas", more_gotchas))
    summarised = replace(
        plan, current_state=current, scope=replace(scope, entities=tuple(entities), sources=tuple(sources),
                                                   evidence=tuple(scope_where)),
        agent=agent, serving_mode=mode, eval_checks=tuple(checks), reused=reused, context_files=context,
        gotchas=tuple(gotchas))
    return Summary(summarised, tuple(left_out))


def left_out_text(summary: Summary) -> str:
    """One sentence: what the PRP's lists left out, or empty when nothing was."""
    if not summary.left_out:
        return ""
    counts = ", ".join(f"{n:,} {what}" for what, n in summary.left_out)
    return (f"This project's inventory is large: each list in this PRP shows at most {LIMIT} items of a kind "
            f"({ENTITY_LIMIT} entities), files nearest the project root first. Left out: {counts} ({FULL_LIST}).")
