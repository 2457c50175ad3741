"""The layered layout: left-to-right layers, no overlaps, routes that reach their boxes."""

from __future__ import annotations

import itertools
import random

from omnix.tui.drawing import NodeLook, Picture
from omnix.tui.layout import GraphLayout, layout_graph, neighbour

CHAIN = {"extract": "python", "totals": "sql", "report": "javascript"}
CHAIN_EDGES = [("extract", "totals"), ("totals", "report")]


def random_dag(size: int, seed: int = 7) -> tuple[dict[str, str], list[tuple[str, str]]]:
    rng = random.Random(seed)
    ids = [f"n{i}" for i in range(size)]
    edges = [(ids[rng.randrange(max(0, i - 12), i)], ids[i]) for i in range(1, size)]
    edges += [(ids[rng.randrange(0, i)], ids[i]) for i in range(1, size, 3)]
    return dict.fromkeys(ids, "python"), edges


def assert_no_overlaps(layout: GraphLayout) -> None:
    for (a, box_a), (b, box_b) in itertools.combinations(layout.boxes.items(), 2):
        apart = (
            box_a.right <= box_b.x
            or box_b.right <= box_a.x
            or box_a.bottom <= box_b.y
            or box_b.bottom <= box_a.y
        )
        assert apart, (a, b)


def test_a_chain_runs_left_to_right_on_one_row() -> None:
    layout = layout_graph(CHAIN, CHAIN_EDGES)
    boxes = [layout.boxes[n] for n in CHAIN]
    assert [box.layer for box in boxes] == [0, 1, 2]
    assert boxes[0].right < boxes[1].x < boxes[1].right < boxes[2].x
    assert len({box.y for box in boxes}) == 1


def test_layers_follow_the_longest_path() -> None:
    layout = layout_graph(
        CHAIN | {"side": "r"}, [*CHAIN_EDGES, ("extract", "side"), ("side", "report")]
    )
    assert layout.boxes["report"].layer == 2
    assert layout.boxes["side"].layer == 1


def test_boxes_never_overlap_in_a_large_graph() -> None:
    nodes, edges = random_dag(120)
    assert_no_overlaps(layout_graph(nodes, edges))


def test_every_route_starts_at_its_source_and_ends_beside_its_target() -> None:
    nodes, edges = random_dag(60)
    layout = layout_graph(nodes, edges)
    for (u, v), route in layout.routes.items():
        assert route.points[0] == (layout.boxes[u].right, layout.boxes[u].middle)
        assert route.points[-1] == (layout.boxes[v].x - 1, layout.boxes[v].middle)
        for (ax, ay), (bx, by) in itertools.pairwise(route.points):
            assert ax == bx or ay == by, "routes are orthogonal"


def test_a_cycle_is_still_laid_out_and_drawn() -> None:
    layout = layout_graph({"a": "go", "b": "go"}, [("a", "b"), ("b", "a")])
    assert set(layout.routes) == {("a", "b"), ("b", "a")}
    text = Picture(layout, {n: NodeLook("go") for n in "ab"}).text()
    assert text.count("▶") == 2


def test_user_positions_override_the_layout() -> None:
    layout = layout_graph(CHAIN, CHAIN_EDGES, positions={"totals": (40, 12)})
    assert (layout.boxes["totals"].x, layout.boxes["totals"].y) == (40, 12)
    assert layout.routes[("totals", "report")].points[0] == (layout.boxes["totals"].right, 13)


def test_moving_a_box_re_routes_only_its_edges() -> None:
    nodes, edges = random_dag(30)
    layout = layout_graph(nodes, edges)
    moved = layout.moved("n5", 3, 90)
    for key, route in layout.routes.items():
        if "n5" not in key:
            assert moved.routes[key] == route
    assert moved.height > 90


def test_crossing_reduction_untangles_a_swapped_pair() -> None:
    # File order puts b1 above a1 while a feeds a1: barycenters swap them back.
    nodes = dict.fromkeys(["a", "b", "b1", "a1"], "sql")
    layout = layout_graph(nodes, [("a", "a1"), ("b", "b1")])
    assert (layout.boxes["a"].y < layout.boxes["b"].y) == (
        layout.boxes["a1"].y < layout.boxes["b1"].y
    )


def test_neighbour_follows_the_arrow_keys() -> None:
    layout = layout_graph(CHAIN, CHAIN_EDGES)
    assert neighbour(layout, "extract", "right") == "totals"
    assert neighbour(layout, "totals", "left") == "extract"
    assert neighbour(layout, "extract", "left") is None


def test_the_drawing_shows_ids_languages_and_state_symbols() -> None:
    layout = layout_graph(CHAIN, CHAIN_EDGES)
    text = Picture(layout, {n: NodeLook(lang) for n, lang in CHAIN.items()}).text()
    assert "○ extract" in text and "┌ sql" in text and "─▶│" in text


def test_a_hub_sits_level_with_the_middle_of_its_children() -> None:
    children = [f"c{i}" for i in range(9)]
    layout = layout_graph(
        {"hub": "sql"} | dict.fromkeys(children, "sql"), [("hub", c) for c in children]
    )
    rows = sorted(layout.boxes[c].middle for c in children)
    assert abs(layout.boxes["hub"].middle - (rows[0] + rows[-1]) / 2) <= 1


def test_a_long_chain_stays_one_box_high() -> None:
    ids = [f"s{i}" for i in range(30)]
    layout = layout_graph(dict.fromkeys(ids, "go"), list(itertools.pairwise(ids)))
    assert layout.height <= 5
