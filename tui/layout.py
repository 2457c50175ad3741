"""Layered left-to-right graph layout in character cells (Sugiyama-style).

Steps: break cycles, assign layers by longest path, add a dummy point per layer an edge
crosses, reduce crossings with barycenter sweeps, then place boxes on a cell grid and
route every edge as an orthogonal polyline. Positions the user chose override the
computed ones. Pure Python: no Textual here, so it is easy to test and time.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

from omnix.tui import sugiyama
from omnix.tui.digraph import DiGraph
from omnix.tui.sugiyama import Element

Point = tuple[int, int]
Direction = Literal["left", "right", "up", "down"]

BOX_HEIGHT = 3
MAX_LABEL = 24
MIN_GAP = 6


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


def box_width(node_id: str, lang: str, *, compact: bool = False) -> int:
    """Cells a node's box needs: `│ ○ id │` inside, language label on the top border
    (compact: `[○ id]` on one row)."""
    label = min(len(node_id), MAX_LABEL)
    if compact:
        return label + 4
    return max(label + 4, len(lang) + 4, 10) + 2


def layout_graph(
    nodes: Mapping[str, str],
    edges: Iterable[tuple[str, str]],
    positions: Mapping[str, Point] | None = None,
    *,
    compact: bool = False,
) -> GraphLayout:
    """Lay out `nodes` ({id: language}, in file order) joined by (upstream, downstream) edges.

    `compact` draws one-row boxes close together (an overview of a big graph); user
    positions, being full-size coordinates, do not apply to it.
    """
    positions = {} if compact or positions is None else positions
    box_height = 1 if compact else BOX_HEIGHT
    min_gap = 4 if compact else MIN_GAP
    order = {node_id: i for i, node_id in enumerate(nodes)}
    edge_list = [(u, v) for u, v in dict.fromkeys(edges) if u in order and v in order and u != v]
    graph = DiGraph()
    graph.add_nodes_from(nodes)
    graph.add_edges_from(edge_list)
    backward = sugiyama.back_edges(graph, order)
    dag = DiGraph()
    dag.add_nodes_from(nodes)
    dag.add_edges_from((v, u) if (u, v) in backward else (u, v) for u, v in edge_list)

    layer_of = sugiyama.longest_path_layers(dag, order)
    layers, chains = sugiyama.with_dummies(dag, layer_of, order)
    sugiyama.reduce_crossings(layers, dag, chains)

    widths = {n: box_width(n, lang, compact=compact) for n, lang in nodes.items()}
    ys = sugiyama.place_rows(layers, chains, box_height)
    layer_width = [
        max((widths[e] if isinstance(e, str) else 1 for e in layer), default=1) for layer in layers
    ]
    tracks = sugiyama.tracks(layers, chains, ys)
    xs: list[int] = []
    x = 1
    for index, width in enumerate(layer_width):
        xs.append(x)
        gap = max(min_gap, len(set(tracks[index].values())) + 4) if index < len(tracks) else 0
        x += width + gap

    boxes = {
        n: Box(xs[layer_of[n]], ys[n], widths[n], box_height, layer=layer_of[n]) for n in nodes
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
