"""DAB905's cycle search: the same first cycle as a plain recursive depth-first search, on any graph, and no
recursion limit on long task chains."""

from __future__ import annotations

import random
from typing import Any

from dabprp.api import validate
from dabprp.rules.bundle import _find_cycle


def recursive_reference(graph: dict[Any, list[Any]]) -> list[Any] | None:
    """The textbook recursive search (dabprp's earlier implementation), keys in `str` order."""
    state: dict[Any, int] = {}
    stack: list[Any] = []

    def visit(node: Any) -> list[Any] | None:
        state[node] = 1
        stack.append(node)
        for nxt in graph.get(node, []):
            if nxt not in graph:
                continue
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt):], nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph, key=str):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_the_first_cycle_is_the_recursive_search_s_on_random_graphs():
    rng = random.Random(905)
    cycles = 0
    for _ in range(3000):
        size = rng.randint(1, 9)
        names = [f"t{i}" for i in range(size)] + [None, 3]
        graph = {n: [rng.choice([*names, "missing"]) for _ in range(rng.randint(0, 3))]
                 for n in rng.sample(names, k=min(len(names), size))}
        expected = recursive_reference(graph)
        cycles += expected is not None
        assert _find_cycle(graph) == expected, graph
    assert 500 < cycles < 2500  # both kinds of graph were drawn


def test_a_chain_of_thousands_of_tasks_is_searched_without_recursion(tree):
    tasks = "".join(f"        - task_key: t{i}\n          notebook_task: {{notebook_path: ./nb}}\n"
                    f"          depends_on: [{{task_key: t{(i + 1) % 3000}}}]\n" for i in range(3000))
    root = tree({"databricks.yml": "bundle:\n  name: b\nresources:\n  jobs:\n    long:\n      tasks:\n" + tasks,
                 "nb.py": "# Databricks notebook source\n"})
    [finding] = [f for f in validate(str(root)).findings if f.rule_id == "DAB905"]
    assert finding.location.line == 7
    assert finding.message.startswith("job `long` has a dependency cycle: t0 -> t1 -> t2 -> ")
    assert finding.message.endswith(" -> t2999 -> t0")
