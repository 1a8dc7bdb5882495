"""Small `ast` helpers: qualified call names through imports, and value summaries for facts."""

from __future__ import annotations

import ast
import re
from typing import Any

from dabprp.parse.python_grammar import FSTRING_SENTINEL
from dabprp.parse.secrets import TOKEN_FORMATS

SECRET_NAME_RE = re.compile(r"(pass(word|wd)?|secret|token|api_?key|access_?key|credential)", re.I)
TOKEN_RES = TOKEN_FORMATS
PLACEHOLDER_RE = re.compile(r"^(|<.*>|\*+|x+|changeme|todo.*|your[_-].*|\{\{secrets/.*\}\}|\$\{.*\})$", re.I)
MAX_SUMMARY = 200


def import_aliases(tree: ast.AST) -> dict[str, str]:
    """Local name → fully qualified name, from every import in the module."""
    aliases: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.asname:
                    aliases[a.asname] = a.name
                else:
                    aliases.setdefault(a.name.split(".")[0], a.name.split(".")[0])
        elif isinstance(node, ast.ImportFrom) and (node.module or node.level):
            # a relative import keeps its dots (`.base.BaseAgent`): a project module, never a package
            module = "." * node.level + (node.module or "")
            for a in node.names:
                aliases[a.asname or a.name] = f"{module}.{a.name}" if node.module else f"{module}{a.name}"
    return aliases


def dotted(node: ast.AST) -> str | None:
    """`a.b.c` for a Name/Attribute chain, else None."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    if isinstance(node, ast.Call):
        inner = dotted(node.func)
        if inner:
            parts.append(inner + "()")
            return ".".join(reversed(parts))
    return None


def qualified(node: ast.AST, aliases: dict[str, str]) -> str | None:
    name = dotted(node)
    if name is None:
        return None
    head, _, rest = name.partition(".")
    full = aliases.get(head, head)
    return f"{full}.{rest}" if rest else full


def summarize(node: ast.AST | None, depth: int = 0) -> Any:
    """A JSON-ready summary of an expression: literals kept, names as `<name>`, calls shortened."""
    if node is None:
        return None
    if isinstance(node, ast.Constant):
        value = node.value
        if is_stand_in(value):
            return "<f-string>"
        if isinstance(value, str) and len(value) > MAX_SUMMARY:
            return value[:MAX_SUMMARY] + "…"
        return value if isinstance(value, (str, int, float, bool)) or value is None else repr(value)
    if depth > 3:
        return "…"
    if isinstance(node, ast.JoinedStr):
        return "".join(
            str(v.value) if isinstance(v, ast.Constant) else "{" + _short(v.value) + "}"
            for v in node.values
            if isinstance(v, (ast.Constant, ast.FormattedValue))
        )
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return [summarize(e, depth + 1) for e in node.elts]
    if isinstance(node, ast.Dict):
        return {
            (str(summarize(k, depth + 1)) if k is not None else "**"): summarize(v, depth + 1)
            for k, v in zip(node.keys, node.values, strict=False)
        }
    return "<" + _short(node) + ">"


def _short(node: ast.AST) -> str:
    text = ast.unparse(node)
    text = " ".join(text.split())
    return text if len(text) <= MAX_SUMMARY else text[:MAX_SUMMARY] + "…"


def call_args(call: ast.Call) -> dict[str, Any]:
    """Positional args as `_0`, `_1`…, keywords by name, each summarized; secret values redacted."""
    out: dict[str, Any] = {}
    for i, arg in enumerate(call.args):
        out[f"_{i}"] = summarize(arg)
    for kw in call.keywords:
        key = kw.arg or "**"
        value = summarize(kw.value)
        literal = kw.value.value if isinstance(kw.value, ast.Constant) else None
        if kw.arg and SECRET_NAME_RE.search(kw.arg) and isinstance(literal, str) and not PLACEHOLDER_RE.match(literal):
            value = "***redacted***"
        out[key] = redact_tokens(_redact_named(value))
    return out


def _redact_named(summary: Any) -> Any:
    """A dict summary with the text under secret-named keys (`{"API_KEY": "..."}`) redacted, at any depth."""
    if isinstance(summary, dict):
        return {k: "***redacted***" if SECRET_NAME_RE.search(k) and isinstance(v, str) and not PLACEHOLDER_RE.match(v)
                else _redact_named(v) for k, v in summary.items()}
    if isinstance(summary, list):
        return [_redact_named(v) for v in summary]
    return summary


def redact_tokens(value: Any) -> Any:
    if isinstance(value, str):
        for _, pattern in TOKEN_RES:
            value = pattern.sub("***redacted***", value)
        return value
    if isinstance(value, list):
        return [redact_tokens(v) for v in value]
    if isinstance(value, dict):
        return {k: redact_tokens(v) for k, v in value.items()}
    return value


def arg(call: ast.Call, name: str, position: int | None = None) -> ast.AST | None:
    for kw in call.keywords:
        if kw.arg == name:
            return kw.value
    if position is not None and position < len(call.args):
        return call.args[position]
    return None


def is_stand_in(value: object) -> bool:
    """The string that replaced an f-string the running interpreter cannot parse (not a literal)."""
    return isinstance(value, str) and value.startswith(FSTRING_SENTINEL)


def const_str(node: ast.AST | None, constants: dict[str, str] | None = None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and not is_stand_in(node.value):
        return node.value
    if constants and isinstance(node, ast.Name) and node.id in constants:
        return constants[node.id]
    return None
