"""The graph canvas: a pipeline's nodes and edges drawn on Textual's line API.

Rows are rendered from a `Picture` into cached strips; selecting or re-styling a node
invalidates only the rows its box (or edge) covers, so moving the selection on a big
graph repaints a handful of lines. State is shown by symbol as well as colour, and the
selection by a heavy border, so the canvas reads the same with NO_COLOR.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import ClassVar

from omnix.shared.status import NodeStatus
from omnix.tui.drawing import SELECTED_EDGE, NodeLook, Picture, row_segments
from omnix.tui.layout import Direction, Point, layout_graph, neighbour
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

STATE_CLASS = {
    None: "graph--pending",
    NodeStatus.PENDING: "graph--pending",
    NodeStatus.RUNNING: "graph--running",
    NodeStatus.SUCCEEDED: "graph--succeeded",
    NodeStatus.FAILED: "graph--failed",
    NodeStatus.UPSTREAM_FAILED: "graph--upstream-failed",
    NodeStatus.CANCELLED: "graph--cancelled",
}


class GraphCanvas(ScrollView, can_focus=True):
    """A scrollable drawing of a pipeline graph with a selected node or edge."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "graph--edge",
        "graph--edge-selected",
        "graph--selected",
        "graph--marked",
        "graph--problem",
        *STATE_CLASS.values(),
    }
    DEFAULT_CSS = """
    GraphCanvas { background: $surface; }
    GraphCanvas > .graph--edge { color: $text-muted; }
    GraphCanvas > .graph--edge-selected { color: $accent; text-style: bold; }
    GraphCanvas > .graph--selected { color: $accent; text-style: bold; }
    GraphCanvas > .graph--marked { color: $warning; text-style: bold; }
    GraphCanvas > .graph--problem { color: $error; }
    GraphCanvas > .graph--pending { color: $foreground; }
    GraphCanvas > .graph--running { color: $warning; }
    GraphCanvas > .graph--succeeded { color: $success; }
    GraphCanvas > .graph--failed { color: $error; text-style: bold; }
    GraphCanvas > .graph--upstream-failed { color: $error-lighten-2; text-style: italic; }
    GraphCanvas > .graph--cancelled { color: $text-disabled; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "move('up')", "Up", show=False),
        Binding("down", "move('down')", "Down", show=False),
        Binding("left", "move('left')", "Left", show=False),
        Binding("right", "move('right')", "Right", show=False),
        Binding("shift+up", "scroll_up", "Pan up", show=False),
        Binding("shift+down", "scroll_down", "Pan down", show=False),
        Binding("shift+left", "scroll_left", "Pan left", show=False),
        Binding("shift+right", "scroll_right", "Pan right", show=False),
        Binding("right_square_bracket", "next_edge", "Edge"),
        Binding("f", "fit", "Fit"),
    ]

    class NodeSelected(Message):
        """The selection moved to a node (or to nothing)."""

        def __init__(self, node_id: str | None) -> None:
            super().__init__()
            self.node_id = node_id

    class EdgeSelected(Message):
        """An edge (upstream, downstream) was selected."""

        def __init__(self, edge: tuple[str, str]) -> None:
            super().__init__()
            self.edge = edge

    class NodeMoved(Message):
        """The user dragged a node to a new top-left cell."""

        def __init__(self, node_id: str, x: int, y: int) -> None:
            super().__init__()
            self.node_id = node_id
            self.x = x
            self.y = y

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.picture: Picture | None = None
        self.looks: dict[str, NodeLook] = {}
        self.selected: str | None = None
        self.selected_edge: tuple[str, str] | None = None
        self.marked: str | None = None
        self._strips: dict[int, Strip] = {}
        self._origin: Point = (0, 0)
        self._drag: tuple[str, int, int] | None = None
        self._dragged_to: Point | None = None
        self.compact = False
        """Overview mode: one-row boxes packed close, toggled by `f` on a big graph."""
        self._graph: tuple[Mapping[str, str], list[tuple[str, str]], Mapping[str, Point] | None]
        self._graph = ({}, [], None)

    # -- content ---------------------------------------------------------------------

    def show_graph(
        self,
        nodes: Mapping[str, str],
        edges: Iterable[tuple[str, str]],
        positions: Mapping[str, Point] | None = None,
        problems: Iterable[str] = (),
    ) -> None:
        """Lay out and draw a graph, keeping run states, selection and scroll where they still apply."""
        flagged = set(problems)
        old = self.looks
        self.looks = {
            node_id: NodeLook(
                lang,
                old[node_id].state if node_id in old else None,
                old[node_id].duration_s if node_id in old else None,
                node_id in flagged,
            )
            for node_id, lang in nodes.items()
        }
        self._graph = (nodes, list(edges), positions)
        self._relayout()
        if self.selected not in self.looks:
            self.selected = None
        if self.selected_edge and self.selected_edge not in self.picture_edges():
            self.selected_edge = None
        if self.marked not in self.looks:
            self.marked = None

    def _relayout(self) -> None:
        nodes, edges, positions = self._graph
        layout = layout_graph(nodes, edges, positions, compact=self.compact)
        self._set_picture(Picture(layout, self.looks))

    def picture_edges(self) -> list[tuple[str, str]]:
        return self.picture.edges if self.picture else []

    def _set_picture(self, picture: Picture) -> None:
        self.picture = picture
        self._strips.clear()
        self._update_origin()
        self.refresh()

    def _update_origin(self) -> None:
        if self.picture is None:
            return
        if self._drag is not None:
            # Re-centring under a dragged box would make it jump away from the mouse.
            ox, oy = self._origin
            self.virtual_size = Size(self.picture.width + ox, self.picture.height + oy)
            return
        # Centre a graph smaller than the view; a larger one starts at the top-left.
        ox = max(0, (self.size.width - self.picture.width) // 2)
        oy = max(0, (self.size.height - self.picture.height) // 2)
        if (ox, oy) != self._origin:
            self._origin = (ox, oy)
            self._strips.clear()
        self.virtual_size = Size(self.picture.width + ox, self.picture.height + oy)

    def notify_style_update(self) -> None:
        """A theme or CSS change restyles every cached row."""
        super().notify_style_update()
        self._strips.clear()

    def on_resize(self, event: events.Resize) -> None:
        self._update_origin()
        self.refresh()

    def set_state(
        self, node_id: str, state: NodeStatus | None, duration_s: float | None = None
    ) -> None:
        """Show a node's run state (and duration once it finished)."""
        look = self.looks.get(node_id)
        if look is None or self.picture is None:
            return
        look.state, look.duration_s = state, duration_s
        self._invalidate(self.picture.draw_box(node_id))

    def set_problems(self, node_ids: Iterable[str]) -> None:
        """Flag exactly these nodes as having problems (a `!` on the box, error colour)."""
        flagged = set(node_ids)
        if self.picture is None:
            return
        for node_id, look in self.looks.items():
            if look.problem != (node_id in flagged):
                look.problem = node_id in flagged
                self._invalidate(self.picture.draw_box(node_id))

    def clear_states(self) -> None:
        """Forget every run state (before a new run)."""
        for node_id in list(self.looks):
            self.set_state(node_id, None)

    # -- selection -------------------------------------------------------------------

    def select(self, node_id: str | None, *, scroll: bool = True) -> None:
        """Select a node (None clears), repainting only the rows that change."""
        if self.picture is None or (node_id is not None and node_id not in self.looks):
            return
        changed = self._rows_of(self.selected) | self._rows_of_edge(self.selected_edge)
        self.selected, self.selected_edge = node_id, None
        self._invalidate(changed | self._rows_of(node_id))
        if node_id is not None and scroll:
            self._scroll_to_node(node_id)
        self.post_message(self.NodeSelected(node_id))

    def select_edge(self, edge: tuple[str, str]) -> None:
        """Select one edge; the node selection is cleared."""
        if self.picture is None or edge not in self.picture.edge_cells:
            return
        changed = self._rows_of(self.selected) | self._rows_of_edge(self.selected_edge)
        self.selected, self.selected_edge = None, edge
        self._invalidate(changed | self._rows_of_edge(edge))
        self.post_message(self.EdgeSelected(edge))

    def mark(self, node_id: str | None) -> None:
        """Draw a node with a double border (the source while connecting)."""
        changed = self._rows_of(self.marked) | self._rows_of(node_id)
        self.marked = node_id
        self._invalidate(changed)

    def _rows_of(self, node_id: str | None) -> set[int]:
        if node_id is None or self.picture is None or node_id not in self.picture.layout.boxes:
            return set()
        box = self.picture.layout.boxes[node_id]
        return set(range(box.y, box.bottom))

    def _rows_of_edge(self, edge: tuple[str, str] | None) -> set[int]:
        if edge is None or self.picture is None:
            return set()
        return self.picture.rows_of_edge(edge)

    def _invalidate(self, rows: Iterable[int]) -> None:
        oy = self._origin[1]
        for row in sorted(set(rows)):
            self._strips.pop(row, None)
            self.refresh_lines(row + oy)

    def _scroll_to_node(self, node_id: str) -> None:
        assert self.picture is not None
        box = self.picture.layout.boxes[node_id]
        ox, oy = self._origin
        region = Region(box.x + ox, box.y + oy, box.width, box.height)
        self.scroll_to_region(region.grow((1, 2, 1, 2)), animate=False, immediate=True)

    def action_move(self, direction: Direction) -> None:
        """Move the selection to the nearest box in a direction."""
        if self.picture is None or not self.looks:
            return
        if self.selected is None:
            self.select(next(iter(self.looks)))
            return
        target = neighbour(self.picture.layout, self.selected, direction)
        if target is not None:
            self.select(target)

    def action_next_edge(self) -> None:
        """Cycle through the edges touching the selected node (or all edges)."""
        edges = self.picture_edges()
        anchor = self.selected or (self.selected_edge[1] if self.selected_edge else None)
        if anchor is not None:
            edges = [e for e in edges if anchor in e] or edges
        if not edges:
            return
        index = edges.index(self.selected_edge) + 1 if self.selected_edge in edges else 0
        self.select_edge(edges[index % len(edges)])

    def action_fit(self) -> None:
        """Fit the graph: centre it when it fits, else switch to the compact overview (and
        back again); the selection stays in view."""
        if self.picture is None:
            return
        fits = self.picture.width <= self.size.width and self.picture.height <= self.size.height
        if self.compact or not fits:
            self.compact = not self.compact
            self._relayout()
        else:
            self._update_origin()
            self._strips.clear()
            self.refresh()
        self.border_subtitle = "overview (f: full size)" if self.compact else ""
        if self.selected is not None:
            self._scroll_to_node(self.selected)
        else:
            self.scroll_to(0, 0, animate=False, immediate=True)

    # -- mouse -----------------------------------------------------------------------

    def _cell(self, event: events.MouseEvent) -> Point:
        """The picture cell under the mouse (event offsets include the border)."""
        ox, oy = self._origin
        gutter = self.styles.gutter
        x = event.x - gutter.left + int(self.scroll_x) - ox
        y = event.y - gutter.top + int(self.scroll_y) - oy
        return (x, y)

    def on_mouse_down(self, event: events.MouseDown) -> None:
        if self.picture is None:
            return
        self.focus()
        x, y = self._cell(event)
        node_id = self.picture.layout.box_at(x, y)
        if node_id is not None and self.compact:
            self.select(node_id, scroll=False)  # positions are full-size: no dragging here
            return
        if node_id is not None:
            box = self.picture.layout.boxes[node_id]
            self._drag = (node_id, x - box.x, y - box.y)
            self._dragged_to = None
            self.capture_mouse()
            if node_id != self.selected:
                self.select(node_id, scroll=False)
            return
        edge = self.picture.edge_at(x, y)
        if edge is not None:
            self.select_edge(edge)

    def on_mouse_move(self, event: events.MouseMove) -> None:
        if self._drag is None or self.picture is None:
            return
        node_id, dx, dy = self._drag
        x, y = self._cell(event)
        target = (max(0, x - dx), max(0, y - dy))
        box = self.picture.layout.boxes[node_id]
        if target == (box.x, box.y):
            return
        self._dragged_to = target
        self._set_picture(Picture(self.picture.layout.moved(node_id, *target), self.looks))

    def on_mouse_up(self, event: events.MouseUp) -> None:
        if self._drag is None:
            return
        node_id = self._drag[0]
        self._drag = None
        self.release_mouse()
        if self._dragged_to is not None:
            self.post_message(self.NodeMoved(node_id, *self._dragged_to))
            self._dragged_to = None

    # -- drawing ---------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.size.width
        strip = self.row_strip(y + scroll_y - self._origin[1])
        return strip.crop(scroll_x, scroll_x + width).extend_cell_length(width, self.rich_style)

    @property
    def origin(self) -> Point:
        """Where the picture's top-left corner sits in the widget (it is centred when small)."""
        return self._origin

    @property
    def cached_rows(self) -> frozenset[int]:
        """The picture rows whose strips are cached (a change drops only the rows it touches)."""
        return frozenset(self._strips)

    def row_strip(self, row: int) -> Strip:
        """Picture row `row` as a strip, cached until a change touches it."""
        cached = self._strips.get(row)
        if cached is not None:
            return cached
        base = self.rich_style
        ox = self._origin[0]
        picture = self.picture
        if picture is None or not 0 <= row < picture.height:
            strip = Strip.blank(0, base)
        else:
            strip = Strip(
                row_segments(
                    picture,
                    row,
                    base,
                    ox,
                    selected=self.selected,
                    marked=self.marked,
                    selected_edge=self.selected_edge,
                    style_of=lambda owner: base + self._style_for(picture, owner),
                )
            )
        self._strips[row] = strip
        return strip

    def _style_for(self, picture: Picture, owner: int) -> Style:
        if owner == SELECTED_EDGE:
            return self.get_component_rich_style("graph--edge-selected", partial=True)
        if owner < 0:
            return self.get_component_rich_style("graph--edge", partial=True)
        node_id = picture.node_ids[owner]
        look = self.looks[node_id]
        style = self.get_component_rich_style(STATE_CLASS[look.state], partial=True)
        if look.problem:
            style += self.get_component_rich_style("graph--problem", partial=True)
        if node_id == self.marked:
            style += self.get_component_rich_style("graph--marked", partial=True)
        if node_id == self.selected:
            style += self.get_component_rich_style("graph--selected", partial=True)
        return style
