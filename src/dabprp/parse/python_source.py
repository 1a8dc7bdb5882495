"""Facts from Python code (plain files and notebooks) using `ast` only: nothing is imported or run."""

from __future__ import annotations

import ast
import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from dabprp.facts import (
    AgentGraph,
    AnyCodeFact,
    ConfigRead,
    EndpointUse,
    EvalTable,
    FileReference,
    FiscalCalendar,
    GenieAgent,
    HardcodedSecret,
    IterationLimit,
    Location,
    MetricGate,
    MlflowCall,
    Parallelism,
    ProductionScorer,
    RoutingModel,
    ScorerFunction,
    SecretRef,
    SourceFile,
    StructuredOutput,
    TemporalHelper,
    Tool,
    TraceSpan,
    TrafficSplit,
    Value,
    literal_str,
)
from dabprp.facts.code import legacy as code_legacy
from dabprp.knowledge import TEMPORAL_NAME_RE
from dabprp.limits import LONG_INTEGER, is_long_integer_error, long_integer_line
from dabprp.parse import secrets
from dabprp.parse.langgraph import GRAPH_METHODS, GraphCollector
from dabprp.parse.notebooks import PythonText, without_magics
from dabprp.parse.python_arguments import call_arguments
from dabprp.parse.python_ast import (
    arg,
    call_args,
    const_str,
    import_aliases,
    is_stand_in,
    qualified,
    summarize,
)
from dabprp.parse.python_classes import ClassInfo, Instantiation
from dabprp.parse.python_endpoints import endpoint_args, find_arg
from dabprp.parse.python_grammar import parse_module
from dabprp.parse.python_resources import model_resources
from dabprp.parse.python_values import Folder, params_of, scope_of, self_attributes

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
MLFLOW_PREFIXES = ("mlflow.", "databricks.agents.", "databricks_agents.")
# MLflow client methods recognised on any receiver (`client`, `registry`, …): registry and deployment work.
CLIENT_METHODS = frozenset({
    "set_registered_model_alias", "delete_registered_model_alias", "get_model_version_by_alias",
    "update_registered_model", "create_registered_model", "set_model_version_tag", "get_model_version",
    "copy_model_version",
})
MONITOR_APIS = ("monitoring.create_external_monitor", "monitoring.create_monitor", "agents.create_monitor",
                "agents.create_external_monitor", "scorers.add_scorer")
EVAL_DATASET_APIS = ("genai.datasets.create_dataset", "genai.datasets.get_dataset", "genai.create_dataset",
                     "genai.get_dataset")
MLFLOW_SKIP = ("mlflow.types.", "mlflow.entities.")
DATA_SUFFIXES = (".json", ".jsonl", ".csv", ".yaml", ".yml")
THRESHOLD_RE = re.compile(r"(threshold|min_score|quality_gate)", re.I)
TEMPORAL_RE = re.compile(TEMPORAL_NAME_RE, re.I)
ITERATION_RE = re.compile(r"(max_?iter|recursion_limit|max_?steps|max_?turns|max_?rounds)", re.I)
COMMENTED_AUTOLOG_RE = re.compile(r"^\s*#\s*(?:MAGIC\s+)?(mlflow(?:\.\w+)*\.autolog)\s*\(")


@dataclass(slots=True)
class FileFacts:
    """Everything found in one Python file, merged later into PythonFacts."""

    source: SourceFile
    graphs: list[AgentGraph] = field(default_factory=list)
    routing_models: list[RoutingModel] = field(default_factory=list)
    mlflow_calls: list[MlflowCall] = field(default_factory=list)
    trace_spans: list[TraceSpan] = field(default_factory=list)
    code: list[AnyCodeFact] = field(default_factory=list)
    secret_refs: list[SecretRef] = field(default_factory=list)
    hardcoded_secrets: list[HardcodedSecret] = field(default_factory=list)
    scorers: list[ScorerFunction] = field(default_factory=list)
    trees: list[ast.Module] = field(default_factory=list)
    classes: list[ClassInfo] = field(default_factory=list)
    instantiations: list[Instantiation] = field(default_factory=list)


def analyze_python(path: str, ptext: PythonText) -> FileFacts:
    if ptext.kind == "python":
        bare = without_magics(path, ptext.text)
        if bare is not None and _parses(ptext.text) is False:
            ptext = PythonText("python", bare[0], ptext.line_map, bare[1], ptext.cells)
    trees, error, fallbacks = _parse(ptext)
    functions: list[str] = []
    facts = FileFacts(SourceFile(path, ptext.kind, (), tuple(ptext.magics)))
    for tree in trees:
        visitor = _Visitor(path, ptext, facts, fallbacks)
        visitor.run(tree)
        functions.extend(visitor.functions)
    _commented_autolog(path, ptext, facts)
    _token_scan(path, ptext, facts, trees)
    err_msg, err_line = error if error else (None, None)
    generated = ptext.text.startswith("# Generated by dabprp")
    facts.source = SourceFile(path, ptext.kind, tuple(sorted(set(functions))), tuple(ptext.magics),
                              err_msg, err_line, generated)
    facts.trees = trees
    return facts


def _parses(text: str) -> bool:
    try:
        parse_module(text)
    except (SyntaxError, ValueError):
        return False
    return True


def _parse(ptext: PythonText) -> tuple[list[ast.Module], tuple[str, int] | None, dict[str, str]]:
    try:
        parsed = parse_module(ptext.text)
        return [parsed.tree], None, parsed.fallbacks
    except (SyntaxError, ValueError) as exc:
        if is_long_integer_error(exc):  # Python calls it a syntax error; it is a limit
            line = getattr(exc, "lineno", None) or long_integer_line(ptext.text) or 1
            first = (f"{LONG_INTEGER}; not analyzed", ptext.file_line(line))
        else:
            first = (f"syntax error: {getattr(exc, 'msg', str(exc))}",
                     ptext.file_line(getattr(exc, "lineno", None) or 1))
    if not ptext.cells or len(ptext.cells) < 2:
        return [], first, {}
    # One broken cell must not hide the others: parse cell by cell, keeping line numbers.
    lines = ptext.text.splitlines()
    trees: list[ast.Module] = []
    fallbacks: dict[str, str] = {}
    for start, end in ptext.cells:
        chunk = "\n" * (start - 1) + "\n".join(lines[start - 1:end])
        try:
            parsed = parse_module(chunk, f"{start}:")
        except (SyntaxError, ValueError):
            continue
        trees.append(parsed.tree)
        fallbacks.update(parsed.fallbacks)
    return trees, first, fallbacks


def _node_location(path: str, file_line: Callable[[int], int], node: ast.AST) -> Location:
    return Location(path, file_line(getattr(node, "lineno", 1)))


class _Visitor(ast.NodeVisitor):
    def __init__(self, path: str, ptext: PythonText, facts: FileFacts, fallbacks: dict[str, str]) -> None:
        self.path = path
        self.fallbacks = fallbacks
        self.ptext = ptext
        self.facts = facts
        self.aliases: dict[str, str] = {}
        self.constants: dict[str, str] = {}
        self.structured: dict[str, list[str]] = {}
        self.functions: list[str] = []
        self.scope: list[str] = []
        self.classes: list[str] = []
        # a function of the path, not a method: the collector holding the visitor would be a reference cycle,
        # keeping every tree of the run alive until a full collection
        self.graphs = GraphCollector(functools.partial(_node_location, path, ptext.file_line), self.constants)
        self.folder = Folder(path, {}, fallbacks, ptext.file_line)

    def loc(self, node: ast.AST) -> Location:
        return _node_location(self.path, self.ptext.file_line, node)

    def run(self, tree: ast.Module) -> None:
        self.aliases = import_aliases(tree)
        self.folder.aliases = self.aliases
        self.folder.scopes = [scope_of(tree.body)]
        module_names = self.folder.scopes[0].assigned
        self.graphs.resolve = module_names.get
        for node in getattr(tree, "body", []):
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target = node.targets[0]
                value = const_str(node.value)
                if isinstance(target, ast.Name) and value is not None:
                    self.constants[target.id] = value
        self.visit(tree)
        self.facts.graphs.extend(self.graphs.finish())
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
            self.facts.code.append(TemporalHelper(node.name, self.loc(node)))
        for dec in node.decorator_list:
            self._decorator(node, dec)
        self.scope.append(node.name)
        self.folder.scopes.append(scope_of(node.body, params_of(node)))
        self.generic_visit(node)
        self.folder.scopes.pop()
        self.scope.pop()

    visit_AsyncFunctionDef = visit_FunctionDef

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
            self.facts.scorers.append(ScorerFunction(fn.name, self.loc(fn), tuple(a.arg for a in fn.args.args)))

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        bases = [qualified(b.value if isinstance(b, ast.Subscript) else b, self.aliases) or "" for b in node.bases]
        short = [b.rsplit(".", 1)[-1] for b in bases]
        methods = tuple(sorted(n.name for n in node.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))))
        self.facts.classes.append(ClassInfo(node.name, tuple(bases), self.loc(node), methods,
                                            _is_abstract(node, short, self.aliases)))
        if any(b in ("BaseModel", "TypedDict") for b in short):
            literal_fields = self._literal_fields(node)
            if literal_fields:
                self.facts.routing_models.append(RoutingModel(node.name, self.loc(node), literal_fields))
        self.scope.append(node.name)
        self.folder.attributes.append(self_attributes(node))
        self.classes.append(node.name)
        self.generic_visit(node)
        self.classes.pop()
        self.folder.attributes.pop()
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
                state = node.value.args[0] if node.value.args else arg(node.value, "state_schema")
                for target in node.targets:
                    self.graphs.start(ast.unparse(target), state, node)
        for target in node.targets:
            self._secret_assignment(target, node.value)
            self._iteration_limit(target, node.value, node)
            calendar = fiscal_calendar(target, node.value)
            if calendar is not None:
                self.facts.code.append(FiscalCalendar(ast.unparse(target), self.loc(node), *calendar))
        self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self._secret_assignment(node.target, node.value)
            self._iteration_limit(node.target, node.value, node)
        self.generic_visit(node)

    def _secret_assignment(self, target: ast.AST, value: ast.AST) -> None:
        name = ast.unparse(target).rsplit(".", 1)[-1]
        if not secrets.SECRET_NAME_RE.search(name) or not isinstance(value, ast.Constant) \
                or not isinstance(value.value, str) or is_stand_in(value.value):
            return
        if secrets.token_format(value.value):
            return  # reported by the token scan, wherever it is
        enclosing = self.classes[-1] if self.classes else None
        if secrets.looks_like_secret(value.value) and not secrets.is_test_place(self.path, enclosing):
            self.facts.hardcoded_secrets.append(HardcodedSecret(f"assignment to `{name}`", self.loc(value)))

    def _iteration_limit(self, target: ast.AST, value: ast.AST, node: ast.AST) -> None:
        name = ast.unparse(target)
        if ITERATION_RE.search(name):
            self.facts.code.append(IterationLimit(name, self.loc(node), self.folder.value(value)))

    # ---- calls

    def visit_Call(self, node: ast.Call) -> None:
        name = qualified(node.func, self.aliases) or ""
        short = name.rsplit(".", 1)[-1]
        fn = self.scope[-1] if self.scope else None
        if isinstance(node.func, ast.Attribute) and node.func.attr in GRAPH_METHODS:
            self.graphs.call(ast.unparse(node.func.value), node.func.attr, node)
        if not self.scope and name:  # run on import: what a models-from-code file sets up
            self.facts.instantiations.append(Instantiation(short, self.loc(node)))
        if name in PARALLEL_APIS or short in ("ThreadPoolExecutor", "ProcessPoolExecutor") or (
            short == "run_in_executor"
        ):
            label = PARALLEL_APIS.get(name, short)
            self.facts.code.append(Parallelism(label, self.loc(node), fn))
        elif short == "GenieAgent":
            space = arg(node, "genie_space_id", 0)
            self.facts.code.append(GenieAgent("GenieAgent", self.loc(node), self.folder.value(space),
                                              self.folder.value(arg(node, "genie_agent_name")), fn))
        elif short in TOOL_CLASSES:
            self.facts.code.append(Tool(short, self.loc(node), call_args(node), fn))
        elif short in ("TrafficConfig", "Route") or any(kw.arg == "traffic_config" for kw in node.keywords):
            self.facts.code.append(TrafficSplit(short, self.loc(node), fn))
        elif short == "with_structured_output" and node.args:
            target = ast.unparse(node.args[0])
            self.structured.setdefault(target, []).append(fn or "<module>")
            receiver = ast.unparse(node.func.value) if isinstance(node.func, ast.Attribute) else None
            self.facts.code.append(StructuredOutput(target, self.loc(node), fn, receiver))
        elif name.startswith("dbutils.secrets.get") or name.endswith("secrets.get"):
            scope = self.folder.value(arg(node, "scope", 0), "no scope argument")
            key = self.folder.value(arg(node, "key", 1), "no key argument")
            self.facts.secret_refs.append(SecretRef(legacy_text(scope), legacy_text(key), self.loc(node),
                                                    scope_value=scope, key_value=key))
        elif short == "get" and node.args and isinstance(node.func, ast.Attribute):
            self._config_read(node.func.value, node.args[0], node)
        self._endpoints(node, name, fn)
        self._production_scorer(node, name, fn)
        self._eval_table(node, name, fn)
        if isinstance(node.func, ast.Attribute) and node.func.attr in CLIENT_METHODS \
                and not name.startswith(MLFLOW_PREFIXES):
            self._mlflow_call(f"MlflowClient.{node.func.attr}", node)
        elif name.startswith(MLFLOW_PREFIXES) and not name.startswith(MLFLOW_SKIP):
            self._mlflow_call(name, node)
            if name.endswith(".log_model"):
                self.facts.code.extend(model_resources(node, self.folder, self.aliases, self.loc))
        elif short == "ModelConfig":
            self._mlflow_call("mlflow.models.ModelConfig", node)
        self.generic_visit(node)

    def _endpoints(self, node: ast.Call, name: str, fn: str | None) -> None:
        found = endpoint_args(node, name)
        if found is None:
            return
        label, specs = found
        for index, spec in enumerate(specs):
            value_node, evidence = find_arg(node, spec)
            if value_node is None and index > 0:
                continue  # secondary names (a vector-search endpoint) are reported only when given
            value = self.folder.value(value_node, "no endpoint argument in the call")
            self.facts.code.append(EndpointUse(label, self.loc(node), value, spec.role, fn,
                                               f"{label} {evidence}".strip()))

    def _mlflow_call(self, api: str, node: ast.Call) -> None:
        self.facts.mlflow_calls.append(MlflowCall(api, self.loc(node), call_args(node),
                                                  arguments=call_arguments(self.folder, node)))

    def _eval_table(self, node: ast.Call, name: str, fn: str | None) -> None:
        if name.endswith(EVAL_DATASET_APIS):
            table = arg(node, "uc_table_name") or arg(node, "name", 0)
            self.facts.code.append(EvalTable(name, self.loc(node), self.folder.value(table), fn))
        elif name in ("mlflow.genai.evaluate", "mlflow.evaluate"):
            data = arg(node, "data", 0)
            if isinstance(data, ast.Name):
                data = self.folder.bound(data.id)
            read = _table_read(data)
            if read is not None and not self._is_eval_named(read):
                self.facts.code.append(EvalTable(_table_api(read), self.loc(read), self.folder.value(read.args[0]), fn))
        elif _table_read(node) is not None and self._is_eval_named(node):
            self.facts.code.append(EvalTable(_table_api(node), self.loc(node), self.folder.value(node.args[0]), fn))

    def _is_eval_named(self, read: ast.Call) -> bool:
        table = literal_str(self.folder.value(read.args[0]))
        return table is not None and "eval" in table.lower()

    def _production_scorer(self, node: ast.Call, name: str, fn: str | None) -> None:
        if name.endswith(MONITOR_APIS):
            self.facts.code.append(ProductionScorer(name, self.loc(node), "monitor", fn))
            return
        if not isinstance(node.func, ast.Attribute):
            return
        receiver = node.func.value
        if node.func.attr == "start" and any(kw.arg == "sampling_config" for kw in node.keywords):
            self.facts.code.append(ProductionScorer(ast.unparse(receiver)[:200], self.loc(node), "start", fn))
        elif node.func.attr == "register" and self._is_scorer(receiver):
            self.facts.code.append(ProductionScorer(ast.unparse(receiver)[:200], self.loc(node), "register", fn))

    def _is_scorer(self, node: ast.AST) -> bool:
        if isinstance(node, ast.Call):
            return (qualified(node.func, self.aliases) or "").startswith("mlflow.genai.scorers")
        if isinstance(node, ast.Name):
            return node.id in {s.name for s in self.facts.scorers} or "scorer" in node.id.lower() \
                or "judge" in node.id.lower()
        return False

    def visit_Compare(self, node: ast.Compare) -> None:
        """A comparison of evaluation metrics with a threshold: `result.metrics["x/mean"] < 0.8`, or
        `value < threshold` in a gate helper."""
        found = None
        for side in [node.left, *node.comparators]:
            for sub in ast.walk(side):
                if isinstance(sub, ast.Subscript) and isinstance(sub.value, ast.Attribute) \
                        and sub.value.attr == "metrics":
                    found = const_str(sub.slice) or ast.unparse(sub.slice)
                elif isinstance(sub, ast.Name) and THRESHOLD_RE.search(sub.id) and found is None:
                    found = sub.id
        if found is not None and not isinstance(node.ops[0], (ast.Is, ast.IsNot, ast.In, ast.NotIn)):
            self.facts.code.append(MetricGate(found, self.loc(node), ast.unparse(node)[:200]))
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        value = node.value
        if isinstance(value, str) and not is_stand_in(value) and value.lower().endswith(DATA_SUFFIXES) \
                and len(value) < 300 and "\n" not in value and " " not in value:
            self.facts.code.append(FileReference(value, self.loc(node)))

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
        if ITERATION_RE.search(key):
            self.facts.code.append(IterationLimit(key, self.loc(node), None, ast.unparse(owner)))
        else:
            self.facts.code.append(ConfigRead(key, self.loc(node), ast.unparse(owner)))

def legacy_text(value: Value) -> str | None:
    """Schema-1 text of a value: the literal, `<source>` for an expression, None when not given."""
    legacy = code_legacy(value)
    return None if legacy is None else str(legacy)


def _table_read(node: ast.AST | None) -> ast.Call | None:
    """`spark.table(x)` / `spark.read.table(x)` (any SparkSession name), the call itself."""
    if isinstance(node, ast.Call) and node.args and isinstance(node.func, ast.Attribute) \
            and node.func.attr == "table":
        owner = ast.unparse(node.func.value).lower()
        if "spark" in owner or owner.endswith(".read"):
            return node
    return None


def _table_api(node: ast.Call) -> str:
    return "spark.read.table" if ast.unparse(node.func).endswith("read.table") else "spark.table"


def _is_abstract(node: ast.ClassDef, bases: list[str], aliases: dict[str, str]) -> bool:
    """`class X(ABC)`, `metaclass=ABCMeta` or an `@abstractmethod`: Python refuses to instantiate it."""
    if "ABC" in bases or any(kw.arg == "metaclass" and (qualified(kw.value, aliases) or "").endswith("ABCMeta")
                             for kw in node.keywords):
        return True
    return any((qualified(d, aliases) or "").rsplit(".", 1)[-1] == "abstractmethod"
               for n in node.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) for d in n.decorator_list)


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


def _token_scan(path: str, ptext: PythonText, facts: FileFacts, trees: list[ast.Module]) -> None:
    """Credentials with a recognisable shape anywhere in the text (comments included)."""
    seen = {(s.location.line) for s in facts.hardcoded_secrets}
    for number, line in enumerate(ptext.text.splitlines(), 1):
        for kind, pattern in secrets.TOKEN_FORMATS:
            if pattern.search(line):
                file_line = ptext.file_line(number)
                if file_line not in seen:
                    seen.add(file_line)
                    facts.hardcoded_secrets.append(HardcodedSecret(kind, Location(path, file_line)))


def fiscal_calendar(target: ast.AST, value: ast.AST) -> tuple[int, int, int] | None:
    """(start month, offset from it, offset before it) of `fy = d.year [+ k] if d.month >= M else d.year [+ j]`
    assigned to a name that says fiscal (`>` M starts at M + 1; `<`/`<=` swap the branches)."""
    if "fiscal" not in ast.unparse(target).lower() or not isinstance(value, ast.IfExp):
        return None
    test = value.test
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.left, ast.Attribute)
            and test.left.attr == "month" and isinstance(test.comparators[0], ast.Constant)
            and isinstance(test.comparators[0].value, int) and not isinstance(test.comparators[0].value, bool)):
        return None
    month, op = test.comparators[0].value, test.ops[0]
    then, other = _year_offset(value.body), _year_offset(value.orelse)
    if then is None or other is None:
        return None
    if isinstance(op, ast.GtE):
        start, after, before = month, then, other
    elif isinstance(op, ast.Gt):
        start, after, before = month + 1, then, other
    elif isinstance(op, ast.Lt):
        start, after, before = month, other, then
    elif isinstance(op, ast.LtE):
        start, after, before = month + 1, other, then
    else:
        return None
    return (start, after, before) if 2 <= start <= 12 else None


def _year_offset(node: ast.AST) -> int | None:
    """k of `d.year + k` / `d.year - k` / `d.year`; None for anything else."""
    if isinstance(node, ast.Attribute) and node.attr == "year":
        return 0
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub)) \
            and isinstance(node.left, ast.Attribute) and node.left.attr == "year" \
            and isinstance(node.right, ast.Constant) and isinstance(node.right.value, int) \
            and not isinstance(node.right.value, bool) and abs(node.right.value) <= 2:
        return node.right.value if isinstance(node.op, ast.Add) else -node.right.value
    return None
