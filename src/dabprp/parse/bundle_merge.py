"""Merging bundle trees the way the Databricks CLI does, keeping each value's origin."""

from __future__ import annotations

from typing import Any

from dabprp.parse.yaml_source import LocNode

# Lists whose items the CLI merges by a key instead of appending (libs/dyn/merge + mutators).
KEYED_LISTS = {
    "tasks": "task_key",
    "job_clusters": "job_cluster_key",
    "environments": "environment_key",
    "parameters": "name",
}


def merge(base: Any, bloc: LocNode, over: Any, oloc: LocNode, key: Any = None) -> tuple[Any, LocNode]:
    """Deep-merge `over` onto `base`: maps recursively, keyed lists by key, other lists appended."""
    if isinstance(base, dict) and isinstance(over, dict):
        bkids = bloc.kids if isinstance(bloc.kids, dict) else {}
        okids = oloc.kids if isinstance(oloc.kids, dict) else {}
        out = dict(base)
        kids = dict(bkids)
        for k, v in over.items():
            ok = okids.get(k, oloc)
            if k in out and k in bkids:
                out[k], kids[k] = merge(out[k], bkids[k], v, ok, k)
            else:
                out[k], kids[k] = v, ok
        return out, LocNode(bloc.at, kids)
    if isinstance(base, list) and isinstance(over, list):
        bitems = bloc.kids if isinstance(bloc.kids, list) else []
        oitems = oloc.kids if isinstance(oloc.kids, list) else []
        item_key = KEYED_LISTS.get(key)
        if item_key and all(isinstance(i, dict) for i in base + over):
            return _merge_keyed(base, bitems, over, oitems, item_key, bloc)
        values = list(base) + list(over)
        kids_list = _pad(bitems, len(base), bloc) + _pad(oitems, len(over), oloc)
        return values, LocNode(bloc.at, kids_list)
    return over, oloc


def _pad(kids: list[LocNode], n: int, parent: LocNode) -> list[LocNode]:
    return list(kids[:n]) + [parent] * (n - len(kids))


def _item_key(item: dict[str, Any], item_key: str) -> str | int | float | None:
    """The value items are matched by (`task_key`, `name`, ...); a list, mapping, boolean or missing key
    matches none (the schema reports it)."""
    key = item.get(item_key)
    return key if type(key) in (str, int, float) else None  # `true` is not the key `1`


def _merge_keyed(
    base: list[dict[str, Any]], bkids: list[LocNode], over: list[dict[str, Any]],
    okids: list[LocNode], item_key: str, bloc: LocNode,
) -> tuple[list[Any], LocNode]:
    values: list[Any] = list(base)
    kids = _pad(bkids, len(base), bloc)
    index = {key: i for i, item in enumerate(base) if (key := _item_key(item, item_key)) is not None}
    for j, item in enumerate(over):
        oloc = okids[j] if j < len(okids) else bloc
        key = _item_key(item, item_key)
        i = index.get(key) if key is not None else None
        if i is None:
            if key is not None:
                index[key] = len(values)
            values.append(item)
            kids.append(oloc)
        else:
            values[i], kids[i] = merge(values[i], kids[i], item, oloc)
    return values, LocNode(bloc.at, kids)
