"""A small directed graph: just what the layout needs, without importing networkx.

networkx costs about a quarter of a second to import, paid by every editor start before
the first frame; the layout only walks successors and predecessors and sorts
topologically, which a dict of lists does in a few lines.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Iterator


class DiGraph:
    """Nodes in insertion order, each with its successors and predecessors in edge order."""

    def __init__(self) -> None:
        self._succ: dict[str, list[str]] = {}
        self._pred: dict[str, list[str]] = {}

    def add_nodes_from(self, nodes: Iterable[str]) -> None:
        """Add nodes (existing ones are kept as they are)."""
        for node in nodes:
            self._succ.setdefault(node, [])
            self._pred.setdefault(node, [])

    def add_edges_from(self, edges: Iterable[tuple[str, str]]) -> None:
        """Add edges, adding their nodes when new; a repeated edge is added once."""
        for u, v in edges:
            self.add_nodes_from((u, v))
            if v not in self._succ[u]:
                self._succ[u].append(v)
                self._pred[v].append(u)

    def successors(self, node: str) -> list[str]:
        """The nodes `node` has an edge to."""
        return self._succ[node]

    def predecessors(self, node: str) -> list[str]:
        """The nodes with an edge to `node`."""
        return self._pred[node]

    @property
    def edges(self) -> list[tuple[str, str]]:
        """Every (upstream, downstream) edge, by upstream node, then edge order."""
        return [(u, v) for u, targets in self._succ.items() for v in targets]

    def topological_order(self, key: Callable[[str], int]) -> Iterator[str]:
        """Nodes with every upstream before them; among the ready ones, the lowest `key`
        first. Stops early on a cycle (its nodes never become ready)."""
        waiting = {node: len(preds) for node, preds in self._pred.items()}
        ready = [(key(node), node) for node, count in waiting.items() if count == 0]
        heapq.heapify(ready)
        while ready:
            _, node = heapq.heappop(ready)
            for child in self._succ[node]:
                waiting[child] -= 1
                if waiting[child] == 0:
                    heapq.heappush(ready, (key(child), child))
            yield node

    def is_acyclic(self) -> bool:
        """Whether no path leads from a node back to itself."""
        return sum(1 for _ in self.topological_order(lambda node: 0)) == len(self._succ)
