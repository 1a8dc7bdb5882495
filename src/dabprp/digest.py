"""SHA-256 without loading OpenSSL: importing `hashlib` loads libcrypto, a few milliseconds of every command;
CPython's built-in implementation gives the same digests."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


def _builtin_sha256() -> Callable[..., Any]:
    for module in ("_sha2", "_sha256"):  # CPython 3.12+, then 3.10 and 3.11
        try:
            return importlib.import_module(module).sha256
        except (ImportError, AttributeError):
            continue
    from hashlib import sha256  # another interpreter

    return sha256


sha256 = _builtin_sha256()
"""`hashlib.sha256`'s equal: `sha256(data)`, `.update(data)`, `.hexdigest()`."""
