"""The vendored bundle JSON schema, loaded once, with RE2 `\\p{L}`/`\\p{N}` classes rewritten for `re`."""

from __future__ import annotations

import functools
import hashlib
import json
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

SCHEMA_FILE = "bundle-jsonschema.json"
PROVENANCE_FILE = "bundle-jsonschema.provenance.json"


def _data(name: str) -> bytes:
    return resources.files("dabprp.validate").joinpath("data", name).read_bytes()


def provenance() -> dict[str, str]:
    return json.loads(_data(PROVENANCE_FILE))


def schema_sha256() -> str:
    return hashlib.sha256(_data(SCHEMA_FILE)).hexdigest()


def _rewrite_patterns(node: Any) -> None:
    """RE2 classes → Python: [\\p{L}\\p{N}] is a letter or digit, \\p{L} a letter, \\p{N} a digit."""
    if isinstance(node, dict):
        pattern = node.get("pattern")
        if isinstance(pattern, str) and "\\p{" in pattern:
            node["pattern"] = (pattern.replace(r"[\p{L}\p{N}]", r"[^\W_]")
                               .replace(r"\p{L}", r"[^\W\d_]").replace(r"\p{N}", r"\d"))
        for value in node.values():
            _rewrite_patterns(value)
    elif isinstance(node, list):
        for value in node:
            _rewrite_patterns(value)


@functools.lru_cache(maxsize=1)
def bundle_schema() -> dict[str, Any]:
    schema = json.loads(_data(SCHEMA_FILE))
    _rewrite_patterns(schema)
    return schema


@functools.lru_cache(maxsize=1)
def validator() -> Draft202012Validator:
    return Draft202012Validator(bundle_schema())


def leaf_errors(error: ValidationError) -> list[ValidationError]:
    """The real errors under `oneOf`/`anyOf` wrappers, without the `${var...}` branch that every field has."""
    if not error.context:
        return [error]
    leaves = [leaf for sub in error.context for leaf in leaf_errors(sub)]
    real = [e for e in leaves if e.validator != "pattern" and not _var_branch_noise(e)]
    return real or [error]


def _var_branch_noise(error: ValidationError) -> bool:
    """Type errors of the `${var...}` string branch on a container, or of the object branch on a string."""
    if error.validator != "type":
        return False
    expected = error.validator_value
    if expected == "string" and isinstance(error.instance, (dict, list)):
        return True
    return expected == "object" and isinstance(error.instance, str)


def short_message(error: ValidationError) -> str:
    text = repr(error.instance)
    message = error.message
    if len(text) > 60 and message.startswith(text):
        message = "value" + message[len(text):]
    return message[:300]


def schema_errors(document: Any) -> list[tuple[tuple[Any, ...], str]]:
    """(JSON path, message) of every schema violation, deduplicated and sorted."""
    found: set[tuple[tuple[Any, ...], str]] = set()
    for error in validator().iter_errors(document):
        for leaf in leaf_errors(error):
            found.add((tuple(leaf.absolute_path), short_message(leaf)))
    return sorted(found, key=lambda item: ([str(p) for p in item[0]], item[1]))
