"""Deterministic JSON: stable key order from the dataclasses, two-space indent, trailing newline."""

from __future__ import annotations

import json
from typing import Any

from dabprp.facts import to_data


def render_json(obj: Any) -> str:
    return json.dumps(to_data(obj), indent=2, ensure_ascii=False, default=str) + "\n"
