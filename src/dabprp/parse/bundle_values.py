"""Reading bundle values with their locations: small typed accessors, identities and permissions."""

from __future__ import annotations

from typing import Any

from dabprp.facts import Location, Permission, RunAs, Workspace
from dabprp.parse.yaml_source import LocNode

PRINCIPAL_KEYS = (
    ("user_name", "user"), ("service_principal_name", "service_principal"), ("group_name", "group"),
)


def child(loc: LocNode | None, *keys: Any) -> LocNode:
    node = loc
    for key in keys:
        nxt = node.child(key) if node else None
        if nxt is None:
            return node if node is not None else LocNode(Location("?", 1))
        node = nxt
    assert node is not None
    return node


def get(tree: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(tree, dict):
            return None
        tree = tree.get(key)
    return tree


def as_str(value: Any) -> str | None:
    return None if value is None else str(value)


def as_int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def as_dict(value: Any) -> dict[str, Any]:
    return dict(value) if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def workspace(raw: Any, loc: LocNode) -> Workspace | None:
    if not isinstance(raw, dict):
        return None
    return Workspace(loc.at, as_str(raw.get("host")), as_str(raw.get("root_path")), as_str(raw.get("profile")))


def run_as(raw: Any, loc: LocNode) -> RunAs | None:
    if not isinstance(raw, dict):
        return None
    for key, kind in PRINCIPAL_KEYS:
        if raw.get(key):
            return RunAs(kind, str(raw[key]), child(loc, key).at)
    return None


def permissions(raw: Any, loc: LocNode) -> tuple[Permission, ...]:
    if not isinstance(raw, list):
        return ()
    out = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict):
            continue
        kind, principal = next(
            ((kind, str(item[key])) for key, kind in PRINCIPAL_KEYS if item.get(key)), ("unknown", "")
        )
        out.append(Permission(str(item.get("level")), kind, principal, child(loc, i).at))
    return tuple(out)
