"""TUI benchmark: graph layout, selection-move redraw, and editor start-up time.

Run: .venv/bin/python bench/tui_editor.py   (prints a Markdown table for docs/benchmarks.md)
"""

from __future__ import annotations

import asyncio
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from omnix.tui.app import EditorApp
from omnix.tui.document import PipelineDocument
from omnix.tui.drawing import NodeLook, Picture
from omnix.tui.layout import Direction, layout_graph

SIZES = (50, 200, 500)


def random_pipeline(size: int, seed: int = 1) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """A DAG shaped like real pipelines: mostly short hops, some fan-in from far back."""
    rng = random.Random(seed)
    ids = [f"node_{i}" for i in range(size)]
    edges: list[tuple[str, str]] = []
    for i in range(1, size):
        for _ in range(rng.randint(1, 2)):
            edges.append((ids[rng.randrange(max(0, i - 15), i)], ids[i]))
    langs = ("python", "sql", "javascript")
    return {node_id: langs[i % 3] for i, node_id in enumerate(ids)}, edges


def pipeline_text(size: int) -> str:
    nodes, edges = random_pipeline(size)
    needs: dict[str, list[str]] = {n: [] for n in nodes}
    for u, v in edges:
        if u not in needs[v]:
            needs[v].append(u)
    lines = ["omnix: 1", f"name: bench-{size}", "nodes:"]
    for node_id, lang in nodes.items():
        lines += [f"  - id: {node_id}", f"    lang: {lang}"]
        if needs[node_id]:
            lines.append(f"    needs: [{', '.join(needs[node_id])}]")
        lines.append("    code: '1'" if lang != "sql" else "    code: SELECT 1")
    return "\n".join(lines) + "\n"


def best_ms(function: Callable[[], object], repeat: int = 9) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append((time.perf_counter() - start) * 1000)
    return min(times)


def bench_layout(size: int) -> tuple[float, float]:
    nodes, edges = random_pipeline(size)
    layout_ms = best_ms(lambda: layout_graph(nodes, edges))
    layout = layout_graph(nodes, edges)
    draw_ms = best_ms(lambda: Picture(layout, {n: NodeLook(lang) for n, lang in nodes.items()}))
    return layout_ms, draw_ms


async def bench_selection(size: int) -> tuple[float, float, float]:
    """Median ms to move the selection and re-render what changed; per key via Pilot; and
    per unbound key via Pilot (the floor: Pilot's own round trip)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.yaml"
        path.write_text(pipeline_text(size))
        app = EditorApp(PipelineDocument.load(path))
        async with app.run_test(size=(120, 40)) as pilot:
            await app.workers.wait_for_complete()
            await pilot.pause()
            canvas = app.canvas
            direct: list[float] = []
            for step in range(40):
                direction: Direction = "down" if step % 10 < 5 else "right"
                start = time.perf_counter()
                canvas.action_move(direction)
                # Render every visible line, as the compositor would after scrolling.
                for y in range(canvas.size.height):
                    canvas.render_line(y)
                direct.append((time.perf_counter() - start) * 1000)
            keyed: list[float] = []
            for step in range(20):
                start = time.perf_counter()
                await pilot.press("up" if step % 2 else "down")
                keyed.append((time.perf_counter() - start) * 1000)
            floor: list[float] = []
            for _ in range(20):
                start = time.perf_counter()
                await pilot.press("z")  # bound to nothing
                floor.append((time.perf_counter() - start) * 1000)
    return statistics.median(direct), statistics.median(keyed), statistics.median(floor)


def start_ms(command: list[str], repeat: int = 7) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        times.append((time.perf_counter() - start) * 1000)
    return min(times)


EDITOR_START = """
import sys
from omnix.tui.app import EditorApp
from omnix.tui.document import PipelineDocument
app = EditorApp(PipelineDocument.load(sys.argv[1]))
app.call_after_refresh(lambda: app.call_after_refresh(app.exit))
app.run(headless=True, size=(80, 24))
"""


def main() -> None:
    print(
        "| nodes | layout ms | draw ms | select + redraw ms "
        "| arrow key via Pilot ms | unbound key via Pilot ms (floor) | ratio |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for size in SIZES:
        layout_ms, draw_ms = bench_layout(size)
        direct_ms, keyed_ms, floor_ms = asyncio.run(bench_selection(size))
        print(
            f"| {size} | {layout_ms:.1f} | {draw_ms:.1f} | {direct_ms:.2f} "
            f"| {keyed_ms:.1f} | {floor_ms:.1f} | {keyed_ms / floor_ms:.2f} |"
        )
    example = Path(__file__).resolve().parents[1] / "tests" / "tui" / "sales.yaml"
    floor = start_ms([sys.executable, "-c", "pass"])
    editor = start_ms([sys.executable, "-c", EDITOR_START, str(example)])
    print()
    print("| start-up | ms | ratio |")
    print("|---|---:|---:|")
    print(f"| `python -c pass` | {floor:.0f} | 1.0 |")
    print(f"| editor to first frame and exit | {editor:.0f} | {editor / floor:.1f} |")


if __name__ == "__main__":
    main()
