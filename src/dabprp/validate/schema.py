"""The vendored bundle JSON schema, loaded once, with RE2 `\\p{L}`/`\\p{N}` classes rewritten for `re`."""

from __future__ import annotations

import functools
import json
import pkgutil
from typing import TYPE_CHECKING, Any, cast

from dabprp.digest import sha256
from dabprp.validate.verdicts import Verdicts, remembered

if TYPE_CHECKING:  # jsonschema loads on the first validation, not with the CLI
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError

SCHEMA_FILE = "bundle-jsonschema.json"
TOP_LEVEL_KEYS = ("artifacts", "bundle", "environments", "experimental", "include", "permissions", "presets",
                  "python", "resources", "run_as", "scripts", "sync", "targets", "variables", "workspace")
"""The schema's top-level properties in its order (a test compares them): known without loading the schema."""
PROVENANCE_FILE = "bundle-jsonschema.provenance.json"


def _data(name: str) -> bytes:
    data = pkgutil.get_data("dabprp.validate", f"data/{name}")  # importlib.resources costs more than the read
    if data is None:
        raise FileNotFoundError(f"dabprp.validate/data/{name}")
    return data


def provenance() -> dict[str, str]:
    return json.loads(_data(PROVENANCE_FILE))


def schema_sha256() -> str:
    return sha256(_data(SCHEMA_FILE)).hexdigest()


_RE2_CLASSES = ((rb"[\\p{L}\\p{N}]", rb"[^\\W_]"), (rb"\\p{L}", rb"[^\\W\\d_]"), (rb"\\p{N}", rb"\\d"))


def _rewrite_text(data: bytes) -> bytes:
    """RE2 classes → Python, in the JSON text (each backslash written twice): [\\p{L}\\p{N}] is a letter or
    digit, \\p{L} a letter, \\p{N} a digit. Every `\\p{` of the vendored schema is in a `pattern` value
    (tests/validate/test_validate_speedups.py checks the result against a rewrite of each parsed pattern)."""
    for old, new in _RE2_CLASSES:
        data = data.replace(old, new)
    return data


@functools.lru_cache(maxsize=1)
def bundle_schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(_rewrite_text(_data(SCHEMA_FILE)))
    return schema


@functools.lru_cache(maxsize=1)
def validator() -> Draft202012Validator:
    from jsonschema import Draft202012Validator

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


def schema_errors(document: Any, with_keyword: bool = False) -> list[tuple[Any, ...]]:
    """(JSON path, message[, keyword]) of every schema violation, deduplicated and sorted."""
    found: set[tuple[Any, ...]] = set()
    for error in validator().iter_errors(document):
        for leaf in leaf_errors(error):
            item = (tuple(leaf.absolute_path), short_message(leaf))
            found.add((*item, str(leaf.validator)) if with_keyword else item)
    return sorted(found, key=lambda item: ([str(p) for p in item[0]], *item[1:]))


@functools.cache
def _item_ref(rtype: str) -> str | None:
    """The `$ref` of one resource of `rtype` (e.g. one job) in the root schema, None for an unknown type."""
    root = bundle_schema()
    try:
        resources = _deref(root, root["properties"]["resources"]["$ref"])
        mapping = _deref(root, resources["oneOf"][0]["properties"][rtype]["$ref"])
        return cast(str, mapping["oneOf"][0]["additionalProperties"]["$ref"])
    except (KeyError, IndexError, TypeError):
        return None


@functools.cache
def _resource_validator(rtype: str) -> Draft202012Validator | None:
    """A validator for one resource of `rtype` (e.g. one job), sharing the root schema's `$defs`."""
    item_ref = _item_ref(rtype)
    if item_ref is None:
        return None
    from jsonschema import Draft202012Validator

    return Draft202012Validator({"$ref": item_ref, "$defs": bundle_schema()["$defs"]})


@functools.lru_cache(maxsize=1)
def _fast_validator() -> Any:
    """The whole bundle schema compiled by jsonschema-rs (one compile serves the whole document and, wrapped,
    each resource), used only to confirm that a value is valid; None when jsonschema-rs is not installed or
    rejects the schema."""
    try:
        import jsonschema_rs
    except ImportError:
        return None
    try:
        return jsonschema_rs.validator_for(bundle_schema(), validate_formats=False)
    except Exception:  # a schema construct it cannot compile: the Python validator alone decides
        return None


def _surely_valid(fast: Any, value: Any) -> bool:
    """True only when jsonschema-rs says `value` is valid; any doubt (no validator, a value it cannot
    convert) leaves the decision, and the error messages, to the Python validator."""
    if fast is None:
        return False
    try:
        return bool(fast.is_valid(value))
    except Exception:
        return False


def _deref(root: dict[str, Any], ref: str) -> Any:
    node: Any = root
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return node


def _collect(errors: Any, prefix: tuple[Any, ...], with_keyword: bool, found: set[tuple[Any, ...]]) -> None:
    for error in errors:
        for leaf in leaf_errors(error):
            item = ((*prefix, *leaf.absolute_path), short_message(leaf))
            found.add((*item, str(leaf.validator)) if with_keyword else item)


def schema_errors_by_resource(document: Any, with_keyword: bool = False,
                              cache: dict[Any, tuple[Any, list[tuple[Any, ...]]]] | None = None
                              ) -> list[tuple[Any, ...]]:
    """Same result as `schema_errors`, but each resource is validated on its own and remembered in `cache`
    (keyed by type and object identity: a YAML alias can put one object under two types), so targets that
    share unchanged resources validate them once.
    Values accepted in an earlier run (`verdicts`) are not validated again: when all are, the schema and its
    validator are not even loaded."""
    resources = document.get("resources") if isinstance(document, dict) else None
    if not isinstance(resources, dict):
        return schema_errors(document, with_keyword)
    verdicts = remembered()
    found: set[tuple[Any, ...]] = set()
    rest = {k: v for k, v in document.items() if k != "resources"}
    leftovers: dict[str, Any] = {}
    for rtype, items in resources.items():
        if not isinstance(items, dict):
            leftovers[rtype] = items
            continue
        # the verdict digest of each item not validated earlier in this run (targets share most resources)
        fresh = {key: verdicts.key(str(rtype), key, value) for key, value in items.items()
                 if cache is None or (hit := cache.get((rtype, id(value)))) is None or hit[0] is not value}
        if not _known_type(str(rtype), items, fresh, verdicts):
            leftovers[rtype] = items
            continue
        for key, value in items.items():
            prefix = ("resources", rtype, key)
            hit = cache.get((rtype, id(value))) if cache is not None else None
            if hit is None or hit[0] is not value:
                hit = (value, _resource_errors(str(rtype), key, value, fresh.get(key), verdicts))
                if cache is not None:
                    cache[(rtype, id(value))] = hit
            for path, message, keyword in hit[1]:
                item = ((*prefix, *path), message)
                found.add((*item, keyword) if with_keyword else item)
    rest["resources"] = leftovers
    verdict = verdicts.key("document", rest)
    if not verdicts.accepted(verdict):
        before = len(found)
        if not _surely_valid(_fast_validator(), rest):
            _collect(validator().iter_errors(rest), (), with_keyword, found)
        if len(found) == before:
            verdicts.add(verdict)
    verdicts.save()
    return sorted(found, key=lambda item: ([str(p) for p in item[0]], *item[1:]))


def _known_type(rtype: str, items: dict[Any, Any], fresh: dict[Any, str | None], verdicts: Verdicts) -> bool:
    """A resource type of the schema: items of it were validated earlier in this run, or every item not
    validated yet was accepted in an earlier run, or the schema names it."""
    if items and (len(fresh) < len(items) or all(verdicts.accepted(key) for key in fresh.values())):
        return True
    return _item_ref(rtype) is not None


def _resource_errors(rtype: str, key: Any, value: Any, verdict: str | None, verdicts: Verdicts
                     ) -> list[tuple[Any, ...]]:
    """(path, message, keyword) of each violation of one resource, sorted; none when it was accepted before."""
    if verdicts.accepted(verdict):
        return []
    local: set[tuple[Any, ...]] = set()
    # jsonschema-rs confirms what is valid (the Python validator, imported only then, explains what is not);
    # a resource alone under the root schema meets exactly its own schema's constraints
    if not _surely_valid(_fast_validator(), {"resources": {rtype: {key: value}}}):
        item_validator = _resource_validator(rtype)
        assert item_validator is not None
        _collect(item_validator.iter_errors(value), (), True, local)
    if not local:
        verdicts.add(verdict)
    return sorted(local, key=lambda e: ([str(p) for p in e[0]], *e[1:]))
