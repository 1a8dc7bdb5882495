"""Deterministic JSON: stable key order from the dataclasses, two-space indent, trailing newline."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from enum import Enum
from typing import Any

from dabprp.facts import to_data

_NON_FINITE = {math.inf: ".inf", -math.inf: "-.inf"}
_SMALL_FLOAT = re.compile(r"\de-\d")
"""A float below 1e-4 in compact JSON (or a string that looks like one): orjson writes it without exponent."""


def render_json(obj: Any) -> str:
    """Always valid JSON: a non-finite number (YAML `.nan`, `.inf`) is written as its YAML spelling."""
    return dump_json(to_data(obj), default=str)


def dump_json(data: Any, default: Callable[[Any], Any] | None = None) -> str:
    """`json.dumps(finite(data), indent=2, ensure_ascii=False, allow_nan=False, default=default)` plus a
    newline, byte for byte. Python's encoder writes indented JSON in Python (seconds for an inventory of
    tens of thousands of jobs), so orjson writes it when it is installed and the data hold nothing it writes
    differently: no NaN or infinity, no float below 1e-4, no integer beyond 64 bits, no key that is not a
    string (the fast C encoder's compact pass tells). Anything else takes the Python encoder."""
    fast = _orjson(data, default)
    if fast is not None:
        return fast
    return json.dumps(finite(data), indent=2, ensure_ascii=False, default=default, allow_nan=False) + "\n"


def _orjson(data: Any, default: Callable[[Any], Any] | None) -> str | None:
    try:
        import orjson
    except ImportError:  # pragma: no cover - a declared dependency
        return None
    enums: list[object] = []

    def checking(value: Any) -> Any:  # Python's encoder hands a plain Enum to `default`, orjson writes its value
        if isinstance(value, Enum):
            enums.append(value)
        if default is None:
            raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")
        return default(value)

    try:
        compact = json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":"), default=checking)
    except ValueError:  # NaN or infinity: spelled out by the Python path
        return None
    if enums or _SMALL_FLOAT.search(compact):
        return None
    del compact  # large outputs: one copy of the text at a time

    def fallback(value: Any) -> Any:  # a number orjson does not write natively (a float subclass): Python does
        if isinstance(value, (int, float)) or default is None:
            raise TypeError(type(value).__name__)
        return default(value)

    options = (orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE | orjson.OPT_PASSTHROUGH_DATETIME
               | orjson.OPT_PASSTHROUGH_DATACLASS)
    try:
        return orjson.dumps(data, default=fallback, option=options).decode("utf-8")
    except (orjson.JSONEncodeError, UnicodeDecodeError):  # a big integer, a key that is not a string
        return None


def finite(value: Any) -> Any:
    """`value` with NaN and infinities replaced by the strings `.nan`, `.inf`, `-.inf`."""
    if isinstance(value, float) and not math.isfinite(value):
        return ".nan" if math.isnan(value) else _NON_FINITE[value]
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite(v) for v in value]
    return value
