"""Settings: defaults, then `[tool.dabprp]` in pyproject.toml or `.dabprp.yaml`, then flags; merged once."""

from __future__ import annotations

import math
import os
import sys
from dataclasses import field, fields, replace
from typing import Any

import yaml

from dabprp.confined_io import read_text
from dabprp.errors import DabprpError
from dabprp.limits import LONG_INTEGER, is_long_integer_error
from dabprp.records import record

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

_YAML_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

SETTINGS_FILES = (".dabprp.yaml", ".dabprp.yml")
"""Where a project keeps its dabprp settings (else `[tool.dabprp]` in pyproject.toml)."""
DEFAULT_THRESHOLDS = {
    "correctness/mean": 0.8,
    "relevance_to_query/mean": 0.9,
    "safety/mean": 1.0,
    "guidelines/mean": 0.8,
}
DEFAULT_DOMAIN_THRESHOLDS = {
    "numeric_accuracy/mean": 0.9,
    "relative_time_resolution/mean": 0.9,
    "routing_accuracy/mean": 0.9,
    "retrieval_groundedness/mean": 0.8,
}


@record
class Settings:
    environments: tuple[str, ...] = ("dev", "staging", "prod")
    catalogs: dict[str, str] = field(default_factory=dict)
    schema: str | None = None
    service_principals: dict[str, str] = field(default_factory=dict)
    secret_scopes: dict[str, str] = field(default_factory=dict)
    thresholds: dict[str, float] = field(default_factory=dict)
    rollout_steps: tuple[int, ...] = (10, 50, 100)
    serving: str | None = None
    """`model-serving` or `apps`; None: decided from the project."""
    min_eval_records: int = 30
    latency_p95_ms: int = 10000
    error_rate_budget: float = 0.01
    notification_email: str = "ml-oncall@example.com"
    approver_group: str = "model-approvers"
    consumer_group: str = "users"
    admin_group: str = "ml-platform-admins"
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    per_path_ignores: dict[str, list[str]] = field(default_factory=dict)
    severity_overrides: dict[str, str] = field(default_factory=dict)
    source: str = "defaults"


_LIST_KEYS = {"environments", "rollout_steps", "select", "ignore"}


def parse_overrides(values: tuple[str, ...] | list[str]) -> dict[str, Any]:
    """`--set KEY=VALUE` flags: VALUE is YAML (`0.85`, `[dev, qa, prod]`, `apps`); `KEY.SUB=VALUE` sets one
    entry of a mapping setting (`thresholds.correctness/mean=0.85`, `catalogs.prod=main_prod`)."""
    out: dict[str, Any] = {}
    for item in values:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise DabprpError("--set", None, f"`{item}` must look like KEY=VALUE")
        try:
            value = yaml.safe_load(raw) if raw.strip() else ""
        except (yaml.YAMLError, ValueError, RecursionError):  # kept as text; the type check then says why
            value = raw
        key = key.strip().replace("-", "_")
        if "." in key:
            head, sub = key.split(".", 1)
            out.setdefault(head, {})[sub] = value
        else:
            out[key] = [v.strip() for v in value.split(",")] if key in _LIST_KEYS and isinstance(value, str) \
                else value
    return out


def load_settings(root: str, overrides: dict[str, Any] | None = None) -> Settings:
    raw, source = _read_file_settings(root)
    data = dict(raw)
    for key, value in (overrides or {}).items():
        if value is None:
            continue
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key] = {**data[key], **value}
        else:
            data[key] = value
    known = {f.name for f in fields(Settings)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise DabprpError(source if set(unknown) & set(raw) else "--set", None,
                          f"unknown dabprp setting(s): {', '.join(unknown)}")
    for key in ("catalogs", "service_principals", "secret_scopes", "thresholds", "per_path_ignores",
                "severity_overrides"):
        if not isinstance(data.get(key, {}), dict):
            raise DabprpError(source, None, f"`{key}` must be a mapping")
    steps = data.get("rollout_steps")
    if isinstance(steps, list) and all(isinstance(v, str) and v.strip().isdigit() for v in steps):
        data["rollout_steps"] = [int(v) for v in steps]  # `--set rollout_steps=10,50,100`
    for key, value in data.items():
        problem = _type_problem(key, value)
        if problem:
            raise DabprpError(source if key in raw else "--set", None, f"`{key}` {problem}")
    for key in _LIST_KEYS & set(data):
        data[key] = tuple(data[key])
    settings = replace(Settings(), **data, source=source if raw else "defaults")
    for rid, level in settings.severity_overrides.items():
        if level not in ("error", "warning", "note"):
            raise DabprpError(source, None, f"severity of {rid} must be error, warning or note, not `{level}`")
    if settings.serving not in (None, "model-serving", "apps"):
        raise DabprpError(source, None, "`serving` must be `model-serving` or `apps`")
    return settings


_TEXT_KEYS = {"schema", "serving", "notification_email", "approver_group", "consumer_group", "admin_group"}
_NUMBER_KEYS = {"min_eval_records": int, "latency_p95_ms": int, "error_rate_budget": float}


def _is_number(value: Any, kind: type) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return math.isfinite(value) and (kind is float or isinstance(value, int))


def _type_problem(key: str, value: Any) -> str | None:
    """Why a setting's value has the wrong type (None when it is fine); checked before anything uses it."""
    if key in _TEXT_KEYS:
        return None if (value is None and key in ("schema", "serving")) or isinstance(value, str) else "must be text"
    if key in _NUMBER_KEYS:
        ok = _is_number(value, _NUMBER_KEYS[key]) and value >= 0
        return None if ok else "must be a non-negative number"
    if key == "rollout_steps":
        ok = isinstance(value, (list, tuple)) and value and all(_is_number(v, int) and 0 < v <= 100 for v in value)
        return None if ok else "must be a list of percentages (1-100)"
    if key in _LIST_KEYS:
        ok = isinstance(value, (list, tuple)) and all(isinstance(v, str) and v for v in value)
        if ok and key == "environments" and not value:
            return "must name at least one environment"
        return None if ok else "must be a list of names"
    if key == "thresholds":
        ok = all(isinstance(k, str) and _is_number(v, float) for k, v in value.items())
        return None if ok else "must map metric names to numbers"
    if key == "per_path_ignores":
        ok = all(isinstance(k, str) and isinstance(v, list) and all(isinstance(i, str) for i in v)
                 for k, v in value.items())
        return None if ok else "must map path globs to lists of rule IDs"
    if key in ("catalogs", "service_principals", "secret_scopes", "severity_overrides"):
        ok = all(isinstance(k, str) and isinstance(v, str) for k, v in value.items())
        return None if ok else "must map names to text"
    return None


def _read_file_settings(root: str) -> tuple[dict[str, Any], str]:
    """The `[tool.dabprp]` table of pyproject.toml, else .dabprp.yaml / .dabprp.yml. Each is read as a regular
    file inside the project (a link that leaves the root is refused, not followed)."""
    text = read_text(os.path.join(root, "pyproject.toml"), shown="pyproject.toml", root=root)
    if text is not None:
        try:
            doc = tomllib.loads(text)
        except (tomllib.TOMLDecodeError, ValueError, RecursionError) as exc:
            raise DabprpError("pyproject.toml", _toml_line(exc), f"cannot read settings: {_reason(exc)}") from None
        tool = doc.get("tool")
        section = tool.get("dabprp") if isinstance(tool, dict) else None
        if isinstance(section, dict):
            return {k.replace("-", "_"): v for k, v in section.items()}, "pyproject.toml"
    for name in SETTINGS_FILES:
        text = read_text(os.path.join(root, name), shown=name, root=root)
        if text is None:
            continue
        try:
            doc = yaml.load(text, Loader=_YAML_LOADER) or {}
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            raise DabprpError(name, mark.line + 1 if mark else None,
                              f"cannot read settings: {exc.problem or exc.context or 'invalid YAML'}") from None
        except (yaml.YAMLError, ValueError, RecursionError) as exc:
            raise DabprpError(name, None, f"cannot read settings: {_reason(exc)}") from None
        if not isinstance(doc, dict):
            raise DabprpError(name, 1, "settings must be a mapping")
        return {str(k).replace("-", "_"): v for k, v in doc.items()}, name
    return {}, "defaults"


def _reason(exc: BaseException) -> str:
    if isinstance(exc, RecursionError):
        return "nested too deeply"
    text = str(exc)
    if is_long_integer_error(exc):
        return LONG_INTEGER
    return text.splitlines()[0] if text else type(exc).__name__


def _toml_line(exc: BaseException) -> int | None:
    line = getattr(exc, "lineno", None)
    return line if isinstance(line, int) else None
