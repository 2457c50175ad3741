"""The graph: every `needs` names a node, and there is no cycle (each one reported with
its path)."""

from __future__ import annotations

from omnix.shared.pipeline import (
    Node,
)
from omnix.shared.validation.located import Collector, closest


def check_graph(nodes: list[Node], out: Collector) -> None:
    ids = {node.id for node in nodes}
    downstream: dict[str, list[str]] = {node.id: [] for node in nodes}
    for node in nodes:
        for upstream in node.needs:
            if upstream not in ids:
                hint = closest(upstream, tuple(sorted(ids)))
                suggestion = f"; did you mean '{hint}'?" if hint else ""
                out.add(node.line, f"`needs` names no node: '{upstream}'{suggestion}", node.id)
            elif upstream != node.id:  # a self-need is reported on the node already
                downstream[upstream].append(node.id)
    if _is_acyclic(downstream):
        return
    _report_cycles(downstream, {node.id: node.line for node in nodes}, out)


def _is_acyclic(downstream: dict[str, list[str]]) -> bool:
    """Kahn's algorithm: cheap, and keeps networkx off the path of every valid file."""
    indegree = dict.fromkeys(downstream, 0)
    for targets in downstream.values():
        for target in targets:
            indegree[target] += 1
    ready = [node for node, degree in indegree.items() if degree == 0]
    seen = 0
    while ready:
        node = ready.pop()
        seen += 1
        for target in downstream[node]:
            indegree[target] -= 1
            if indegree[target] == 0:
                ready.append(target)
    return seen == len(downstream)


def _report_cycles(downstream: dict[str, list[str]], lines: dict[str, int], out: Collector) -> None:
    import networkx as nx

    graph = nx.DiGraph([(a, b) for a, targets in downstream.items() for b in targets])
    reported: set[frozenset[str]] = set()
    for cycle in nx.simple_cycles(graph):
        members = frozenset(cycle)
        if members in reported:
            continue
        reported.add(members)
        start = min(cycle, key=lambda node_id: lines[node_id])
        turn = cycle.index(start)
        ordered = cycle[turn:] + cycle[:turn]
        path = " -> ".join([*ordered, ordered[0]])
        out.add(lines[start], f"cycle: {path}", start)
        if len(reported) >= 20:
            break
