"""The graph of `requires` between steps: its cycles, and each step's prerequisites.

Why: a cycle makes the process impossible to finish, and a rule may only count from a step that is
a (transitive) prerequisite of its own step, since any other step may have no date yet.
"""
from __future__ import annotations

from typing import Iterable, Mapping

Graph = Mapping[str, list[str]]  # step id -> the ids it requires


def find_cycles(graph: Graph) -> list[list[str]]:
    """Every cycle once, in the order found, as a path a → … → a (a depth-first walk without recursion)."""
    found: list[list[str]] = []
    seen: set[frozenset] = set()
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    for start in graph:
        if state.get(start):
            continue
        stack: list[tuple[str, Iterable[str]]] = [(start, iter(graph[start]))]
        path = [start]
        state[start] = 1
        while stack:
            node, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                state[node] = 2
                stack.pop()
                path.pop()
            elif state.get(nxt) == 1:
                cycle = path[path.index(nxt):] + [nxt]
                if frozenset(cycle) not in seen:
                    seen.add(frozenset(cycle))
                    found.append(cycle)
            elif not state.get(nxt):
                state[nxt] = 1
                stack.append((nxt, iter(graph[nxt])))
                path.append(nxt)
    return found


class Prerequisites:
    """Each step's transitive prerequisites, computed once; for a graph without cycles only."""

    def __init__(self, graph: Graph):
        self.graph = graph
        self._memo: dict[str, set[str]] = {}

    def of(self, step_id: str) -> set[str]:
        if step_id not in self._memo:
            out: set[str] = set()
            for r in self.graph.get(step_id, ()):
                out.add(r)
                out |= self.of(r)
            self._memo[step_id] = out
        return self._memo[step_id]
