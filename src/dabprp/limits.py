"""The explicit limits on what dabprp reads; input beyond them is reported with `path:line`, never crashes."""

from __future__ import annotations

import json
import re
import sys
from typing import Any

MAX_FILE_BYTES = 5_000_000
"""Larger files are skipped (reported) instead of read."""
MAX_BUNDLE_BYTES = 5_000_000
"""The bundle's YAML files together (root file and includes): an include past it is skipped (reported). Real
bundles are kilobytes; 5 MB is some 36,000 jobs, which every command reads in a few seconds."""
MAX_EDIT_CHARS = 200_000
"""Larger YAML files are not edited by `scaffold` (nor previewed by `generate`): the round trip that keeps comments
and layout costs about 10 s per MB. Real bundle files are a few kilobytes."""
MAX_PYTHON_CHARS = 500_000
"""Larger Python sources (or notebook code) are reported, not parsed: Python's AST takes ~250 MB per MB."""
MAX_FILES = 20_000
"""Files read per project; the rest are reported as skipped."""
MAX_NESTING = 100
"""Deeper YAML/JSON mappings and lists are refused: real bundles nest about 15 levels."""
MAX_ALIAS_NODES = 100_000
"""Values that YAML aliases and `<<` merges may add by reference (blocks "billion laughs" documents)."""

MAX_NAME_CHARS = 255
"""A longer `bundle.name` is refused by the commands that plan (its workspace folder `~/.bundle/<name>` is named
after it, and every planned job name and path is built from it)."""

MAX_INT_DIGITS = getattr(sys, "get_int_max_str_digits", lambda: 4300)() or 4300
"""Python converts no longer decimal integer (a literal in code, a YAML, TOML or JSON number)."""
LONG_INTEGER = f"an integer with more than {MAX_INT_DIGITS:,} digits (more than Python converts)"
_LONG_DIGITS_RE = re.compile(r"\d{%d,}" % (MAX_INT_DIGITS + 1))


def is_long_integer_error(exc: BaseException) -> bool:
    """Whether `exc` is Python refusing to convert an integer of more than MAX_INT_DIGITS digits."""
    return isinstance(exc, (ValueError, SyntaxError)) and "digits" in str(exc) and (
        "integer string conversion" in str(exc) or "Exceeds the limit" in str(exc))


def long_integer_line(text: str) -> int | None:
    """The line of the first run of more than MAX_INT_DIGITS digits in `text`, if any."""
    match = _LONG_DIGITS_RE.search(text)
    return text.count("\n", 0, match.start()) + 1 if match else None


def load_json(text: str) -> Any:
    """`json.loads` that refuses nesting deeper than MAX_NESTING; every failure is a JSONDecodeError."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        raise
    except RecursionError:
        raise json.JSONDecodeError(f"nesting deeper than {MAX_NESTING} levels", text, 0) from None
    except ValueError as exc:  # e.g. an integer longer than Python converts
        raise json.JSONDecodeError(str(exc), text, 0) from None
    if too_deep(data):
        raise json.JSONDecodeError(f"nesting deeper than {MAX_NESTING} levels", text, 0)
    return data


def too_deep(value: Any, limit: int = MAX_NESTING) -> bool:
    """Whether lists/dicts in `value` nest deeper than `limit` (iterative: safe on any depth)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False
