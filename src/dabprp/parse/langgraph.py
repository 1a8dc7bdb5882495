"""LangGraph graphs from `ast`: `StateGraph(...)` variables and their nodes, edges, entry and compile calls."""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from typing import Any

from dabprp.facts import AgentGraph, GraphEdge, GraphNode, Location, RoutingModel
from dabprp.parse.python_ast import arg, const_str, dotted

GRAPH_METHODS = {"add_node", "add_edge", "add_conditional_edges", "set_entry_point",
                 "set_finish_point", "compile", "add_sequence"}
END_NAMES = {"END": "END", "START": "START"}


class GraphCollector:
    """Collects the graphs of one module while its visitor walks it."""

    def __init__(self, loc: Callable[[ast.AST], Location], constants: dict[str, str],
                 resolve: Callable[[str], ast.expr | None] | None = None) -> None:
        self.loc = loc
        self.constants = constants
        self.resolve = resolve or (lambda name: None)
        self.graphs: dict[str, dict[str, Any]] = {}

    def start(self, variable: str, state: ast.AST | None, node: ast.AST) -> None:
        self.graphs[variable] = {"state": ast.unparse(state) if state is not None else None,
                                 "loc": self.loc(node), "nodes": [], "edges": [],
                                 "entry": None, "finish": [], "compiled": None}

    def call(self, owner: str, method: str, node: ast.Call) -> None:
        if owner in self.graphs:
            self._apply(self.graphs[owner], method, node)

    def name(self, node: ast.AST | None) -> str | None:
        if node is None:
            return None
        text = const_str(node, self.constants)
        if text is not None:
            return text
        raw = dotted(node) or ast.unparse(node)
        return END_NAMES.get(raw.rsplit(".", 1)[-1], raw)

    def _apply(self, graph: dict[str, Any], method: str, node: ast.Call) -> None:
        where = self.loc(node)
        if method == "add_node":
            first = node.args[0] if node.args else arg(node, "node")
            second = node.args[1] if len(node.args) > 1 else arg(node, "action")
            if second is None and first is not None and not isinstance(first, ast.Constant):
                graph["nodes"].append(GraphNode(self.name(first) or "?", _fn_name(first), where))
            else:
                graph["nodes"].append(GraphNode(self.name(first) or "?", _fn_name(second), where))
        elif method == "add_edge":
            sources = node.args[0] if node.args else arg(node, "start_key")
            target = self.name(node.args[1] if len(node.args) > 1 else arg(node, "end_key"))
            srcs = sources.elts if isinstance(sources, (ast.List, ast.Tuple)) else [sources]
            for src in srcs:
                name = self.name(src)
                if name == "START" and target:
                    graph["entry"] = graph["entry"] or target
                graph["edges"].append(GraphEdge(name or "?", target or "?", where))
        elif method == "add_conditional_edges":
            source = self.name(node.args[0] if node.args else arg(node, "source")) or "?"
            router = node.args[1] if len(node.args) > 1 else arg(node, "path")
            path_map = node.args[2] if len(node.args) > 2 else arg(node, "path_map")
            targets = [self.name(v) or "?" for v in self._path_targets(path_map, 0)]
            router_name = _fn_name(router)
            if not targets:
                graph["edges"].append(GraphEdge(source, None, where, True, router_name))
            for tgt in dict.fromkeys(targets):
                graph["edges"].append(GraphEdge(source, tgt, where, True, router_name))
        elif method == "set_entry_point":
            graph["entry"] = self.name(node.args[0] if node.args else arg(node, "key"))
        elif method == "set_finish_point":
            graph["finish"].append(self.name(node.args[0] if node.args else arg(node, "key")))
        elif method == "compile":
            graph["compiled"] = where

    def _path_targets(self, path_map: ast.AST | None, depth: int) -> list[ast.AST]:
        """The target nodes of a path map: a dict's values, a list's items, a `{k: k for k in [...]}`
        comprehension evaluated, a module-level name followed to its value."""
        if path_map is None or depth > 4:
            return []
        if isinstance(path_map, ast.Name):
            return self._path_targets(self.resolve(path_map.id), depth + 1)
        if isinstance(path_map, ast.Dict):
            return [v for v in path_map.values if v is not None]
        if isinstance(path_map, (ast.List, ast.Tuple, ast.Set)):
            return list(path_map.elts)
        if isinstance(path_map, ast.DictComp) and len(path_map.generators) == 1:
            gen = path_map.generators[0]
            items = self._path_targets(gen.iter, depth + 1)
            if gen.ifs or not isinstance(gen.target, ast.Name) or not items:
                return []
            var = gen.target.id
            if isinstance(path_map.value, ast.Name) and path_map.value.id == var:
                return items
            if isinstance(path_map.value, ast.Constant):
                return [path_map.value]
        return []

    def finish(self) -> list[AgentGraph]:
        out = []
        for var, g in self.graphs.items():
            finish = list(g["finish"]) + [e.source for e in g["edges"] if e.target == "END"]
            out.append(AgentGraph(var, g["state"], g["loc"], tuple(g["nodes"]), tuple(g["edges"]), g["entry"],
                                  tuple(dict.fromkeys(finish)), g["compiled"]))
        return out


ROUTE_FIELD_RE = re.compile(r"(next|route|destination|goto|worker|agent|node|step|action)", re.I)


def routing_models(models: list[RoutingModel], graphs: list[AgentGraph]) -> list[RoutingModel]:
    """The structured-output models that choose a route, with only their routing fields: with a graph, a
    field whose Literal values name its nodes (two or more, or all of them); without one, a field named like
    a route (`next`, `route`, `destination`, …) of a model the LLM fills (`with_structured_output`)."""
    nodes = {n.name for g in graphs for n in g.nodes} | {"END", "__end__", "FINISH"}
    out = []
    for model in models:
        if graphs:
            fields = {k: v for k, v in model.fields.items()
                      if len(set(v) & nodes) >= 2 or (v and set(v) <= nodes)}
        else:
            fields = {k: v for k, v in model.fields.items() if model.used_by and ROUTE_FIELD_RE.search(k)}
        if fields:
            out.append(RoutingModel(model.name, model.location, fields, model.used_by))
    return out


def _fn_name(node: ast.AST | None) -> str | None:
    if node is None:
        return None
    if isinstance(node, ast.Call) and node.args:  # functools.partial(fn, ...), RunnableLambda(fn)
        return _fn_name(node.args[0])
    if isinstance(node, ast.Lambda):
        return "lambda"
    return dotted(node) or ast.unparse(node)
