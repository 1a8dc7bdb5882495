"""Stand-ins for what a rehearsal must not run: the project's agent (an agent answering from the evaluation set)
and the LLM judges (deterministic scorers with the same names)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

WRONG_ANSWER = "I cannot answer that."
STOP_WORDS = frozenset("a an and are as at be by did do does for from had has have how in is it its of on or "
                       "the to was were what when which who why with".split())
UNSAFE_WORDS = ("kill", "weapon", "self-harm")

_CHAT_AGENT = '''"""Rehearsal stand-in agent (ChatAgent): answers from the eval set; spans named after graph nodes."""
import mlflow
from mlflow.pyfunc import ChatAgent
from mlflow.types.agent import ChatAgentMessage, ChatAgentResponse

ANSWERS = {answers}
ROUTES = {routes}
FALLBACK = {fallback}


class StandInAgent(ChatAgent):
    def predict(self, messages, context=None, custom_inputs=None):
        question = messages[-1].content if messages else ""
        route = ROUTES.get(question)
        if route:
            with mlflow.start_span(name=route):
                pass
        answer = ANSWERS.get(question, FALLBACK)
        return ChatAgentResponse(messages=[ChatAgentMessage(role="assistant", content=answer, id="answer")])


mlflow.models.set_model(StandInAgent())
'''

_RESPONSES_AGENT = '''"""Rehearsal stand-in agent (ResponsesAgent): answers from the eval set; node-named spans."""
import mlflow
from mlflow.pyfunc import ResponsesAgent
from mlflow.types.responses import ResponsesAgentRequest, ResponsesAgentResponse

ANSWERS = {answers}
ROUTES = {routes}
FALLBACK = {fallback}


def answer(request: ResponsesAgentRequest) -> ResponsesAgentResponse:
    items = [i if isinstance(i, dict) else i.model_dump() for i in request.input]
    question = str(items[-1].get("content", "")) if items else ""
    route = ROUTES.get(question)
    if route:
        with mlflow.start_span(name=route):
            pass
    text = ANSWERS.get(question, FALLBACK)
    return ResponsesAgentResponse(output=[{{"type": "message", "id": "answer", "role": "assistant",
                                             "content": [{{"type": "output_text", "text": text}}]}}])


class StandInAgent(ResponsesAgent):
    def predict(self, request: ResponsesAgentRequest) -> ResponsesAgentResponse:
        return answer(request)


def invoke(request: ResponsesAgentRequest) -> ResponsesAgentResponse:
    return answer(request)


mlflow.models.set_model(StandInAgent())
'''


def good_answer(record: dict[str, Any], question: str, today: date,
                years_of: Callable[[str], set[str] | None] | None = None) -> str:
    """The expected response (or facts), restating the question; time-relative questions name the periods the
    evaluation stage expects (`years_of`: its own reading of the question), else last year and this year."""
    expectations = record.get("expectations") or {}
    response = expectations.get("expected_response")
    facts = expectations.get("expected_facts") or []
    body = str(response) if response else "; ".join(str(f) for f in facts)
    if not body:
        years = years_of(question) if years_of else None
        body = "for " + " and ".join(sorted(years)) if years else f"for {today.year - 1} and {today.year}"
    return f"{question} Answer: {body}."


def write_agent(path: Path, records: list[dict[str, Any]], question_of: Any, route_of: Any, good: bool,
                style: str, today: date, years_of: Callable[[str], set[str] | None] | None = None) -> None:
    """The stand-in agent's models-from-code file: `good` answers with the expected responses, bad with a refusal
    (and always the same route)."""
    answers: dict[str, str] = {}
    routes: dict[str, str] = {}
    for record in records:
        question = question_of(record.get("inputs") or {})
        answers[question] = good_answer(record, question, today, years_of) if good else WRONG_ANSWER
        route = route_of(record.get("inputs") or {}, record.get("expectations") or {})
        if route and good:
            routes[question] = route
    template = _RESPONSES_AGENT if style == "responses" else _CHAT_AGENT
    path.write_text(template.format(answers=json.dumps(answers, indent=1, sort_keys=True),
                                    routes=json.dumps(routes, indent=1, sort_keys=True),
                                    fallback=json.dumps(WRONG_ANSWER)), encoding="utf-8")


def _text(outputs: Any) -> str:
    return json.dumps(outputs, default=str) if not isinstance(outputs, str) else outputs


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in STOP_WORDS and len(w) > 2}


def judge_verdict(kind: str, inputs: Any, outputs: Any,
                  expectations: dict[str, Any] | None) -> tuple[bool | None, str]:
    """A deterministic verdict for one judge kind (the metric name of a built-in judge, or `guidelines`)."""
    text = _text(outputs)
    expectations = expectations or {}
    if kind in ("correctness", "retrieval_sufficiency"):
        wanted = expectations.get("expected_facts") or ([expectations["expected_response"]]
                                                         if expectations.get("expected_response") else [])
        if not wanted:
            return None, "no expected facts or response: skipped"
        missing = [f for f in wanted if str(f).lower() not in text.lower()]
        return not missing, f"missing {missing}" if missing else "every expected fact present"
    if kind == "safety":
        hit = [w for w in UNSAFE_WORDS if w in text.lower()]
        return not hit, f"unsafe words {hit}" if hit else "no unsafe words"
    question = json.dumps(inputs, default=str)
    shared = _words(question) & _words(text)
    return bool(shared), f"shares {sorted(shared)[:5]} with the question" if shared else "unrelated to the question"


def build_judge(spec: dict[str, Any]) -> Any:
    """A stand-in for `build_judge` of the evaluation stage: same metric name, deterministic verdicts."""
    from mlflow.entities import Feedback
    from mlflow.genai.scorers import scorer

    name = str(dict(spec.get("args") or {}).get("name", spec["name"]))
    kind = "guidelines" if spec.get("scorer") in ("Guidelines", "ExpectationsGuidelines") else name

    @scorer(name=name)
    def stand_in(inputs: Any, outputs: Any, expectations: dict[str, Any]) -> Any:
        value, why = judge_verdict(kind, inputs, outputs, expectations)
        return Feedback(value=value, rationale=f"rehearsal stand-in judge: {why}")

    return stand_in


def build_project_scorer(spec: dict[str, Any]) -> Any:
    """The project's own scorers are project code: a rehearsal scores with a relevance stand-in of that name."""
    return build_judge({"name": spec["name"], "scorer": "Guidelines"})
