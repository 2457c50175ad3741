"""How the editor shows a run's events: states and durations on boxes, logs per node.

The events are the engine's own types (`omnix.shared.events`), delivered through the same
`EditorApp.deliver` the run worker calls for each event it reads from the agent.
"""

from __future__ import annotations

from typing import Any

from omnix.shared.events import NodeLog, NodeStateChanged, RunStateChanged
from omnix.shared.status import NodeStatus, RunStatus
from omnix.tui.app import EditorApp
from omnix.tui.components.log_panel import LogPanel
from textual.pilot import Pilot


async def settle(pilot: Pilot[None]) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def node_event(
    node_id: str, status: NodeStatus, duration: float | None = None, error: str | None = None
) -> NodeStateChanged:
    return NodeStateChanged("run-1", node_id, status, 1, 0.0, duration, error)


def shown(log: LogPanel) -> list[str]:
    """The panel's lines, without the empty line after a final newline."""
    lines = list(log.lines)
    return lines[:-1] if lines and not lines[-1] else lines


async def test_node_states_change_symbol_and_show_durations(editor: EditorApp) -> None:
    async with editor.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        editor.deliver(node_event("extract", NodeStatus.RUNNING))
        await pilot.pause()
        assert "◐ extract" in editor.canvas.picture.text()  # type: ignore[union-attr]
        editor.deliver(node_event("extract", NodeStatus.SUCCEEDED, 0.42))
        editor.deliver(node_event("totals", NodeStatus.FAILED, 1.5, "Binder Error: no column"))
        editor.deliver(node_event("report", NodeStatus.UPSTREAM_FAILED))
        await pilot.pause()
        text = editor.canvas.picture.text()  # type: ignore[union-attr]
        assert "✔ extract" in text and "420ms" in text
        assert "✘ totals" in text and "1.5s" in text
        assert "⊘ report" in text


async def test_the_log_panel_shows_the_selected_nodes_log(editor: EditorApp) -> None:
    async with editor.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        editor.deliver(NodeLog("run-1", "extract", "stdout", "reading\n", 0.0))
        editor.deliver(NodeLog("run-1", "totals", "stdout", "summing\n", 0.0))
        await pilot.pause()
        log = editor.query_one(LogPanel)
        assert log.node_id == "extract"
        assert shown(log) == ["reading"]
        await pilot.press("right")
        assert shown(log) == ["summing"]


async def test_a_flood_of_log_lines_is_coalesced_and_complete(editor: EditorApp) -> None:
    async with editor.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        log = editor.query_one(LogPanel)
        handled = 0
        original = log.write

        def counting(data: str, *args: Any, **kwargs: Any) -> LogPanel:
            nonlocal handled
            handled += 1
            return original(data, *args, **kwargs)

        log.write = counting  # type: ignore[method-assign]
        for i in range(2000):
            editor.deliver(NodeLog("run-1", "extract", "stdout", f"line {i}\n", 0.0))
        await pilot.pause()
        assert len(shown(log)) == 2000
        assert shown(log)[-1] == "line 1999"
        assert handled < 2000 / 10


async def test_a_failed_node_error_lands_in_its_log(editor: EditorApp) -> None:
    async with editor.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        editor.deliver(node_event("extract", NodeStatus.FAILED, 0.1, "ValueError: bad row"))
        await pilot.pause()
        await pilot.pause()
        assert "ValueError: bad row" in shown(editor.query_one(LogPanel))


async def test_run_state_shows_in_the_title_and_switches_run_to_stop(editor: EditorApp) -> None:
    async with editor.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        editor.deliver(RunStateChanged("run-1", RunStatus.RUNNING, 0.0))
        await pilot.pause()
        assert "run running" in editor.sub_title
        assert editor.check_action("cancel_run", ()) is True
        assert editor.check_action("run", ()) is False
        editor.deliver(RunStateChanged("run-1", RunStatus.FAILED, 1.0, "node failed"))
        await pilot.pause()
        assert "run failed (node failed)" in editor.sub_title
        assert editor.check_action("run", ()) is True


async def test_running_an_invalid_pipeline_is_refused(editor: EditorApp) -> None:
    async with editor.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("right", "right", "c", "left", "left", "enter")
        await settle(pilot)
        await pilot.press("r")
        assert editor.run_status is None
        assert any("nothing runs until" in n.message for n in editor._notifications)
