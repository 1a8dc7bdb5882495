"""Facts from Python code (plain files and notebooks) using `ast` only: nothing is imported or run."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from typing import Any

from dabprp.facts import (
    AgentClass,
    AgentGraph,
    CodeFact,
    GraphEdge,
    GraphNode,
    HardcodedSecret,
    Location,
    MlflowCall,
    RoutingModel,
    SecretRef,
    SourceFile,
    TraceSpan,
)
from dabprp.knowledge import TEMPORAL_NAME_RE
from dabprp.parse.notebooks import PythonText
from dabprp.parse.python_ast import (
    PLACEHOLDER_RE,
    SECRET_NAME_RE,
    TOKEN_RES,
    arg,
    call_args,
    const_str,
    dotted,
    import_aliases,
    qualified,
    summarize,
)

AGENT_BASES = ("ChatAgent", "ResponsesAgent", "PythonModel", "ChatModel")
PARALLEL_APIS = {
    "asyncio.gather": "asyncio.gather",
    "asyncio.to_thread": "asyncio.to_thread",
    "asyncio.create_task": "asyncio.create_task",
    "asyncio.TaskGroup": "asyncio.TaskGroup",
    "concurrent.futures.ThreadPoolExecutor": "ThreadPoolExecutor",
    "concurrent.futures.ProcessPoolExecutor": "ProcessPoolExecutor",
    "concurrent.futures.thread.ThreadPoolExecutor": "ThreadPoolExecutor",
    "multiprocessing.Pool": "multiprocessing.Pool",
}
TOOL_CLASSES = (
    "VectorSearchRetrieverTool", "UCFunctionToolkit", "DatabricksVectorSearch", "VectorSearchClient",
    "DatabricksFunctionClient", "VectorSearchRetrieverToolkit", "UnityCatalogTool",
)
LLM_CLASSES = ("ChatDatabricks", "ChatOpenAI", "AzureChatOpenAI", "ChatAnthropic", "DatabricksLLM")
MLFLOW_PREFIXES = ("mlflow.", "databricks.agents.", "databricks_agents.")
MLFLOW_SKIP = ("mlflow.types.", "mlflow.entities.")
DATA_SUFFIXES = (".json", ".jsonl", ".csv", ".yaml", ".yml")
TEMPORAL_RE = re.compile(TEMPORAL_NAME_RE, re.I)
ITERATION_RE = re.compile(r"(max_?iter|recursion_limit|max_?steps|max_?turns|max_?rounds)", re.I)
COMMENTED_AUTOLOG_RE = re.compile(r"^\s*#\s*(?:MAGIC\s+)?(mlflow(?:\.\w+)*\.autolog)\s*\(")
GRAPH_METHODS = {"add_node", "add_edge", "add_conditional_edges", "set_entry_point",
                 "set_finish_point", "compile", "add_sequence"}
END_NAMES = {"END": "END", "START": "START"}


@dataclass(slots=True)
class FileFacts:
    """Everything found in one Python file, merged later into PythonFacts."""

    source: SourceFile
    graphs: list[AgentGraph] = field(default_factory=list)
    routing_models: list[RoutingModel] = field(default_factory=list)
    agent_classes: list[AgentClass] = field(default_factory=list)
    mlflow_calls: list[MlflowCall] = field(default_factory=list)
    trace_spans: list[TraceSpan] = field(default_factory=list)
    code: list[CodeFact] = field(default_factory=list)
    secret_refs: list[SecretRef] = field(default_factory=list)
    hardcoded_secrets: list[HardcodedSecret] = field(default_factory=list)
    scorers: list[CodeFact] = field(default_factory=list)


def analyze_python(path: str, ptext: PythonText) -> FileFacts:
    trees, error = _parse(ptext)
    functions: list[str] = []
    facts = FileFacts(SourceFile(path, ptext.kind, (), tuple(ptext.magics)))
    for tree in trees:
        visitor = _Visitor(path, ptext, facts)
        visitor.run(tree)
        functions.extend(visitor.functions)
    _commented_autolog(path, ptext, facts)
    _token_scan(path, ptext, facts, trees)
    err_msg, err_line = error if error else (None, None)
    facts.source = SourceFile(path, ptext.kind, tuple(sorted(set(functions))), tuple(ptext.magics),
                              err_msg, err_line)
    return facts


def _parse(ptext: PythonText) -> tuple[list[ast.AST], tuple[str, int] | None]:
    try:
        return [ast.parse(ptext.text)], None
    except (SyntaxError, ValueError) as exc:
        first = (f"syntax error: {getattr(exc, 'msg', str(exc))}",
                 ptext.file_line(getattr(exc, "lineno", None) or 1))
    if not ptext.cells or len(ptext.cells) < 2:
        return [], first
    # One broken cell must not hide the others: parse cell by cell, keeping line numbers.
    lines = ptext.text.splitlines()
    trees = []
    for start, end in ptext.cells:
        chunk = "\n" * (start - 1) + "\n".join(lines[start - 1:end])
        try:
            trees.append(ast.parse(chunk))
        except (SyntaxError, ValueError):
            continue
    return trees, first


class _Visitor(ast.NodeVisitor):
    def __init__(self, path: str, ptext: PythonText, facts: FileFacts) -> None:
        self.path = path
        self.ptext = ptext
        self.facts = facts
        self.aliases: dict[str, str] = {}
        self.constants: dict[str, str] = {}
        self.graphs: dict[str, dict[str, Any]] = {}
        self.structured: dict[str, list[str]] = {}
        self.functions: list[str] = []
        self.scope: list[str] = []

    def loc(self, node: ast.AST) -> Location:
        return Location(self.path, self.ptext.file_line(getattr(node, "lineno", 1)))

    def run(self, tree: ast.AST) -> None:
        self.aliases = import_aliases(tree)
        for node in getattr(tree, "body", []):
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target = node.targets[0]
                value = const_str(node.value)
                if isinstance(target, ast.Name) and value is not None:
                    self.constants[target.id] = value
        self.visit(tree)
        self._finish_graphs()
        for model in list(self.facts.routing_models):
            users = self.structured.get(model.name)
            if users and model.location.path == self.path:
                idx = self.facts.routing_models.index(model)
                self.facts.routing_models[idx] = RoutingModel(
                    model.name, model.location, model.fields, tuple(sorted(set(users))))

    # ---- definitions

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.functions.append(node.name)
        if TEMPORAL_RE.search(node.name):
            self.facts.code.append(CodeFact("temporal_helper", node.name, self.loc(node)))
        for dec in node.decorator_list:
            self._decorator(node, dec)
        self.scope.append(node.name)
        self.generic_visit(node)
        self.scope.pop()

    visit_AsyncFunctionDef = visit_FunctionDef  # type: ignore[assignment]

    def _decorator(self, fn: ast.FunctionDef | ast.AsyncFunctionDef, dec: ast.AST) -> None:
        call = dec if isinstance(dec, ast.Call) else None
        name = qualified(call.func if call else dec, self.aliases) or ""
        if name in ("mlflow.trace", "mlflow.tracing.trace"):
            span_name = const_str(arg(call, "name")) if call else None
            span_type = arg(call, "span_type") if call else None
            self.facts.trace_spans.append(
                TraceSpan(fn.name, self.loc(fn), span_name,
                          str(summarize(span_type)).strip("<>") if span_type is not None else None))
        elif name.endswith("scorer") and name.startswith("mlflow"):
            self.facts.scorers.append(CodeFact("scorer", fn.name, self.loc(fn),
                                               {"params": [a.arg for a in fn.args.args]}))

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        bases = [qualified(b, self.aliases) or "" for b in node.bases]
        short = [b.rsplit(".", 1)[-1] for b in bases]
        agent_base = next((b for b in short if b in AGENT_BASES), None)
        if agent_base:
            methods = tuple(
                sorted(n.name for n in node.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))))
            self.facts.agent_classes.append(AgentClass(node.name, agent_base, self.loc(node), methods))
        if any(b in ("BaseModel", "TypedDict") for b in short):
            literal_fields = self._literal_fields(node)
            if literal_fields:
                self.facts.routing_models.append(RoutingModel(node.name, self.loc(node), literal_fields))
        self.scope.append(node.name)
        self.generic_visit(node)
        self.scope.pop()

    def _literal_fields(self, node: ast.ClassDef) -> dict[str, tuple[str, ...]]:
        out: dict[str, tuple[str, ...]] = {}
        for stmt in node.body:
            if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                values = _literal_values(stmt.annotation, self.aliases)
                if values:
                    out[stmt.target.id] = values
        return out

    # ---- assignments: graphs, hard-coded secrets, iteration limits

    def visit_Assign(self, node: ast.Assign) -> None:
        if isinstance(node.value, ast.Call):
            name = qualified(node.value.func, self.aliases) or ""
            if name.rsplit(".", 1)[-1] in ("StateGraph", "MessageGraph"):
                for target in node.targets:
                    key = ast.unparse(target)
                    state = node.value.args[0] if node.value.args else arg(node.value, "state_schema")
                    self.graphs[key] = {"state": ast.unparse(state) if state is not None else None,
                                        "loc": self.loc(node), "nodes": [], "edges": [],
                                        "entry": None, "finish": [], "compiled": None}
        for target in node.targets:
            self._secret_assignment(target, node.value)
            self._iteration_limit(target, node.value, node)
        self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self._secret_assignment(node.target, node.value)
            self._iteration_limit(node.target, node.value, node)
        self.generic_visit(node)

    def _secret_assignment(self, target: ast.AST, value: ast.AST) -> None:
        name = ast.unparse(target).rsplit(".", 1)[-1]
        if not SECRET_NAME_RE.search(name) or not isinstance(value, ast.Constant):
            return
        text = value.value
        if isinstance(text, str) and len(text) >= 6 and " " not in text.strip() and not PLACEHOLDER_RE.match(text):
            self.facts.hardcoded_secrets.append(HardcodedSecret(f"assignment to `{name}`", self.loc(value)))

    def _iteration_limit(self, target: ast.AST, value: ast.AST, node: ast.AST) -> None:
        name = ast.unparse(target)
        if ITERATION_RE.search(name):
            self.facts.code.append(CodeFact("iteration_limit", name, self.loc(node),
                                            {"value": summarize(value)}))

    # ---- calls

    def visit_Call(self, node: ast.Call) -> None:
        name = qualified(node.func, self.aliases) or ""
        short = name.rsplit(".", 1)[-1]
        fn = self.scope[-1] if self.scope else None
        if isinstance(node.func, ast.Attribute) and node.func.attr in GRAPH_METHODS:
            owner = ast.unparse(node.func.value)
            if owner in self.graphs:
                self._graph_call(self.graphs[owner], node.func.attr, node)
        if name in PARALLEL_APIS or short in ("ThreadPoolExecutor", "ProcessPoolExecutor") or (
            short == "run_in_executor"
        ):
            label = PARALLEL_APIS.get(name, short)
            self.facts.code.append(CodeFact("parallelism", label, self.loc(node), {"function": fn}))
        elif short == "GenieAgent":
            space = arg(node, "genie_space_id", 0)
            self.facts.code.append(CodeFact("genie_agent", "GenieAgent", self.loc(node), {
                "space_id": summarize(space), "agent_name": summarize(arg(node, "genie_agent_name")),
                "function": fn}))
        elif short in LLM_CLASSES or name.endswith("chat.completions.create"):
            endpoint = arg(node, "endpoint") or arg(node, "model") or arg(node, "model_name")
            label = short if short in LLM_CLASSES else "chat.completions.create"
            self.facts.code.append(CodeFact("llm_endpoint", label, self.loc(node), {
                "endpoint": summarize(endpoint), "function": fn}))
        elif short in TOOL_CLASSES:
            self.facts.code.append(CodeFact("tool", short, self.loc(node), {
                "args": call_args(node), "function": fn}))
        elif short == "with_structured_output" and node.args:
            target = ast.unparse(node.args[0])
            self.structured.setdefault(target, []).append(fn or "<module>")
            self.facts.code.append(CodeFact("structured_output", target, self.loc(node), {"function": fn}))
        elif name.startswith("dbutils.secrets.get") or name.endswith("secrets.get"):
            self.facts.secret_refs.append(SecretRef(
                const_str(arg(node, "scope", 0)) or str(summarize(arg(node, "scope", 0))),
                const_str(arg(node, "key", 1)) or str(summarize(arg(node, "key", 1))), self.loc(node)))
        elif short == "get" and node.args and isinstance(node.func, ast.Attribute):
            self._config_read(node.func.value, node.args[0], node)
        if name.startswith(MLFLOW_PREFIXES) and not name.startswith(MLFLOW_SKIP):
            self.facts.mlflow_calls.append(MlflowCall(name, self.loc(node), call_args(node)))
        elif short == "ModelConfig":
            self.facts.mlflow_calls.append(MlflowCall("mlflow.models.ModelConfig", self.loc(node),
                                                      call_args(node)))
        self.generic_visit(node)

    def visit_Compare(self, node: ast.Compare) -> None:
        for side in [node.left, *node.comparators]:
            for sub in ast.walk(side):
                if isinstance(sub, ast.Subscript) and isinstance(sub.value, ast.Attribute) \
                        and sub.value.attr == "metrics":
                    metric = const_str(sub.slice) or ast.unparse(sub.slice)
                    self.facts.code.append(CodeFact("metric_gate", metric, self.loc(node),
                                                    {"test": ast.unparse(node)[:200]}))
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        value = node.value
        if isinstance(value, str) and value.lower().endswith(DATA_SUFFIXES) and len(value) < 300 \
                and "\n" not in value and " " not in value:
            self.facts.code.append(CodeFact("file_reference", value, self.loc(node)))

    def visit_Subscript(self, node: ast.Subscript) -> None:
        if isinstance(node.ctx, ast.Load):
            self._config_read(node.value, node.slice, node)
        self.generic_visit(node)

    def _config_read(self, owner: ast.AST, key_node: ast.AST, node: ast.AST) -> None:
        key = const_str(key_node, self.constants)
        if key is None:
            return
        owner_text = ast.unparse(owner).lower()
        if not any(w in owner_text for w in ("conf", "cfg", "setting", "params")):
            return
        kind = "iteration_limit" if ITERATION_RE.search(key) else "config_read"
        self.facts.code.append(CodeFact(kind, key, self.loc(node), {"owner": ast.unparse(owner)}))

    # ---- graphs

    def _name(self, node: ast.AST | None) -> str | None:
        if node is None:
            return None
        text = const_str(node, self.constants)
        if text is not None:
            return text
        raw = dotted(node) or ast.unparse(node)
        return END_NAMES.get(raw.rsplit(".", 1)[-1], raw)

    def _graph_call(self, graph: dict[str, Any], method: str, node: ast.Call) -> None:
        where = self.loc(node)
        if method == "add_node":
            first = node.args[0] if node.args else arg(node, "node")
            second = node.args[1] if len(node.args) > 1 else arg(node, "action")
            if second is None and first is not None and not isinstance(first, ast.Constant):
                graph["nodes"].append(GraphNode(self._name(first) or "?", _fn_name(first), where))
            else:
                graph["nodes"].append(GraphNode(self._name(first) or "?", _fn_name(second), where))
        elif method == "add_edge":
            sources = node.args[0] if node.args else arg(node, "start_key")
            target = self._name(node.args[1] if len(node.args) > 1 else arg(node, "end_key"))
            srcs = sources.elts if isinstance(sources, (ast.List, ast.Tuple)) else [sources]
            for src in srcs:
                name = self._name(src)
                if name == "START" and target:
                    graph["entry"] = graph["entry"] or target
                graph["edges"].append(GraphEdge(name or "?", target or "?", where))
        elif method == "add_conditional_edges":
            source = self._name(node.args[0] if node.args else arg(node, "source")) or "?"
            router = node.args[1] if len(node.args) > 1 else arg(node, "path")
            path_map = node.args[2] if len(node.args) > 2 else arg(node, "path_map")
            targets: list[str] = []
            if isinstance(path_map, ast.Dict):
                targets = [self._name(v) or "?" for v in path_map.values]
            elif isinstance(path_map, (ast.List, ast.Tuple)):
                targets = [self._name(v) or "?" for v in path_map.elts]
            router_name = _fn_name(router)
            if not targets:
                graph["edges"].append(GraphEdge(source, "<dynamic>", where, True, router_name))
            for tgt in dict.fromkeys(targets):
                graph["edges"].append(GraphEdge(source, tgt, where, True, router_name))
        elif method == "set_entry_point":
            graph["entry"] = self._name(node.args[0] if node.args else arg(node, "key"))
        elif method == "set_finish_point":
            graph["finish"].append(self._name(node.args[0] if node.args else arg(node, "key")))
        elif method == "compile":
            graph["compiled"] = where

    def _finish_graphs(self) -> None:
        for var, g in self.graphs.items():
            finish = list(g["finish"]) + [e.source for e in g["edges"] if e.target == "END"]
            self.facts.graphs.append(AgentGraph(
                var, g["state"], g["loc"], tuple(g["nodes"]), tuple(g["edges"]), g["entry"],
                tuple(dict.fromkeys(finish)), g["compiled"]))


def _fn_name(node: ast.AST | None) -> str | None:
    if node is None:
        return None
    if isinstance(node, ast.Call) and node.args:  # functools.partial(fn, ...), RunnableLambda(fn)
        return _fn_name(node.args[0])
    if isinstance(node, ast.Lambda):
        return "lambda"
    return dotted(node) or ast.unparse(node)


def _literal_values(annotation: ast.AST, aliases: dict[str, str]) -> tuple[str, ...]:
    for sub in ast.walk(annotation):
        if isinstance(sub, ast.Subscript):
            name = qualified(sub.value, aliases) or ""
            if name.rsplit(".", 1)[-1] == "Literal":
                elts = sub.slice.elts if isinstance(sub.slice, ast.Tuple) else [sub.slice]
                return tuple(str(e.value) for e in elts if isinstance(e, ast.Constant))
    return ()


def _commented_autolog(path: str, ptext: PythonText, facts: FileFacts) -> None:
    for number, line in enumerate(ptext.text.splitlines(), 1):
        match = COMMENTED_AUTOLOG_RE.match(line)
        if match:
            facts.mlflow_calls.append(MlflowCall(match.group(1), Location(path, ptext.file_line(number)),
                                                 {}, commented_out=True))


def _token_scan(path: str, ptext: PythonText, facts: FileFacts, trees: list[ast.AST]) -> None:
    """Credentials with a recognisable shape anywhere in the text (comments included)."""
    seen = {(s.location.line) for s in facts.hardcoded_secrets}
    for number, line in enumerate(ptext.text.splitlines(), 1):
        for kind, pattern in TOKEN_RES:
            if pattern.search(line):
                file_line = ptext.file_line(number)
                if file_line not in seen:
                    seen.add(file_line)
                    facts.hardcoded_secrets.append(HardcodedSecret(kind, Location(path, file_line)))
