"""JSON outputs are byte for byte what Python's encoder writes (two-space indent, UTF-8, NaN and infinities spelled
as YAML spells them), whether orjson or the Python encoder wrote them."""

from __future__ import annotations

import datetime
import enum
import json
import math

import pytest

from dabprp import api
from dabprp.analyze import analyze
from dabprp.render import json_out
from dabprp.render.check_out import render_check_json
from dabprp.render.json_out import dump_json, finite, render_json
from dabprp.render.sarif import render_sarif
from dabprp.render.validation import render_validation_json
from tests.conftest import CORPUS, EXAMPLE, FIXTURES

PROJECTS = [EXAMPLE, *sorted(p for p in FIXTURES.iterdir() if p.is_dir())]
if CORPUS.is_dir():
    PROJECTS += sorted(CORPUS.iterdir())[::12]


def python_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(json_out, "_orjson", lambda data, default: None)


def outputs() -> list[str]:
    out = []
    for project in PROJECTS:
        try:
            report = api.check(str(project))
            out += [render_json(analyze(str(project))), render_check_json(report), render_sarif(report),
                    render_validation_json(api.validate(str(project), all_targets=True)),
                    api.generate(str(project), fmt="json")[0]]
        except Exception as exc:  # an unreadable corpus bundle: its error is compared too
            out.append(f"{type(exc).__name__}: {exc}")
    return out


def test_every_output_is_what_the_python_encoder_writes(monkeypatch):
    fast = outputs()
    assert sum(len(text) for text in fast) > 1_000_000
    python_only(monkeypatch)
    assert outputs() == fast


class Colour(enum.Enum):
    RED = "red"  # Python's encoder hands it to `default` (str: "Colour.RED"), orjson would write "red"


class Named(str, enum.Enum):
    A = "a"  # a str: both write "a"


class Weight(float):
    pass  # Python writes the number, orjson would hand it to `default`


class Count(int):
    pass


HOSTILE = [
    {"small": 1e-05, "tiny": -7.2e-08},  # orjson would write 0.00001: the Python encoder writes these
    {"nan": math.nan, "inf": [math.inf, -math.inf]},
    {"big": 2**70},
    {1: "int key", "k": {2.5: "float key"}},
    {"when": datetime.datetime(2026, 12, 3, 10, 0), "day": datetime.date(2026, 12, 3)},
    {"text": "é\u2028\x1f\x7f\"\\/ \t\n", "surrogate": "\udc80"},
    {"empty": [{}, [], ""], "nested": [[[1.5, True, None]]], "plain": 0.0001},
    {"set": {1}, "bytes": b"x"},
    {"enum": Colour.RED, "named": Named.A, "number": Weight(1.5), "count": Count(3)},
]


@pytest.mark.parametrize("data", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_values_are_written_as_the_python_encoder_writes_them(data, monkeypatch):
    expected = json.dumps(finite(data), indent=2, ensure_ascii=False, default=str, allow_nan=False) + "\n"
    assert dump_json(data, default=str) == expected


def test_orjson_writes_the_plain_cases(monkeypatch):
    """The fast path is taken (what the speed rests on) and declines what it would write differently."""
    taken = []
    real = json_out._orjson
    monkeypatch.setattr(json_out, "_orjson", lambda data, default: taken.append(real(data, default) is not None)
                        or real(data, default))
    for data in HOSTILE:
        dump_json(data, default=str)
    assert taken == [False, False, False, False, True, False, True, True, False]
