"""The one place that edits the user's YAML: ruamel.yaml round-trip, so comments, order and style survive."""

from __future__ import annotations

import io
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from dabprp.errors import DabprpError
from dabprp.limits import LONG_INTEGER, MAX_EDIT_CHARS, is_long_integer_error, long_integer_line

# Where a target's deployment state lives: never replaced, not even with --force (the state would move).
STATE_KEYS = ("workspace",)


def _yaml() -> YAML:
    yaml = YAML()  # round-trip
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def _to_commented(value: Any) -> Any:
    if isinstance(value, dict):
        out = CommentedMap()
        for k, v in value.items():
            out[k] = _to_commented(v)
        return out
    if isinstance(value, list):
        return CommentedSeq([_to_commented(v) for v in value])
    return value


def merge_bundle(text: str, path: str, planned: dict[str, Any], force: bool,
                 job_keys: dict[str, dict[str, Any]] | None = None) -> tuple[str, list[str], dict[str, list[str]]]:
    """Add what `planned` has and `text` lacks: include entries, variables, targets and target keys, and the
    missing top-level `job_keys` of existing jobs (one load and one dump for all edits). Existing values are
    kept (reported as notes) unless `force`. Returns the new text, the notes, and what each job got."""
    _editable(text, path)
    yaml = _yaml()
    try:
        doc = yaml.load(text) if text.strip() else CommentedMap()
    except Exception as exc:
        raise _edit_error(path, text, exc) from None
    if doc is None:
        doc = CommentedMap()
    if not isinstance(doc, CommentedMap):
        raise DabprpError(path, 1, "bundle root must be a mapping")
    notes: list[str] = []
    if "bundle" not in doc:
        doc.insert(0, "bundle", _to_commented(planned["bundle"]))
    includes = doc.get("include")
    if includes is None and planned["include"]:
        doc.insert(min(1, len(doc)), "include", CommentedSeq(planned["include"]))
    elif isinstance(includes, list):  # extended, never replaced: every file it selects stays deployed
        for item in planned["include"]:
            if item not in includes:
                includes.append(item)
    if "variables" not in doc:
        doc.insert(min(2, len(doc)), "variables", CommentedMap())
    variables = _section(doc, "variables", path)
    for name, spec in planned["variables"].items():
        if name not in variables:
            _append(variables, name, _to_commented(spec))
    if "permissions" not in doc and planned.get("permissions"):
        position = list(doc).index("targets") if "targets" in doc else len(doc)
        doc.insert(position, "permissions", _to_commented(planned["permissions"]))
    if "targets" not in doc:
        doc["targets"] = CommentedMap()
    targets = _section(doc, "targets", path)
    for name, spec in planned["targets"].items():
        if name not in targets or targets[name] is None:
            _append(targets, name, _to_commented(spec))
            continue
        _merge_missing(_section(targets, name, path, f"targets.{name}"), spec, f"targets.{name}", force, notes)
    jobs_changed = _add_job_keys(doc, job_keys or {})
    out = io.StringIO()
    yaml.dump(doc, out)
    return out.getvalue(), notes, jobs_changed


def _section(parent: CommentedMap, key: str, path: str, name: str | None = None) -> CommentedMap:
    """`parent[key]` as a mapping to edit: an empty value becomes one; any other type is refused."""
    value = parent[key]
    if value is None:
        value = parent[key] = CommentedMap()
    if not isinstance(value, CommentedMap):
        line = parent.lc.key(key)[0] + 1 if key in parent.lc.data else None
        raise DabprpError(path, line, f"`{name or key}` must be a mapping; not edited")
    return value


def _append(mapping: CommentedMap, key: str, value: Any) -> None:
    """Add `key` at the end of `mapping`, moving the blank line / comment that trailed the old last entry
    (ruamel keeps it on the deepest last key) to the end of the new entry."""
    trailing = _pop_trailing(mapping) if len(mapping) else None
    mapping[key] = value
    if trailing is not None:
        container, last = _deepest_last(mapping)
        container.ca.items[last] = trailing


def _deepest_last(container: Any) -> tuple[Any, Any]:
    while True:
        last = list(container)[-1] if isinstance(container, CommentedMap) else len(container) - 1
        child = container[last]
        if isinstance(child, (CommentedMap, CommentedSeq)) and len(child):
            container = child
            continue
        return container, last


def _pop_trailing(mapping: Any) -> Any:
    container, last = _deepest_last(mapping)
    return container.ca.items.pop(last, None)


def _merge_missing(current: Any, planned: dict[str, Any], where: str, force: bool, notes: list[str]) -> None:
    for key, value in planned.items():
        if key not in current:
            current[key] = _to_commented(value)
        elif isinstance(current[key], dict) and isinstance(value, dict):
            _merge_missing(current[key], value, f"{where}.{key}", force, notes)
        elif current[key] != value and key != "variables":
            if force and key not in STATE_KEYS and not where.endswith(".workspace"):
                notes.append(f"{where}.{key}: replaced `{current[key]}` with `{value}` (--force)")
                current[key] = _to_commented(value)
            else:
                notes.append(f"{where}.{key}: kept `{current[key]}` (the plan says `{value}`; --force applies it)")


def _add_job_keys(doc: CommentedMap, job_keys: dict[str, dict[str, Any]]) -> dict[str, list[str]]:
    """Add missing top-level keys (e.g. `parameters`, `queue`) to existing jobs, keeping everything else;
    what was added to each job, as the notes word it (`queue.enabled: true`; parameters with their defaults)."""
    resources = doc.get("resources")
    jobs = resources.get("jobs") if isinstance(resources, dict) else None
    changed: dict[str, list[str]] = {}
    for key, additions in job_keys.items():
        if isinstance(jobs, dict) and isinstance(jobs.get(key), dict):
            for field, value in additions.items():
                if field not in jobs[key]:
                    _append(jobs[key], field, _to_commented(value))
                    changed.setdefault(key, []).append(_describe(field, value))
    return changed


def _describe(field: str, value: Any) -> str:
    if field == "parameters":
        return "job parameters " + ", ".join(f"`{p['name']}` (default `{p['default']!s}`)" for p in value)
    if isinstance(value, dict):
        return ", ".join(f"`{field}.{k}: {_scalar(v)}`" for k, v in value.items())
    return f"`{field}: {_scalar(value)}`"


def _scalar(value: Any) -> str:
    """A value as YAML writes it (`true`, not Python's `True`)."""
    return str(value).lower() if isinstance(value, bool) else str(value)


def _reason(exc: Exception) -> str:
    """One line: the YAML error's problem (ruamel's text also quotes the source and a help link over lines)."""
    problem = getattr(exc, "problem", None)
    return " ".join(str(problem if isinstance(problem, str) and problem else exc).split())


def serve_version_from(text: str, path: str, endpoint_key: str, entity: str, reference: str) -> str:
    """The endpoint's served entity `entity` takes its `entity_version` from `reference` (the bundle variable);
    the text unchanged when the entity is not written in this file or already does."""
    _editable(text, path)
    yaml = _yaml()
    try:
        doc = yaml.load(text)
    except Exception as exc:
        raise _edit_error(path, text, exc) from None
    resources = doc.get("resources") if isinstance(doc, dict) else None
    endpoints = resources.get("model_serving_endpoints") if isinstance(resources, dict) else None
    spec = endpoints.get(endpoint_key) if isinstance(endpoints, dict) else None
    config = spec.get("config") if isinstance(spec, dict) else None
    entities = config.get("served_entities") if isinstance(config, dict) else None
    found = next((e for e in entities or [] if isinstance(e, dict) and e.get("name") == entity), None)
    if found is None or found.get("entity_version") == reference:
        return text
    found["entity_version"] = reference
    out = io.StringIO()
    yaml.dump(doc, out)
    return out.getvalue()


def _editable(text: str, path: str) -> None:
    """A file larger than MAX_EDIT_CHARS is refused before it is read for editing."""
    if len(text) > MAX_EDIT_CHARS:
        raise DabprpError(path, None, f"cannot edit: {len(text):,} characters, more than {MAX_EDIT_CHARS:,} (an edit "
                          "that keeps comments and layout costs about 10 s per MB); move resources into included "
                          "files")


def _edit_error(path: str, text: str, exc: Exception) -> DabprpError:
    """One line with the file and line the round-trip reader stopped at."""
    if is_long_integer_error(exc):
        return DabprpError(path, long_integer_line(text), f"cannot edit: {LONG_INTEGER}")
    line = getattr(getattr(exc, "problem_mark", None), "line", -1) + 1 or None
    return DabprpError(path, line, f"cannot edit: {_reason(exc)}")
