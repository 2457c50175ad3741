"""Layered left-to-right graph layout in character cells (Sugiyama-style).

Steps: break cycles, assign layers by longest path, add a dummy point per layer an edge
crosses, reduce crossings with barycenter sweeps, then place boxes on a cell grid and
route every edge as an orthogonal polyline. Positions the user chose override the
computed ones. Pure Python over networkx: no Textual here, so it is easy to test and time.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

import networkx as nx

Point = tuple[int, int]
Direction = Literal["left", "right", "up", "down"]

BOX_HEIGHT = 3
MAX_LABEL = 24
MIN_GAP = 6
MAX_TRACKS = 8
SWEEPS = 4


@dataclass(frozen=True, slots=True)
class Box:
    """Where a node's box sits: top-left cell, size, and the layer it was put in."""

    x: int
    y: int
    width: int
    height: int = BOX_HEIGHT
    layer: int = 0

    @property
    def right(self) -> int:
        """The first column right of the box."""
        return self.x + self.width

    @property
    def bottom(self) -> int:
        """The first row below the box."""
        return self.y + self.height

    @property
    def middle(self) -> int:
        """The row edges enter and leave by."""
        return self.y + self.height // 2

    def contains(self, x: int, y: int) -> bool:
        return self.x <= x < self.right and self.y <= y < self.bottom


@dataclass(frozen=True, slots=True)
class Route:
    """An edge drawn as an orthogonal polyline; the last point is the arrowhead's cell."""

    source: str
    target: str
    points: tuple[Point, ...]


@dataclass(slots=True)
class GraphLayout:
    """Boxes and edge routes of a whole graph, plus the canvas size they need."""

    boxes: dict[str, Box]
    routes: dict[tuple[str, str], Route]
    width: int = 0
    height: int = 0
    pinned: set[str] = field(default_factory=set)

    def box_at(self, x: int, y: int) -> str | None:
        """The node whose box covers cell (x, y), if any."""
        for node_id, box in self.boxes.items():
            if box.contains(x, y):
                return node_id
        return None

    def moved(self, node_id: str, x: int, y: int) -> GraphLayout:
        """A copy with one box placed by the user at (x, y) and its edges re-routed."""
        boxes = dict(self.boxes)
        boxes[node_id] = replace(boxes[node_id], x=max(0, x), y=max(0, y))
        routes = dict(self.routes)
        for key in routes:
            if node_id in key:
                routes[key] = _direct_route(boxes, *key)
        result = GraphLayout(boxes, routes, pinned=self.pinned | {node_id})
        result.fit_canvas()
        return result

    def fit_canvas(self) -> None:
        """Grow width/height to hold every box and route (plus a margin)."""
        xs = [box.right for box in self.boxes.values()]
        ys = [box.bottom for box in self.boxes.values()]
        for route in self.routes.values():
            xs.extend(x + 1 for x, _ in route.points)
            ys.extend(y + 1 for _, y in route.points)
        self.width = max(xs, default=0) + 2
        self.height = max(ys, default=0) + 1


def box_width(node_id: str, lang: str) -> int:
    """Cells a node's box needs: `│ ○ id │` inside, language label on the top border."""
    label = min(len(node_id), MAX_LABEL)
    return max(label + 4, len(lang) + 4, 10) + 2


def layout_graph(
    nodes: Mapping[str, str],
    edges: Iterable[tuple[str, str]],
    positions: Mapping[str, Point] | None = None,
) -> GraphLayout:
    """Lay out `nodes` ({id: language}, in file order) joined by (upstream, downstream) edges."""
    positions = positions or {}
    order = {node_id: i for i, node_id in enumerate(nodes)}
    edge_list = [(u, v) for u, v in dict.fromkeys(edges) if u in order and v in order and u != v]
    graph = nx.DiGraph()
    graph.add_nodes_from(nodes)
    graph.add_edges_from(edge_list)
    backward = _back_edges(graph, order)
    dag = nx.DiGraph()
    dag.add_nodes_from(nodes)
    dag.add_edges_from((v, u) if (u, v) in backward else (u, v) for u, v in edge_list)

    layer_of = _longest_path_layers(dag, order)
    layers, chains = _with_dummies(dag, layer_of, order)
    _reduce_crossings(layers, dag, chains)

    widths = {node_id: box_width(node_id, lang) for node_id, lang in nodes.items()}
    ys = _place_rows(layers, chains)
    layer_width = [
        max((widths[e] if isinstance(e, str) else 1 for e in layer), default=1) for layer in layers
    ]
    tracks = _tracks(layers, chains, ys)
    xs: list[int] = []
    x = 1
    for index, width in enumerate(layer_width):
        xs.append(x)
        gap = max(MIN_GAP, len(set(tracks[index].values())) + 4) if index < len(tracks) else 0
        x += width + gap

    boxes = {
        node_id: Box(xs[layer_of[node_id]], ys[node_id], widths[node_id], layer=layer_of[node_id])
        for node_id in nodes
    }
    pinned = set()
    for node_id, (px, py) in positions.items():
        if node_id in boxes:
            boxes[node_id] = replace(boxes[node_id], x=max(0, px), y=max(0, py))
            pinned.add(node_id)

    routes: dict[tuple[str, str], Route] = {}
    for u, v in edge_list:
        if (u, v) in backward or u in pinned or v in pinned:
            routes[(u, v)] = _direct_route(boxes, u, v)
        else:
            routes[(u, v)] = _layered_route(
                boxes, u, v, chains[(u, v)], ys, xs, layer_width, tracks
            )
    result = GraphLayout(boxes, routes, pinned=pinned)
    result.fit_canvas()
    return result


def neighbour(layout: GraphLayout, node_id: str, direction: Direction) -> str | None:
    """The box nearest to `node_id`'s in `direction`, for moving the selection by keys."""
    here = layout.boxes[node_id]
    cx, cy = here.x + here.width // 2, here.middle
    best: tuple[int, str] | None = None
    for other_id, box in layout.boxes.items():
        if other_id == node_id:
            continue
        dx, dy = box.x + box.width // 2 - cx, box.middle - cy
        # Rows are about half as wide as tall on screen, so weigh dy double.
        along, across = {
            "right": (dx, abs(dy) * 2),
            "left": (-dx, abs(dy) * 2),
            "down": (dy * 2, abs(dx)),
            "up": (-dy * 2, abs(dx)),
        }[direction]
        if along <= 0:
            continue
        score = along + 2 * across
        if best is None or score < best[0]:
            best = (score, other_id)
    return best[1] if best else None


# -- the phases ------------------------------------------------------------------------


def _back_edges(graph: nx.DiGraph, order: Mapping[str, int]) -> set[tuple[str, str]]:
    """Edges closing a cycle, found by depth-first search in file order."""
    if nx.is_directed_acyclic_graph(graph):
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


def _longest_path_layers(dag: nx.DiGraph, order: Mapping[str, int]) -> dict[str, int]:
    layer: dict[str, int] = {}
    for node in nx.lexicographical_topological_sort(dag, key=order.__getitem__):
        layer[node] = max((layer[u] + 1 for u in dag.predecessors(node)), default=0)
    return layer


Element = str | tuple[str, str, int]
"""A real node id, or a dummy point (upstream, downstream, layer) of a long edge."""


def _with_dummies(
    dag: nx.DiGraph, layer_of: Mapping[str, int], order: Mapping[str, int]
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


def _adjacency(
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


def _crossings(
    upper: Sequence[Element], lower: Sequence[Element], after: Mapping[Element, list[Element]]
) -> int:
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


def _reduce_crossings(
    layers: list[list[Element]],
    dag: nx.DiGraph,
    chains: Mapping[tuple[str, str], list[Element]],
) -> None:
    before, after = _adjacency(chains, layers)

    def total() -> int:
        return sum(_crossings(a, b, after) for a, b in itertools.pairwise(layers))

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


def _place_rows(
    layers: Sequence[Sequence[Element]], chains: Mapping[tuple[str, str], list[Element]]
) -> dict[Element, int]:
    """Top row of every element: stacked in order, then pulled toward neighbours' rows."""
    before, after = _adjacency(chains, layers)

    def height(e: Element) -> int:
        return BOX_HEIGHT if isinstance(e, str) else 1

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
            row = 0
            for e in layers[i]:
                near = neighbours[e]
                wanted = (
                    round(sum(centre(n) for n in near) / len(near)) - height(e) // 2
                    if near
                    else y[e]
                )
                y[e] = max(row, wanted)
                row = y[e] + height(e) + 1
    # Sweeps only push rows down; start the drawing one row from the top.
    shift = min(y.values(), default=1) - 1
    return {e: row - shift for e, row in y.items()}


def _tracks(
    layers: Sequence[Sequence[Element]],
    chains: Mapping[tuple[str, str], list[Element]],
    ys: Mapping[Element, int],
) -> list[dict[Element, int]]:
    """For the gap after each layer, the vertical track column (index) of each source."""
    _, after = _adjacency(chains, layers)
    result: list[dict[Element, int]] = []
    for layer in layers[:-1]:
        sources = sorted((e for e in layer if after[e]), key=ys.__getitem__)
        result.append({e: i % MAX_TRACKS for i, e in enumerate(sources)})
    return result


def _layered_route(
    boxes: Mapping[str, Box],
    u: str,
    v: str,
    chain: Sequence[Element],
    ys: Mapping[Element, int],
    xs: Sequence[int],
    layer_width: Sequence[int],
    tracks: Sequence[Mapping[Element, int]],
) -> Route:
    source = boxes[u]
    points: list[Point] = [(source.right, source.middle)]
    for a, b in itertools.pairwise(chain):
        layer = boxes[a].layer if isinstance(a, str) else a[2]
        row_a = boxes[a].middle if isinstance(a, str) else ys[a]
        row_b = boxes[b].middle if isinstance(b, str) else ys[b]
        column = xs[layer] + layer_width[layer] + 1 + tracks[layer][a]
        points += [(column, row_a), (column, row_b)]
        if isinstance(b, str):
            points.append((boxes[b].x - 1, row_b))
        else:
            points += [(xs[b[2]], row_b), (xs[b[2]] + layer_width[b[2]], row_b)]
    return Route(u, v, _simplify(points))


def _direct_route(boxes: Mapping[str, Box], u: str, v: str) -> Route:
    """A route that ignores layers: for boxes the user placed and for edges closing a cycle."""
    source, target = boxes[u], boxes[v]
    start, end = (source.right, source.middle), (target.x - 1, target.middle)
    if end[0] > start[0] + 1:
        column = (start[0] + end[0]) // 2
        points = [start, (column, start[1]), (column, end[1]), end]
    else:
        # Target is left of the source: go round below both boxes.
        below = max(source.bottom, target.bottom)
        left = max(0, end[0] - 1)
        points = [
            start,
            (start[0] + 1, start[1]),
            (start[0] + 1, below),
            (left, below),
            (left, end[1]),
            end,
        ]
    return Route(u, v, _simplify(points))


def _simplify(points: Sequence[Point]) -> tuple[Point, ...]:
    """Drop repeated and collinear middle points."""
    result: list[Point] = []
    for point in points:
        if result and result[-1] == point:
            continue
        if len(result) >= 2:
            (x0, y0), (x1, y1) = result[-2], result[-1]
            if (x0 == x1 == point[0]) or (y0 == y1 == point[1]):
                result[-1] = point
                continue
        result.append(point)
    return tuple(result)
