"""JSON Schema (draft 2020-12) of `analyze --format json`, derived from the fact dataclasses."""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from typing import Any

from dabprp import facts

SCHEMA_ID = "https://dabprp.dev/schemas/facts.json"


def facts_schema() -> dict[str, Any]:
    return schema_for(facts.Project, SCHEMA_ID, "dabprp project facts")


def plan_schema() -> dict[str, Any]:
    from dabprp.plan.model import Plan

    return schema_for(Plan, "https://dabprp.dev/schemas/plan.json", "dabprp deployment plan and findings")


def schema_for(root_type: type, schema_id: str, title: str) -> dict[str, Any]:
    defs: dict[str, Any] = {}
    root = _for_type(root_type, defs)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": schema_id,
        "title": title,
        **root,
        "$defs": dict(sorted(defs.items())),
    }


def _for_type(tp: Any, defs: dict[str, Any]) -> dict[str, Any]:
    if tp is facts.Location:
        defs.setdefault("Location", {
            "type": "object", "additionalProperties": False, "required": ["path", "line"],
            "properties": {"path": {"type": "string"}, "line": {"type": "integer", "minimum": 1}},
        })
        return {"$ref": "#/$defs/Location"}
    if isinstance(tp, type) and hasattr(tp, "JSON_SCHEMA"):  # a type with its own JSON form
        return dict(tp.JSON_SCHEMA)
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        name = tp.__name__
        if name not in defs:
            defs[name] = {}  # placeholder against recursion
            hints = typing.get_type_hints(tp)
            props = {f.name: _for_type(hints[f.name], defs) for f in dataclasses.fields(tp)}
            kinds = getattr(tp, "KINDS", None)
            if kinds is not None:  # code facts keep the schema-1 shape first: kind, name, location, detail
                legacy = {"kind": {"type": "string", "enum": list(kinds)}, "name": props["name"],
                          "location": props["location"], "detail": {"type": "object"}}
                props = {**legacy, **{k: v for k, v in props.items() if k not in legacy}}
            doc = (tp.__doc__ or "").strip()
            entry: dict[str, Any] = {"type": "object", "additionalProperties": False,
                                     "required": list(props), "properties": props}
            if doc and not doc.startswith(name + "("):
                entry["description"] = doc
            defs[name] = entry
        return {"$ref": f"#/$defs/{name}"}
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        options = [_for_type(a, defs) for a in args if a is not type(None)]
        if type(None) in args:
            options.append({"type": "null"})
        return options[0] if len(options) == 1 else {"anyOf": options}
    if origin is tuple and args and args[-1] is not Ellipsis:  # a pair, a triple: one schema per position
        return {"type": "array", "prefixItems": [_for_type(a, defs) for a in args], "items": False,
                "minItems": len(args)}
    if origin in (tuple, list):
        item = args[0] if args else Any
        return {"type": "array", "items": _for_type(item, defs)}
    if origin is dict:
        value = args[1] if len(args) > 1 else Any
        return {"type": "object", "additionalProperties": _for_type(value, defs)}
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return {"type": "string", "enum": [m.value for m in tp]}
    simple = {str: "string", int: "integer", float: "number", bool: "boolean"}
    if tp in simple:
        return {"type": simple[tp]}
    return {}
