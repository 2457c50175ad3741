"""The phases of a Sugiyama-style layered layout, on element ids and integers only.

Cycle breaking, longest-path layering, dummy points for long edges, crossing reduction
by barycenter sweeps (counted with a Fenwick tree), row placement and edge tracks.
`omnix.tui.layout` turns their result into boxes and routes.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence

from omnix.tui.digraph import DiGraph

MAX_TRACKS = 8
SWEEPS = 4

Element = str | tuple[str, str, int]
"""A real node id, or a dummy point (upstream, downstream, layer) of a long edge."""


def back_edges(graph: DiGraph, order: Mapping[str, int]) -> set[tuple[str, str]]:
    """Edges closing a cycle, found by depth-first search in file order."""
    if graph.is_acyclic():
        return set()
    back: set[tuple[str, str]] = set()
    state: dict[str, int] = {}  # 1 on the stack, 2 done
    for root in order:
        if root in state:
            continue
        stack = [(root, iter(sorted(graph.successors(root), key=order.__getitem__)))]
        state[root] = 1
        while stack:
            node, children = stack[-1]
            for child in children:
                if state.get(child) == 1:
                    back.add((node, child))
                elif child not in state:
                    state[child] = 1
                    stack.append(
                        (child, iter(sorted(graph.successors(child), key=order.__getitem__)))
                    )
                    break
            else:
                state[node] = 2
                stack.pop()
    return back


def longest_path_layers(dag: DiGraph, order: Mapping[str, int]) -> dict[str, int]:
    """Layer of every node: the length of the longest path reaching it."""
    layer: dict[str, int] = {}
    for node in dag.topological_order(order.__getitem__):
        layer[node] = max((layer[u] + 1 for u in dag.predecessors(node)), default=0)
    return layer


def with_dummies(
    dag: DiGraph, layer_of: Mapping[str, int], order: Mapping[str, int]
) -> tuple[list[list[Element]], dict[tuple[str, str], list[Element]]]:
    """Layers of elements in initial order, and each edge's chain of elements end to end."""
    count = max(layer_of.values(), default=-1) + 1
    layers: list[list[Element]] = [[] for _ in range(count)]
    for node in sorted(layer_of, key=lambda n: (layer_of[n], order[n])):
        layers[layer_of[node]].append(node)
    chains: dict[tuple[str, str], list[Element]] = {}
    for u, v in sorted(dag.edges, key=lambda e: (order[e[0]], order[e[1]])):
        chain: list[Element] = [u]
        for layer in range(layer_of[u] + 1, layer_of[v]):
            dummy = (u, v, layer)
            layers[layer].append(dummy)
            chain.append(dummy)
        chain.append(v)
        chains[(u, v)] = chain
    return layers, chains


def adjacency(
    chains: Mapping[tuple[str, str], list[Element]], layers: Sequence[Sequence[Element]]
) -> tuple[dict[Element, list[Element]], dict[Element, list[Element]]]:
    """Per element, its neighbours in the layer before and the layer after."""
    layer_index = {e: i for i, layer in enumerate(layers) for e in layer}
    before: dict[Element, list[Element]] = {e: [] for e in layer_index}
    after: dict[Element, list[Element]] = {e: [] for e in layer_index}
    for chain in chains.values():
        for a, b in itertools.pairwise(chain):
            after[a].append(b)
            before[b].append(a)
    return before, after


def crossings(
    upper: Sequence[Element], lower: Sequence[Element], after: Mapping[Element, list[Element]]
) -> int:
    """How many edges between two adjacent layers cross, in their current order."""
    position = {e: i for i, e in enumerate(lower)}
    ends = [position[b] for a in upper for b in sorted(after[a], key=position.__getitem__)]
    # Inversions of the lower ends = crossings; a Fenwick tree counts them in n log n.
    tree = [0] * (len(lower) + 1)
    crossings = 0
    for seen, end in enumerate(ends):
        i, smaller_or_equal = end + 1, 0
        while i > 0:
            smaller_or_equal += tree[i]
            i -= i & -i
        crossings += seen - smaller_or_equal
        i = end + 1
        while i <= len(lower):
            tree[i] += 1
            i += i & -i
    return crossings


def reduce_crossings(
    layers: list[list[Element]],
    dag: DiGraph,
    chains: Mapping[tuple[str, str], list[Element]],
) -> None:
    """Reorder layers in place by barycenter sweeps, keeping the order with fewest crossings."""
    before, after = adjacency(chains, layers)

    def total() -> int:
        return sum(crossings(a, b, after) for a, b in itertools.pairwise(layers))

    best, best_count = [list(layer) for layer in layers], total()
    for sweep in range(SWEEPS):
        down = sweep % 2 == 0
        indices = range(1, len(layers)) if down else range(len(layers) - 2, -1, -1)
        for i in indices:
            fixed = layers[i - 1] if down else layers[i + 1]
            neighbours = before if down else after
            position = {e: p for p, e in enumerate(fixed)}
            current = {e: p for p, e in enumerate(layers[i])}

            def barycenter(
                e: Element,
                position: dict[Element, int] = position,
                current: dict[Element, int] = current,
                neighbours: dict[Element, list[Element]] = neighbours,
            ) -> float:
                near = neighbours[e]
                if not near:
                    return float(current[e])
                return sum(position[n] for n in near) / len(near)

            layers[i].sort(key=barycenter)
        count = total()
        if count < best_count:
            best, best_count = [list(layer) for layer in layers], count
        if best_count == 0:
            break
    layers[:] = best


def place_rows(
    layers: Sequence[Sequence[Element]],
    chains: Mapping[tuple[str, str], list[Element]],
    box_height: int,
) -> dict[Element, int]:
    """Top row of every element: stacked in order, then pulled toward neighbours' rows."""
    before, after = adjacency(chains, layers)

    def height(e: Element) -> int:
        return box_height if isinstance(e, str) else 1

    def centre(e: Element) -> float:
        return y[e] + height(e) // 2

    y: dict[Element, int] = {}
    for layer in layers:
        row = 0
        for e in layer:
            y[e] = row
            row += height(e) + 1
    for sweep in range(4):
        down = sweep % 2 == 0
        order = range(1, len(layers)) if down else range(len(layers) - 2, -1, -1)
        for i in order:
            neighbours = before if down else after
            wanted = [
                sum(centre(n) for n in neighbours[e]) / len(neighbours[e]) - height(e) // 2
                if neighbours[e]
                else float(y[e])
                for e in layers[i]
            ]
            for e, row in zip(
                layers[i], _closest_rows(wanted, [height(e) for e in layers[i]]), strict=True
            ):
                y[e] = row
    # Rows may have gone negative while centring; start the drawing one row from the top.
    shift = min(y.values(), default=1) - 1
    return {e: row - shift for e, row in y.items()}


def _closest_rows(wanted: Sequence[float], heights: Sequence[int]) -> list[int]:
    """Rows as close as possible (least squares) to `wanted`, keeping the order and one blank
    row between elements: pool-adjacent-violators over rows minus the space above each."""
    offsets = list(itertools.accumulate((h + 1 for h in heights[:-1]), initial=0))
    blocks: list[list[float]] = []  # [mean, count]
    for target, offset in zip(wanted, offsets, strict=True):
        blocks.append([target - offset, 1])
        while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0]:
            mean, count = blocks.pop()
            previous = blocks[-1]
            previous[0] = (previous[0] * previous[1] + mean * count) / (previous[1] + count)
            previous[1] += count
    levels = [mean for mean, count in blocks for _ in range(int(count))]
    # Rounding each pooled level the same way keeps the spacing between members exact.
    return [round(level) + offset for level, offset in zip(levels, offsets, strict=True)]


def tracks(
    layers: Sequence[Sequence[Element]],
    chains: Mapping[tuple[str, str], list[Element]],
    ys: Mapping[Element, int],
) -> list[dict[Element, int]]:
    """For the gap after each layer, the vertical track column (index) of each source."""
    _, after = adjacency(chains, layers)
    result: list[dict[Element, int]] = []
    for layer in layers[:-1]:
        sources = sorted((e for e in layer if after[e]), key=ys.__getitem__)
        result.append({e: i % MAX_TRACKS for i, e in enumerate(sources)})
    return result
