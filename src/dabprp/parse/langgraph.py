"""LangGraph graphs from `ast`: `StateGraph(...)` variables and their nodes, edges, entry and compile calls."""

from __future__ import annotations

import ast
from collections.abc import Callable
from typing import Any

from dabprp.facts import AgentGraph, GraphEdge, GraphNode, Location
from dabprp.parse.python_ast import arg, const_str, dotted

GRAPH_METHODS = {"add_node", "add_edge", "add_conditional_edges", "set_entry_point",
                 "set_finish_point", "compile", "add_sequence"}
END_NAMES = {"END": "END", "START": "START"}


class GraphCollector:
    """Collects the graphs of one module while its visitor walks it."""

    def __init__(self, loc: Callable[[ast.AST], Location], constants: dict[str, str]) -> None:
        self.loc = loc
        self.constants = constants
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
            targets: list[str] = []
            if isinstance(path_map, ast.Dict):
                targets = [self.name(v) or "?" for v in path_map.values]
            elif isinstance(path_map, (ast.List, ast.Tuple)):
                targets = [self.name(v) or "?" for v in path_map.elts]
            router_name = _fn_name(router)
            if not targets:
                graph["edges"].append(GraphEdge(source, "<dynamic>", where, True, router_name))
            for tgt in dict.fromkeys(targets):
                graph["edges"].append(GraphEdge(source, tgt, where, True, router_name))
        elif method == "set_entry_point":
            graph["entry"] = self.name(node.args[0] if node.args else arg(node, "key"))
        elif method == "set_finish_point":
            graph["finish"].append(self.name(node.args[0] if node.args else arg(node, "key")))
        elif method == "compile":
            graph["compiled"] = where

    def finish(self) -> list[AgentGraph]:
        out = []
        for var, g in self.graphs.items():
            finish = list(g["finish"]) + [e.source for e in g["edges"] if e.target == "END"]
            out.append(AgentGraph(var, g["state"], g["loc"], tuple(g["nodes"]), tuple(g["edges"]), g["entry"],
                                  tuple(dict.fromkeys(finish)), g["compiled"]))
        return out


def _fn_name(node: ast.AST | None) -> str | None:
    if node is None:
        return None
    if isinstance(node, ast.Call) and node.args:  # functools.partial(fn, ...), RunnableLambda(fn)
        return _fn_name(node.args[0])
    if isinstance(node, ast.Lambda):
        return "lambda"
    return dotted(node) or ast.unparse(node)
