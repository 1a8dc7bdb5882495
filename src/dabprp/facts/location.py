"""Where a fact was read: a root-relative path and a 1-based line; and facts as JSON-ready data."""

from __future__ import annotations

from dataclasses import dataclass, fields, is_dataclass
from enum import Enum
from typing import Any


@dataclass(frozen=True, slots=True, order=True)
class Location:
    """A place in the analyzed project: a root-relative POSIX path and a 1-based line."""

    path: str
    line: int = 1

    def __str__(self) -> str:
        return f"{self.path}:{self.line}"


_SCALARS = (str, int, float, bool, type(None))


def to_data(obj: Any) -> Any:
    """Facts as JSON-ready data: dataclasses become dicts in field order, Locations `path:line`."""
    kind = type(obj)
    if kind in _SCALARS:
        return obj
    if kind is Location:
        return {"path": obj.path, "line": obj.line}
    if kind is list or kind is tuple:
        return [to_data(v) for v in obj]
    if kind is dict:
        return {str(k): to_data(v) for k, v in obj.items()}
    names = _field_names(kind)
    if names is not None and not hasattr(obj, "as_data") and not hasattr(obj, "legacy_fields"):
        return {name: to_data(getattr(obj, name)) for name in names}
    return _to_data(obj)


_FIELD_NAMES: dict[type, tuple[str, ...] | None] = {}


def _field_names(kind: type) -> tuple[str, ...] | None:
    """A dataclass's field names in order (computed once per class), None for any other class."""
    if kind not in _FIELD_NAMES:
        _FIELD_NAMES[kind] = tuple(f.name for f in fields(kind)) if is_dataclass(kind) else None
    return _FIELD_NAMES[kind]


def _to_data(obj: Any) -> Any:
    if isinstance(obj, Location):
        return {"path": obj.path, "line": obj.line}
    if is_dataclass(obj) and not isinstance(obj, type):
        if hasattr(obj, "as_data"):  # a value with its own JSON form (the plan's prose: plain text)
            return obj.as_data()
        out = {k: to_data(v) for k, v in obj.legacy_fields().items()} if hasattr(obj, "legacy_fields") else {}
        out.update((f.name, to_data(getattr(obj, f.name))) for f in fields(obj) if f.name not in out)
        return out
    if isinstance(obj, Enum):
        return obj.value
    if isinstance(obj, (list, tuple)):
        return [to_data(v) for v in obj]
    if isinstance(obj, dict):
        return {str(k): to_data(v) for k, v in obj.items()}
    return obj
