"""What a change does to deployed resources, per target: created, modified, deleted, recreated, state moves."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from dabprp.diff.deployed import Deployed, TargetState
from dabprp.facts import Location
from dabprp.records import record

# Fields whose change makes the deployment replace the object (destroy + create), per resource type.
RECREATE_FIELDS = {
    "registered_models": ("name", "catalog_name", "schema_name"),
    "model_serving_endpoints": ("name",),
    "apps": ("name",),
    "schemas": ("name", "catalog_name"),
    "volumes": ("name", "catalog_name", "schema_name", "volume_type", "storage_location"),
    "secret_scopes": ("name", "backend_type"),
    "pipelines": ("catalog", "storage"),
    "quality_monitors": ("table_name",),
    "database_instances": ("name",),
    "database_catalogs": ("name", "database_instance_name"),
    "synced_database_tables": ("name",),
}
# Actions that destroy something deployed: they need --allow-destroy.
DESTRUCTIVE = ("deleted", "renamed", "recreated", "moved", "mode")


@record
class Change:
    target: str
    action: str
    """`created`, `modified`, `deleted`, `renamed` (destroy + create under a new key), `recreated` (a field that
    replaces the object changed), `moved` (deployment state location), `mode` (target mode: names change)."""
    what: str
    """`type.key` of a resource, or the workspace field of a state move."""
    fields: tuple[str, ...] = ()
    detail: str = ""
    location: Location | None = None
    bind: str = ""
    """A `created` resource that already exists outside the bundle: where, and the bind it needs first."""

    @property
    def destructive(self) -> bool:
        return self.action in DESTRUCTIVE


@record
class DiffReport:
    base: str
    head: str
    targets: tuple[str, ...]
    changes: tuple[Change, ...]

    @property
    def destructive(self) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if c.destructive)


def compare(base: Deployed, head: Deployed, targets: tuple[str, ...] | None = None,
            binds: dict[tuple[str, str], str] | None = None) -> DiffReport:
    """`binds`: per (target, `type.key`) a created resource that already exists outside the bundle."""
    base = _implicit_as(base, head)
    names = targets or tuple(sorted(set(base.targets) | set(head.targets), key=_target_order(base, head)))
    changes: list[Change] = []
    for name in names:
        old, new = base.targets.get(name), head.targets.get(name)
        changes += _target_changes(name, old, new)
    changes = [replace(c, bind=(binds or {}).get((c.target, c.what), "")) if c.action == "created" else c
               for c in changes]
    return DiffReport(base.label, head.label, tuple(names), tuple(changes))


def _implicit_as(base: Deployed, head: Deployed) -> Deployed:
    """A bundle that gains targets: its implicit `default` target is the one deployed without `-t` now."""
    name = head.default_target
    if not base.implicit or head.implicit or name is None or "default" in head.targets:
        return base
    return replace(base, targets={name: replace(base.targets["default"], name=name)}, implicit=False)


def _target_order(base: Deployed, head: Deployed) -> Any:
    order = list(base.targets) + [t for t in head.targets if t not in base.targets]
    return order.index


def _target_changes(name: str, old: TargetState | None, new: TargetState | None) -> list[Change]:
    if old is None and new is None:
        return []
    out: list[Change] = []
    if old is not None and new is not None and old.deployable:
        out += _state_changes(name, old, new)
    old_res = old.resources if old else {}
    new_res = new.resources if new else {}
    deleted = sorted(k for k in old_res if k not in new_res)
    created = sorted(k for k in new_res if k not in old_res)
    for d in list(deleted):
        twin = next((c for c in created if c[0] == d[0] and _same_object(old_res[d], new_res[c])), None)
        if twin is not None:
            deleted.remove(d)
            created.remove(twin)
            out.append(Change(name, "renamed", f"{d[0]}.{d[1]}", (), f"key `{d[1]}` → `{twin[1]}`: the deployment "
                              f"destroys `{d[1]}` and creates `{twin[1]}`", new.locations.get(twin) if new else None))
    for key in deleted:
        out.append(Change(name, "deleted", f"{key[0]}.{key[1]}", (), _named(old_res[key]),
                          old.locations.get(key) if old else None))
    for key in sorted(k for k in old_res if k in new_res):
        fields = _changed_fields(old_res[key], new_res[key])
        if not fields:
            continue
        forced = [f for f in fields if f in RECREATE_FIELDS.get(key[0], ())]
        detail = "; ".join(f"{f}: {_shown(_get(old_res[key], f))} → {_shown(_get(new_res[key], f))}"
                           for f in (forced or fields))
        out.append(Change(name, "recreated" if forced else "modified", f"{key[0]}.{key[1]}", fields, detail,
                          new.locations.get(key) if new else None))
    for key in created:
        out.append(Change(name, "created", f"{key[0]}.{key[1]}", (), _named(new_res[key]),
                          new.locations.get(key) if new else None))
    return out


def _state_changes(name: str, old: TargetState, new: TargetState) -> list[Change]:
    out = []
    for field in ("host", "root_path", "state_path"):
        before, after = old.state[field], new.state[field]
        if field == "state_path":  # implicit: <root_path>/state, already reported with the root
            before = before or f"{old.state['root_path']}/state"
            after = after or f"{new.state['root_path']}/state"
            if not (old.state[field] or new.state[field]):
                continue
        if before != after:
            out.append(Change(name, "moved", f"workspace.{field}", (field,),
                              f"`{before}` → `{after}`: the deployment state is not found "
                              "there, so every resource would be deployed again as a second copy", new.location))
    for key in ("run_as", "permissions", "presets"):
        if old.settings.get(key) != new.settings.get(key):
            out.append(Change(name, "modified", key, (), f"applies to every resource of `{name}`", new.location))
    if (old.mode or None) != (new.mode or None):
        out.append(Change(name, "mode", "mode", ("mode",), f"`{old.mode or 'unset'}` → `{new.mode or 'unset'}`: "
                          "development mode prefixes names, so UC models and serving endpoints are recreated",
                          new.location))
    return out


def _same_object(old: Any, new: Any) -> bool:
    """A deleted and a created resource of one type that are the same thing under another key."""
    if old == new:
        return True
    name_old = old.get("name") if isinstance(old, dict) else None
    name_new = new.get("name") if isinstance(new, dict) else None
    return bool(name_old) and name_old == name_new


def _changed_fields(old: Any, new: Any) -> tuple[str, ...]:
    if not isinstance(old, dict) or not isinstance(new, dict):
        return ("(whole)",) if old != new else ()
    return tuple(sorted(str(k) for k in set(old) | set(new) if old.get(k) != new.get(k)))


def _get(body: Any, field: str) -> Any:
    return body.get(field) if isinstance(body, dict) else None


def _named(body: Any) -> str:
    name = _get(body, "name")
    return f"name `{name}`" if name else ""


def _shown(value: Any) -> str:
    """A field's value in one line: `unset`, or compact JSON in backticks (long values cut at 160 characters)."""
    if value is None:
        return "unset"
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, separators=(", ", ": "))
    return f"`{text if len(text) <= 160 else text[:157] + '...'}`"


def _short(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 80 else text[:77] + "..."
