"""Project values in generated files: only as escaped text, checked numbers or plain shell words.

The analyzed project is untrusted: a bundle name, variable, endpoint or setting must never become code in
the stage modules or a command in the CI workflow."""

from __future__ import annotations

import json
import math
import re
from typing import Any

from dabprp.errors import DabprpError

SHELL_WORD_RE = re.compile(r"[A-Za-z0-9_.@+=:/-]+")


def docstring_text(value: Any) -> str:
    """`value` as text that cannot end a docstring or comment it is placed in: quotes, backslashes, newlines
    and other control characters escaped as in a JSON string."""
    return json.dumps(str(value), ensure_ascii=False)[1:-1]


def python_number(value: Any, name: str, source: str = "settings") -> int | float:
    """A finite int or float setting, for a numeric literal in generated code; anything else is refused."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise DabprpError(source, None, f"`{name}` must be a number, not `{docstring_text(value)[:80]}`")
    return value


def shell_word(value: Any, what: str, source: str = "databricks.yml") -> str:
    """`value` for a CI `run:` line: letters, digits and `_.@+=:/-` only (no quoting, no `${{ }}` for the CI
    runner to expand); anything else is refused rather than written."""
    text = str(value)
    if not SHELL_WORD_RE.fullmatch(text):
        raise DabprpError(source, None, f"{what} `{docstring_text(text)[:80]}` cannot be written into a CI shell "
                                        "command safely; use letters, digits, `-`, `_` and `.`")
    return text
