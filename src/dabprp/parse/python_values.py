"""Constant folding over `ast`: what an argument's value is, as far as the source says.

Folds literals, module constants and names assigned once in a function, `self.x` set once in a class,
`os.getenv`/`os.environ.get` defaults, f-strings and `+` of known strings; reads of the agent config
(`config.get("k")`, `cfg["a"]["b"]`) become expressions carrying the key, resolved later against the
config YAML. Everything else is an `Expr` with its source text."""

from __future__ import annotations

import ast
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from dabprp.facts import AgentConfig, EndpointUse, Expr, GenieAgent, Literal, Location, PythonFacts, Unknown, Value
from dabprp.parse.python_ast import PLACEHOLDER_RE, SECRET_NAME_RE, is_stand_in, qualified, redact_tokens

MAX_SOURCE = 200
MAX_DEPTH = 8
GETENV = frozenset({"os.getenv", "os.environ.get", "os.environ.setdefault", "getenv"})
CONFIG_CLASSES = frozenset({"ModelConfig"})
CONFIG_NAME_WORDS = ("conf", "cfg", "setting")
# A notebook task's parameter (base_parameters, job parameters) as the task reads it.
WIDGET_READS = ("dbutils.widgets.get", "dbutils.widgets.getArgument")


@dataclass(slots=True)
class Scope:
    """Names bound exactly once in one function (or the module), and the parameters that shadow them."""

    assigned: dict[str, ast.expr] = field(default_factory=dict)
    params: frozenset[str] = frozenset()


def scope_of(body: list[ast.stmt], params: frozenset[str] = frozenset()) -> Scope:
    counts: Counter[str] = Counter()
    values: dict[str, ast.expr] = {}
    for node in _walk_no_nested(body):
        targets: list[ast.expr] = []
        value: ast.expr | None = None
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        elif isinstance(node, (ast.AugAssign, ast.For, ast.AsyncFor, ast.NamedExpr, ast.With, ast.AsyncWith)):
            bound = [i.optional_vars for i in node.items if i.optional_vars is not None] \
                if isinstance(node, (ast.With, ast.AsyncWith)) else [node.target]
            for target in bound:
                for sub in ast.walk(target):
                    if isinstance(sub, ast.Name):
                        counts[sub.id] += 2
            continue
        for target in targets:
            if isinstance(target, ast.Name) and value is not None:
                counts[target.id] += 1
                values[target.id] = value
            else:
                for sub in ast.walk(target):
                    if isinstance(sub, ast.Name):
                        counts[sub.id] += 2
    return Scope({k: v for k, v in values.items() if counts[k] == 1}, params)


def self_attributes(cls: ast.ClassDef) -> dict[str, ast.expr]:
    """`self.x = value` assigned exactly once across the class's methods."""
    counts: Counter[str] = Counter()
    values: dict[str, ast.expr] = {}
    for node in ast.walk(cls):
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for t in targets:
                if isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) and t.value.id == "self":
                    counts[t.attr] += 1
                    values[t.attr] = node.value
    return {k: v for k, v in values.items() if counts[k] == 1}


def _walk_no_nested(body: list[ast.stmt]) -> list[ast.AST]:
    out: list[ast.AST] = []
    stack: list[ast.AST] = list(body)
    while stack:
        node = stack.pop()
        out.append(node)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        stack.extend(ast.iter_child_nodes(node))
    return out


def params_of(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> frozenset[str]:
    a = fn.args
    names = [x.arg for x in (*a.posonlyargs, *a.args, *a.kwonlyargs)]
    names += [x.arg for x in (a.vararg, a.kwarg) if x is not None]
    return frozenset(names)


class Folder:
    """Folds expressions of one module, given the scopes the visitor is in."""

    def __init__(self, path: str, aliases: dict[str, str], fallbacks: dict[str, str],
                 file_line: Callable[[int], int]) -> None:
        self.path = path
        self.aliases = aliases
        self.fallbacks = fallbacks
        self.file_line = file_line
        self.scopes: list[Scope] = []
        self.attributes: list[dict[str, ast.expr]] = []

    def value(self, node: ast.AST | None, missing: str = "not given in the call") -> Value:
        if node is None:
            return Unknown(missing)
        return self._fold(node, len(self.scopes) - 1, 0)

    def loc(self, node: ast.AST) -> Location:
        return Location(self.path, self.file_line(getattr(node, "lineno", 1)))

    def source(self, node: ast.AST) -> str:
        if isinstance(node, ast.Constant) and is_stand_in(node.value):
            return self.fallbacks.get(str(node.value).rstrip("\n"), "f-string")
        text = " ".join(ast.unparse(node).split())
        return text if len(text) <= MAX_SOURCE else text[:MAX_SOURCE] + "…"

    def _fold(self, node: ast.AST, scope: int, depth: int) -> Value:
        if depth > MAX_DEPTH:
            return Expr(self.source(node))
        if isinstance(node, ast.Constant):
            v = node.value
            if is_stand_in(v) or not isinstance(v, (str, int, float, bool, type(None))):
                return Expr(self.source(node))
            return Literal(v)
        if isinstance(node, ast.Name):
            return self._name(node, scope, depth)
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self":
            attrs = self.attributes[-1] if self.attributes else {}
            if node.attr in attrs:
                return self._named(f"self.{node.attr}", attrs[node.attr], len(self.scopes) - 1, depth)
            return Expr(self.source(node))
        if isinstance(node, ast.JoinedStr):
            folded_parts: list[Value] = []
            for part in node.values:
                inner = part.value if isinstance(part, ast.FormattedValue) else part
                if isinstance(part, ast.FormattedValue) and (part.format_spec or part.conversion != -1):
                    return Expr(self.source(node))
                folded_parts.append(self._fold(inner, scope, depth + 1))
            if all(isinstance(f, Literal) and f.value is not None for f in folded_parts):
                return Literal("".join(str(f.value) for f in folded_parts if isinstance(f, Literal)),
                               "f-string of constants")
            return Expr(self.source(node), template=_template(folded_parts))
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left, right = self._fold(node.left, scope, depth + 1), self._fold(node.right, scope, depth + 1)
            if isinstance(left, Literal) and isinstance(right, Literal) \
                    and isinstance(left.value, str) and isinstance(right.value, str):
                return Literal(left.value + right.value, "concatenation of constants")
            return Expr(self.source(node), template=_template([left, right]))
        if isinstance(node, ast.Call):
            return self._call(node, scope, depth)
        if isinstance(node, ast.Subscript):
            key = self.config_key(node, scope, depth)
            return Expr(self.source(node), key)
        return Expr(self.source(node))

    def _name(self, node: ast.Name, scope: int, depth: int) -> Value:
        for index in range(scope, -1, -1):
            s = self.scopes[index]
            if node.id in s.params:
                return Expr(self.source(node))
            if node.id in s.assigned:
                return self._named(node.id, s.assigned[node.id], index, depth)
        return Expr(self.source(node))

    def _named(self, name: str, value_node: ast.expr, scope: int, depth: int) -> Value:
        folded = self._fold(value_node, scope, depth + 1)
        if isinstance(folded, Literal) and folded.evidence is None:
            via = f"constant {name}" if folded.via == "literal" else f"{folded.via} (via {name})"
            return Literal(folded.value, via, self.loc(value_node))
        return folded

    def _call(self, node: ast.Call, scope: int, depth: int) -> Value:
        name = qualified(node.func, self.aliases) or ""
        if name in GETENV or name.endswith(("os.environ.get", "os.getenv")):
            key = node.args[0] if node.args else None
            default = node.args[1] if len(node.args) > 1 else next(
                (k.value for k in node.keywords if k.arg == "default"), None)
            key_text = self.source(key) if key is not None else "?"
            if default is not None:
                folded = self._fold(default, scope, depth + 1)
                if isinstance(folded, Literal) and folded.value is not None:
                    return Literal(folded.value, f"default of {name}({key_text})",
                                   folded.evidence or self.loc(default))
            return Expr(self.source(node))
        if name.endswith(WIDGET_READS) and len(node.args) == 1 and not node.keywords:
            param = self._fold(node.args[0], scope, depth + 1)
            if isinstance(param, Literal) and isinstance(param.value, str) and param.value:
                return Expr(self.source(node), template=(("param", param.value),))
        if isinstance(node.func, ast.Attribute) and node.func.attr == "get" and node.args:
            config_key = self.config_key(node, scope, depth)
            if config_key is not None:
                return Expr(self.source(node), config_key)
        return Expr(self.source(node))

    def config_key(self, node: ast.AST, scope: int | None = None, depth: int = 0) -> str | None:
        """`a.b` for `cfg.get("a").get("b")` / `cfg["a"]["b"]` when the root is an agent config object."""
        scope = len(self.scopes) - 1 if scope is None else scope
        keys: list[str] = []
        current: ast.AST = node
        while depth <= MAX_DEPTH:
            depth += 1
            if isinstance(current, ast.Call) and isinstance(current.func, ast.Attribute) \
                    and current.func.attr == "get" and current.args:
                key = self._fold(current.args[0], scope, depth)
                owner: ast.AST = current.func.value
            elif isinstance(current, ast.Subscript):
                key = self._fold(current.slice, scope, depth)
                owner = current.value
            else:
                break
            if not (isinstance(key, Literal) and isinstance(key.value, str)):
                return None
            keys.append(key.value)
            current = owner
            if self._is_config_root(current, scope):
                return ".".join(reversed(keys))
            if isinstance(current, ast.Name):
                bound = self._bound(current.id, scope)
                if bound is not None:
                    current = bound
        return None

    def bound(self, name: str) -> ast.expr | None:
        """The expression a name is bound to once in the current scopes, or None."""
        return self._bound(name, len(self.scopes) - 1)

    def _bound(self, name: str, scope: int) -> ast.expr | None:
        for index in range(scope, -1, -1):
            s = self.scopes[index]
            if name in s.params:
                return None
            if name in s.assigned:
                return s.assigned[name]
        return None

    def _is_config_root(self, node: ast.AST, scope: int) -> bool:
        if isinstance(node, ast.Call):
            name = qualified(node.func, self.aliases) or ""
            return name.rsplit(".", 1)[-1] in CONFIG_CLASSES
        if isinstance(node, ast.Name):
            bound = self._bound(node.id, scope)
            if isinstance(bound, ast.Call):
                name = qualified(bound.func, self.aliases) or ""
                if name.rsplit(".", 1)[-1] in CONFIG_CLASSES:
                    return True
                if name.endswith(".to_dict") and isinstance(bound.func, ast.Attribute):
                    return self._is_config_root(bound.func.value, scope)
            return bound is None and any(w in node.id.lower() for w in CONFIG_NAME_WORDS)
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self":
            return any(w in node.attr.lower() for w in CONFIG_NAME_WORDS)
        return False


def _template(parts: list[Value]) -> tuple[tuple[str, str], ...]:
    """The parts of a string built from constants and task parameters; empty when another value goes into it."""
    out: list[tuple[str, str]] = []
    for part in parts:
        if isinstance(part, Literal) and isinstance(part.value, str):
            out.append(("text", part.value))
        elif isinstance(part, Expr) and part.template:
            out += part.template
        else:
            return ()
    return tuple(out)


def redacted(key: str, value: Value) -> Value:
    """`value`, unless it is a secret: a non-placeholder text under or from a secret-like name, or text holding a
    token."""
    if isinstance(value, Expr):
        source = redact_tokens(value.source)
        return value if source == value.source else Expr(source, value.config_key)  # no template: it holds the token
    if not isinstance(value, Literal):
        return value
    texts = [v for v in (value.value if isinstance(value.value, tuple) else (value.value,)) if isinstance(v, str)]
    # under a secret-like keyword, or folded from a secret-like name (`x=API_KEY`)
    if SECRET_NAME_RE.search(f"{key} {value.via}") and any(not PLACEHOLDER_RE.match(t) for t in texts):
        return Unknown("a secret value (redacted)")
    if any(redact_tokens(t) != t for t in texts):
        return Unknown("holds a credential (redacted)")
    return value


def resolve_config_values(python: PythonFacts, configs: list[AgentConfig]) -> PythonFacts:
    """Expressions that read an agent-config key, replaced by the key's value when every config that
    has the key agrees on it."""
    values: dict[str, set[object]] = {}
    where: dict[str, tuple[str, Location]] = {}
    for cfg in configs:
        placeholders = {p.key for p in cfg.placeholders}
        for item in cfg.keys:
            if isinstance(item.value, (str, int, float, bool)) and item.key not in placeholders:
                values.setdefault(item.key, set()).add(item.value)
                where.setdefault(item.key, (cfg.path, item.location))

    def resolved(value: Value) -> Value:
        if isinstance(value, Expr) and value.config_key and len(values.get(value.config_key, ())) == 1:
            (found,) = values[value.config_key]
            path, location = where[value.config_key]
            assert isinstance(found, (str, int, float, bool))
            return Literal(found, f"config key {value.config_key} in {path}", location)
        return value

    code = []
    changed = False
    for fact in python.code:
        new = fact
        if isinstance(fact, EndpointUse):
            new = replace(fact, endpoint=resolved(fact.endpoint))
        elif isinstance(fact, GenieAgent):
            new = replace(fact, space_id=resolved(fact.space_id), agent_name=resolved(fact.agent_name))
        changed = changed or new != fact
        code.append(new)
    refs = []
    for ref in python.secret_refs:
        new_ref = ref
        if ref.scope_value is not None and ref.key_value is not None:
            scope, key = resolved(ref.scope_value), resolved(ref.key_value)
            new_ref = replace(ref, scope_value=scope, key_value=key,
                              scope=str(scope.value) if isinstance(scope, Literal) else ref.scope,
                              key=str(key.value) if isinstance(key, Literal) else ref.key)
        changed = changed or new_ref != ref
        refs.append(new_ref)
    return replace(python, code=tuple(code), secret_refs=tuple(refs)) if changed else python
