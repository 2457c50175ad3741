"""The progress renderer: plain lines when piped, a redrawn block on a terminal."""

from __future__ import annotations

import io

from omnix.shared.events import NodeLog, NodeStateChanged, RunEvent, RunStateChanged
from omnix.shared.progress import ProgressRenderer
from omnix.shared.status import NodeStatus, RunStatus

EVENTS: list[RunEvent] = [
    RunStateChanged("r1", RunStatus.RUNNING, 100.0),
    NodeStateChanged("r1", "extract", NodeStatus.RUNNING, 1, 100.0),
    NodeLog("r1", "extract", "stdout", "reading sales.csv\nhalf", 100.1),
    NodeLog("r1", "extract", "stdout", "way there\n", 100.2),
    NodeStateChanged("r1", "extract", NodeStatus.SUCCEEDED, 1, 100.3, duration_s=0.3),
    NodeStateChanged("r1", "load", NodeStatus.RUNNING, 1, 100.3),
    NodeStateChanged("r1", "load", NodeStatus.FAILED, 1, 100.4, 0.1, "ValueError: bad row"),
    RunStateChanged("r1", RunStatus.FAILED, 100.5, "failed: load"),
]


def render(tty: bool) -> str:
    out = io.StringIO()
    renderer = ProgressRenderer(out, node_ids=["extract", "load"], tty=tty)
    for event in EVENTS:
        renderer.handle(event)
    renderer.finish()
    return out.getvalue()


def test_piped_output_is_one_plain_line_per_change_and_per_log_line() -> None:
    assert render(tty=False).splitlines() == [
        "run r1 running",
        "▶ extract running",
        "  extract | reading sales.csv",
        "  extract | halfway there",
        "✓ extract succeeded in 0.300s",
        "▶ load running",
        "✗ load failed in 0.100s",
        "  load | ValueError: bad row",
        "run r1 failed in 0.50s (failed: load)",
    ]


def test_a_terminal_gets_one_line_per_node_redrawn_in_place() -> None:
    text = render(tty=True)
    assert "\x1b[3F" in text  # moves back up over the two node lines and the run line
    final_block = text.rsplit("\x1b[3F", 1)[1]
    lines = [line.removeprefix("\x1b[2K") for line in final_block.splitlines()]
    assert lines[0].startswith("✓ extract") and "0.30s" in lines[0]
    assert lines[0].rstrip().endswith("halfway there")
    assert lines[1].startswith("✗ load") and "failed" in lines[1]
    assert lines[2] == "run failed in 0.50s"
    assert text.rstrip().endswith("✗ load failed:\nValueError: bad row")
