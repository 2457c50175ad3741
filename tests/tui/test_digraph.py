"""The layout's small directed graph agrees with networkx on what the layout asks of it."""

from __future__ import annotations

import random

import networkx as nx
from omnix.tui.digraph import DiGraph


def random_graph(seed: int, acyclic: bool) -> tuple[list[str], list[tuple[str, str]]]:
    rng = random.Random(seed)
    nodes = [f"n{i}" for i in range(30)]
    rng.shuffle(nodes)
    edges = []
    for _ in range(60):
        a, b = rng.sample(range(30), 2)
        if acyclic and a > b:
            a, b = b, a
        edges.append((nodes[a], nodes[b]))
    return nodes, edges


def both(nodes: list[str], edges: list[tuple[str, str]]) -> tuple[DiGraph, nx.DiGraph]:
    ours, theirs = DiGraph(), nx.DiGraph()
    for graph in (ours, theirs):
        graph.add_nodes_from(nodes)
        graph.add_edges_from(edges)
    return ours, theirs


def test_topological_order_matches_networkx_lexicographical_sort() -> None:
    for seed in range(20):
        nodes, edges = random_graph(seed, acyclic=True)
        ours, theirs = both(nodes, edges)
        order = {node: i for i, node in enumerate(nodes)}
        expected = list(nx.lexicographical_topological_sort(theirs, key=order.__getitem__))
        assert list(ours.topological_order(order.__getitem__)) == expected


def test_cycles_are_found_as_networkx_finds_them() -> None:
    for seed in range(20):
        nodes, edges = random_graph(seed, acyclic=seed % 2 == 0)
        ours, theirs = both(nodes, edges)
        assert ours.is_acyclic() == nx.is_directed_acyclic_graph(theirs)


def test_neighbours_and_edges_match_networkx() -> None:
    nodes, edges = random_graph(7, acyclic=False)
    ours, theirs = both(nodes, edges)
    assert ours.edges == list(theirs.edges)
    for node in nodes:
        assert ours.successors(node) == list(theirs.successors(node))
        assert sorted(ours.predecessors(node)) == sorted(theirs.predecessors(node))
