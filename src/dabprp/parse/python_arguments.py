"""A call's arguments as typed values: a list of constants is one Literal, a dict written out (or bound once to a
name) is a `Mapping` with its entries and the secret or environment variable each entry reads; secrets redacted."""

from __future__ import annotations

import ast
import re

from dabprp.facts import Expr, ExternalRead, Literal, Mapping, MappingEntry, Unknown, Value
from dabprp.parse.python_ast import arg, is_stand_in, qualified, redact_tokens
from dabprp.parse.python_values import GETENV, MAX_DEPTH, Folder, redacted

# `{{secrets/<scope>/<key>}}`: a secret the serving endpoint or job resolves when it starts.
SECRET_REFERENCE_RE = re.compile(r"^\{\{\s*secrets/([^/{}]+)/([^/{}]+?)\s*\}\}$")
_MARK = "\x00"


def call_arguments(folder: Folder, call: ast.Call) -> dict[str, Value]:
    """Each argument of `call` folded, keyed like `call_args` (`_0`, `_1`…, keywords, `**`); a secret-named
    keyword's value and any value holding a token are Unknown (reported by location only)."""
    out: dict[str, Value] = {f"_{i}": redacted("", argument(folder, a)) for i, a in enumerate(call.args)}
    for kw in call.keywords:
        out[kw.arg or "**"] = redacted(kw.arg or "", argument(folder, kw.value))
    return out


def argument(folder: Folder, node: ast.AST, depth: int = 0) -> Value:
    """A list or tuple of constants is one Literal (its items as a tuple); a dict is a Mapping; anything else folds
    as usual."""
    if isinstance(node, (ast.List, ast.Tuple)):
        items = [folder.value(e) for e in node.elts]
        scalars = [i.value for i in items if isinstance(i, Literal) and not isinstance(i.value, tuple)]
        if len(scalars) == len(items):
            return Literal(tuple(scalars), "list of constants")
        return Expr(folder.source(node))
    found = mapping(folder, node, depth)
    return found if found is not None else folder.value(node)


def mapping(folder: Folder, node: ast.AST, depth: int = 0) -> Mapping | None:
    """`{k: v, **other}` or `dict(k=v)` written at `node`, or bound once to the name at `node`; else None."""
    written = _written_dict(folder, node, depth)
    if written is None:
        return None
    pairs: list[tuple[Value, ast.expr, ast.AST]] = []
    if isinstance(written, ast.Dict):
        for key, value in zip(written.keys, written.values, strict=True):
            key_value = folder.value(key) if key is not None else Unknown(f"`**{folder.source(value)}` unpacked")
            pairs.append((key_value, value, key if key is not None else value))
    else:
        for kw in written.keywords:
            pairs.append((Literal(kw.arg) if kw.arg else Unknown(f"`**{folder.source(kw.value)}` unpacked"),
                          kw.value, kw))
    entries = tuple(_entry(folder, key, value, where, depth) for key, value, where in pairs)
    hidden = {id(value) for (_, value, _), entry in zip(pairs, entries, strict=True)
              if isinstance(entry.value, Unknown)}
    return Mapping(redact_tokens(folder.source(_without(written, hidden) if hidden else written)), entries=entries)


def _without(written: ast.Dict | ast.Call, hidden: set[int]) -> ast.Dict | ast.Call:
    """`written` with the values in `hidden` (redacted secrets) written as `***redacted***`, for its source."""
    def shown(value: ast.expr) -> ast.expr:
        return ast.Constant("***redacted***") if id(value) in hidden else value

    if isinstance(written, ast.Dict):
        return ast.Dict(keys=written.keys, values=[shown(v) for v in written.values])
    return ast.Call(func=written.func, args=[],
                    keywords=[ast.keyword(arg=k.arg, value=shown(k.value)) for k in written.keywords])


def _written_dict(folder: Folder, node: ast.AST, depth: int) -> ast.Dict | ast.Call | None:
    if isinstance(node, ast.Name) and depth <= MAX_DEPTH:
        bound = folder.bound(node.id)
        return _written_dict(folder, bound, depth + 1) if bound is not None else None
    if isinstance(node, ast.Dict):
        return node
    if isinstance(node, ast.Call) and qualified(node.func, folder.aliases) == "dict" and not node.args:
        return node
    return None


def _entry(folder: Folder, key: Value, value_node: ast.expr, where: ast.AST, depth: int) -> MappingEntry:
    key_text = key.value if isinstance(key, Literal) and isinstance(key.value, str) else ""
    value = redacted(key_text, argument(folder, value_node, depth + 1))
    return MappingEntry(key, value, folder.loc(where), external_read(folder, value_node, depth + 1))


def external_read(folder: Folder, node: ast.AST | None, depth: int = 0) -> ExternalRead | None:
    """The secret or environment variable `node` reads: `dbutils.secrets.get(scope, key)`, `os.environ["X"]`,
    `os.getenv("X")`, `"{{secrets/scope/key}}"` (literal or f-string), following a name bound once."""
    if node is None or depth > MAX_DEPTH:
        return None
    if isinstance(node, ast.Name):
        return external_read(folder, folder.bound(node.id), depth + 1)
    if isinstance(node, ast.Call):
        name = qualified(node.func, folder.aliases) or ""
        if name.endswith("secrets.get"):
            return ExternalRead("secret", _name(folder, arg(node, "key", 1), "no key argument"),
                                _name(folder, arg(node, "scope", 0), "no scope argument"))
        if name in GETENV or name.endswith(("os.environ.get", "os.getenv")):
            return ExternalRead("environment", _name(folder, arg(node, "key", 0), "no variable name"))
        return None
    if isinstance(node, ast.Subscript) and (qualified(node.value, folder.aliases) or "").endswith("os.environ"):
        return ExternalRead("environment", _name(folder, node.slice, "no variable name"))
    if isinstance(node, (ast.Constant, ast.JoinedStr)):
        return _secret_reference(folder, node)
    return None


def _name(folder: Folder, node: ast.AST | None, missing: str) -> Value:
    return redacted("", folder.value(node, missing))


def _secret_reference(folder: Folder, node: ast.Constant | ast.JoinedStr) -> ExternalRead | None:
    """`{{secrets/scope/key}}` as a literal or an f-string whose scope and key are each text or one value."""
    parts = node.values if isinstance(node, ast.JoinedStr) else [node]
    text = ""
    marked: dict[str, Value] = {}
    for index, part in enumerate(parts):
        if isinstance(part, ast.Constant) and isinstance(part.value, str) and not is_stand_in(part.value):
            text += part.value
        elif isinstance(part, ast.FormattedValue) and part.conversion == -1 and part.format_spec is None:
            folded = _name(folder, part.value, "")
            if isinstance(folded, Literal) and isinstance(folded.value, str):
                text += folded.value
            else:
                mark = f"{_MARK}{index}{_MARK}"
                marked[mark] = folded
                text += mark
        else:
            return None
    match = SECRET_REFERENCE_RE.match(text)
    if match is None:
        return None

    def piece(written: str) -> Value:
        if written in marked:
            return marked[written]
        return Unknown("built from several parts") if _MARK in written else Literal(written)

    return ExternalRead("secret", piece(match.group(2)), piece(match.group(1)))
