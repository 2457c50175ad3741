"""A laid-out graph drawn into a grid of characters, each cell remembering what it shows.

The canvas widget turns rows of this grid into styled segments (`row_segments`, plain
Rich); keeping the grid apart from Textual lets a selection change re-style a few rows
without redrawing anything.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from omnix.shared.status import NodeStatus
from omnix.tui.layout import MAX_LABEL, GraphLayout, Route
from rich.segment import Segment
from rich.style import Style

UP, DOWN, LEFT, RIGHT = 1, 2, 4, 8
LINES = {
    LEFT: "─",
    RIGHT: "─",
    LEFT | RIGHT: "─",
    UP: "│",
    DOWN: "│",
    UP | DOWN: "│",
    DOWN | RIGHT: "┌",
    DOWN | LEFT: "┐",
    UP | RIGHT: "└",
    UP | LEFT: "┘",
    UP | DOWN | RIGHT: "├",
    UP | DOWN | LEFT: "┤",
    DOWN | LEFT | RIGHT: "┬",
    UP | LEFT | RIGHT: "┴",
    UP | DOWN | LEFT | RIGHT: "┼",
}
HEAVY = str.maketrans("─│┌┐└┘├┤┬┴┼[]", "━┃┏┓┗┛┣┫┳┻╋▐▌")
"""The selection's lines (and a compact box's brackets): visible without colour."""
DOUBLE = str.maketrans("─│┌┐└┘[]", "═║╔╗╚╝«»")
"""The box being connected from."""
SELECTED_EDGE = -1_000_000
"""The style key of the selected edge's cells."""
ARROW = "▶"

STATE_SYMBOL = {
    None: "○",
    NodeStatus.PENDING: "○",
    NodeStatus.RUNNING: "◐",
    NodeStatus.SUCCEEDED: "✔",
    NodeStatus.FAILED: "✘",
    NodeStatus.UPSTREAM_FAILED: "⊘",
    NodeStatus.CANCELLED: "■",
}

EMPTY = -1
"""Owner of a blank cell; edges own cells as -2 - edge index, boxes as their node index."""


@dataclass(slots=True)
class NodeLook:
    """What a box shows besides its id: language, run state, duration, a problem marker."""

    lang: str
    state: NodeStatus | None = None
    duration_s: float | None = None
    problem: bool = False


def edge_owner(index: int) -> int:
    return -2 - index


class Picture:
    """The character grid of a whole graph; `owner` says which node or edge drew each cell."""

    def __init__(self, layout: GraphLayout, looks: dict[str, NodeLook]) -> None:
        self.layout = layout
        self.looks = looks
        self.width, self.height = layout.width, layout.height
        self.node_ids = list(layout.boxes)
        self.node_index = {node_id: i for i, node_id in enumerate(self.node_ids)}
        self.edges = list(layout.routes)
        # Sparse rows: a big graph is mostly blank, and blank cells cost nothing here.
        self.chars: list[dict[int, str]] = [{} for _ in range(self.height)]
        self.owner: list[dict[int, int]] = [{} for _ in range(self.height)]
        self.edge_cells: dict[tuple[str, str], list[tuple[int, int]]] = {}
        bits: dict[tuple[int, int], int] = {}
        for index, key in enumerate(self.edges):
            self.edge_cells[key] = self._trace(layout.routes[key], index, bits)
        for key in self.edges:
            x, y = layout.routes[key].points[-1]
            self.chars[y][x] = ARROW
        for node_id in self.node_ids:
            self.draw_box(node_id)

    def _trace(
        self, route: Route, index: int, bits: dict[tuple[int, int], int]
    ) -> list[tuple[int, int]]:
        cells: list[tuple[int, int]] = []
        points = route.points
        bits[points[0]] = bits.get(points[0], 0) | LEFT  # leaves from the box's right border
        for (ax, ay), (bx, by) in itertools.pairwise(points):
            dx = (bx > ax) - (bx < ax)
            dy = (by > ay) - (by < ay)
            x, y = ax, ay
            while (x, y) != (bx, by):
                after = (x + dx, y + dy)
                out = RIGHT if dx > 0 else LEFT if dx < 0 else DOWN if dy > 0 else UP
                into = LEFT if dx > 0 else RIGHT if dx < 0 else UP if dy > 0 else DOWN
                bits[(x, y)] = bits.get((x, y), 0) | out
                bits[after] = bits.get(after, 0) | into
                cells.append((x, y))
                x, y = after
        cells.append(points[-1])
        owner = edge_owner(index)
        for x, y in cells:
            self.chars[y][x] = LINES.get(bits[(x, y)], "┼")
            self.owner[y][x] = owner
        return cells

    def draw_box(self, node_id: str) -> range:
        """(Re)draw one node's box; returns the rows it covers."""
        box = self.layout.boxes[node_id]
        look = self.looks[node_id]
        inner = box.width - 2
        label = node_id if len(node_id) <= MAX_LABEL else node_id[: MAX_LABEL - 1] + "…"
        if box.height == 1:
            rows = [f"[{STATE_SYMBOL[look.state]} {label}{'!' if look.problem else ']'}"]
            return self._put(node_id, rows)
        top = f"┌ {look.lang} ".ljust(box.width - 1, "─")
        if look.problem:
            top = top[:-1] + "!"
        duration = "" if look.duration_s is None else f" {_seconds(look.duration_s)} "
        rows = [
            top + "┐",
            "│" + f" {STATE_SYMBOL[look.state]} {label}".ljust(inner)[:inner] + "│",
            "└" + duration.rjust(inner, "─")[-inner:] + "┘",
        ]
        return self._put(node_id, rows)

    def _put(self, node_id: str, rows: list[str]) -> range:
        box = self.layout.boxes[node_id]
        index = self.node_index[node_id]
        for dy, text in enumerate(rows):
            y = box.y + dy
            if y >= self.height:
                break
            row_chars, row_owner = self.chars[y], self.owner[y]
            for dx, char in enumerate(text[: self.width - box.x]):
                row_chars[box.x + dx] = char
                row_owner[box.x + dx] = index
        return range(box.y, min(box.bottom, self.height))

    def rows_of_edge(self, key: tuple[str, str]) -> set[int]:
        return {y for _, y in self.edge_cells.get(key, ())}

    def edge_at(self, x: int, y: int) -> tuple[str, str] | None:
        """The edge drawn last through cell (x, y), if any."""
        if not (0 <= y < self.height and 0 <= x < self.width):
            return None
        owner = self.owner[y].get(x, EMPTY)
        return self.edges[-2 - owner] if owner <= -2 else None

    def text(self, heavy_cells: Iterable[tuple[int, int]] = ()) -> str:
        """The picture as plain text (for tests and the benchmark)."""
        heavy = set(heavy_cells)
        lines = []
        for y, row in enumerate(self.chars):
            cells = [" "] * self.width
            for x, char in row.items():
                cells[x] = char.translate(HEAVY) if (x, y) in heavy else char
            lines.append("".join(cells))
        return "\n".join(lines)


def _seconds(value: float) -> str:
    if value < 1:
        return f"{value * 1000:.0f}ms"
    if value < 10:
        return f"{value:.1f}s"
    if value < 600:
        return f"{value:.0f}s"
    return f"{value / 60:.0f}m"


def row_segments(
    picture: Picture,
    row: int,
    base: Style,
    ox: int,
    *,
    selected: str | None,
    marked: str | None,
    selected_edge: tuple[str, str] | None,
    style_of: Callable[[int], Style],
) -> list[Segment]:
    """One row of the picture as styled segments, `ox` blank cells from the left.

    `style_of(owner)` styles a node's cells (owner = node index), an edge's (negative) or
    the selected edge's (`SELECTED_EDGE`); it is asked once per owner per row.
    """
    chars, owners = picture.chars[row], picture.owner[row]
    heavy_edge = set(picture.edge_cells.get(selected_edge, ())) if selected_edge else set()
    segments: list[Segment] = [Segment(" " * ox, base)] if ox else []
    run: list[str] = []
    run_style: Style | None = None
    column = 0
    styles: dict[int, Style] = {}
    for x in sorted(chars):
        char, owner = chars[x], owners.get(x, EMPTY)
        if owner >= 0:
            node_id = picture.node_ids[owner]
            if node_id == selected:
                char = char.translate(HEAVY)
            elif node_id == marked:
                char = char.translate(DOUBLE)
        elif (x, row) in heavy_edge:
            char = char.translate(HEAVY)
            owner = SELECTED_EDGE
        style = styles.get(owner)
        if style is None:
            style = styles[owner] = style_of(owner)
        if x != column or style != run_style:
            if run:
                segments.append(Segment("".join(run), run_style))
                run = []
            if x != column:
                segments.append(Segment(" " * (x - column), base))
            run_style = style
        run.append(char)
        column = x + 1
    if run:
        segments.append(Segment("".join(run), run_style))
    return segments
