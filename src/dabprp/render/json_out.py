"""Deterministic JSON: stable key order from the dataclasses, two-space indent, trailing newline."""

from __future__ import annotations

import json
import math
from typing import Any

from dabprp.facts import to_data

_NON_FINITE = {math.inf: ".inf", -math.inf: "-.inf"}


def render_json(obj: Any) -> str:
    """Always valid JSON: a non-finite number (YAML `.nan`, `.inf`) is written as its YAML spelling."""
    return json.dumps(finite(to_data(obj)), indent=2, ensure_ascii=False, default=str, allow_nan=False) + "\n"


def finite(value: Any) -> Any:
    """`value` with NaN and infinities replaced by the strings `.nan`, `.inf`, `-.inf`."""
    if isinstance(value, float) and not math.isfinite(value):
        return ".nan" if math.isnan(value) else _NON_FINITE[value]
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite(v) for v in value]
    return value
