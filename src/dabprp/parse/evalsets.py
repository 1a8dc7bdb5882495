"""Evaluation datasets (JSON, JSONL, CSV): size, fields and a rough count of question kinds."""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any

from dabprp.facts import EvalSet, Location
from dabprp.limits import load_json

EVAL_DIRS = ("data/", "evals/", "eval/", "evaluation/")
EVAL_SUFFIXES = (".json", ".jsonl", ".csv")
COMPARATIVE_RE = re.compile(
    r"\b(compare|compared|comparison|versus|vs\.?|between|higher|lower|more than|less than|"
    r"difference|differ|which (?:of|company|one)|both|outperform\w*|relative to|rank\w*|better|worse)\b",
    re.I,
)
TIME_RELATIVE_RE = re.compile(
    r"\b(last|previous|prior|past|recent|latest|current|this|next|ago|year[- ]over[- ]year|yoy|qoq|"
    r"quarter[- ]over[- ]quarter|trailing|ytd|year[- ]to[- ]date|since)\b"
    r"(?:\s+\w+){0,2}?\s*\b(year|years|quarter|quarters|month|months|week|weeks|fiscal|period|day|days)?",
    re.I,
)
TIME_WORDS_RE = re.compile(
    r"\b(last|previous|prior|past|recent|latest|current|this|ago|yoy|ytd|trailing)\b.{0,20}"
    r"\b(year|quarter|month|week|day|fiscal|period)s?\b|\b(year[- ]over[- ]year|quarter[- ]over[- ]quarter|"
    r"year[- ]to[- ]date|most recent)\b",
    re.I,
)
# A year or quarter relative to today: what the evaluation stage's relative_time_resolution judges.
PERIOD_RE = re.compile(
    r"\b(last|previous|prior|past|current|this)\b(?:\s+\w+){0,2}?\s+(?:years?|quarters?|fiscal)\b|"
    r"\b(most recent|latest|recent)\b",
    re.I,
)
QUESTION_KEYS = ("question", "query", "request", "input", "prompt", "content")


def is_eval_candidate(path: str) -> bool:
    lowered = path.lower()
    return lowered.endswith(EVAL_SUFFIXES) and (
        any(lowered.startswith(d) or f"/{d}" in lowered for d in EVAL_DIRS) or "eval" in lowered
    )


def analyze_evalset(path: str, text: str, referenced_from: tuple[Location, ...] = ()) -> EvalSet:
    try:
        records = _records(path, text)
    except ValueError as exc:
        return EvalSet(path, Location(path, 1), 0, (), {}, referenced_from, str(exc))
    fields: set[str] = set()
    categories = {"single_fact": 0, "comparative": 0, "time_relative": 0}
    periods = 0
    for rec in records:
        if isinstance(rec, dict):
            for k, v in rec.items():
                fields.add(str(k))
                if isinstance(v, dict):
                    fields.update(f"{k}.{sub}" for sub in v)
        question = question_text(rec)
        for kind in classify(question):
            categories[kind] += 1
        periods += bool(PERIOD_RE.search(question))
    return EvalSet(path, Location(path, 1), len(records), tuple(sorted(fields)), categories,
                   referenced_from, period_questions=periods)


def classify(question: str) -> list[str]:
    kinds = []
    if COMPARATIVE_RE.search(question):
        kinds.append("comparative")
    if TIME_WORDS_RE.search(question):
        kinds.append("time_relative")
    return kinds or ["single_fact"]


def question_text(rec: Any) -> str:
    """The question of a record, wherever the common layouts keep it."""
    if isinstance(rec, str):
        return rec
    if not isinstance(rec, dict):
        return ""
    for key in ("inputs", "request", "input"):
        inner = rec.get(key)
        if isinstance(inner, dict):
            found = question_text(inner)
            if found:
                return found
        elif isinstance(inner, str) and inner:
            return inner
    messages = rec.get("messages")
    if isinstance(messages, list) and messages and isinstance(messages[-1], dict):
        return str(messages[-1].get("content", ""))
    for key in QUESTION_KEYS:
        if isinstance(rec.get(key), str):
            return rec[key]
    return ""


def _records(path: str, text: str) -> list[Any]:
    lowered = path.lower()
    if lowered.endswith(".jsonl"):
        out = []
        for number, line in enumerate(text.splitlines(), 1):
            if line.strip():
                try:
                    out.append(load_json(line))
                except json.JSONDecodeError as exc:
                    raise ValueError(f"line {number}: invalid JSON: {exc.msg}") from None
        return out
    if lowered.endswith(".csv"):
        try:
            return list(csv.DictReader(io.StringIO(text)))
        except csv.Error as exc:
            raise ValueError(f"invalid CSV: {exc}") from None
    try:
        data = load_json(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"line {exc.lineno}: invalid JSON: {exc.msg}") from None
    if isinstance(data, dict):
        for key in ("data", "records", "examples", "questions", "items", "rows"):
            if isinstance(data.get(key), list):
                return data[key]
        return [data]
    if isinstance(data, list):
        return data
    raise ValueError("expected a list of records")
