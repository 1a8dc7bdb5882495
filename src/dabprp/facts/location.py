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


def to_data(obj: Any) -> Any:
    """Facts as JSON-ready data: dataclasses become dicts in field order, Locations `path:line`."""
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
