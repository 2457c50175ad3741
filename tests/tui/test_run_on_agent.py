"""`r` runs the edited pipeline on a real agent; the graph and log follow it live."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Protocol

from omnix.shared.events import NodeStateChanged
from omnix.shared.status import NodeStatus, RunStatus
from omnix.tui.app import EditorApp
from omnix.tui.components.log_panel import LogPanel
from omnix.tui.components.run_events import RunEventReceived
from omnix.tui.document import PipelineDocument
from textual.message import Message
from textual.pilot import Pilot


class Agent(Protocol):
    """The `agent` fixture: a real agent process and its address."""

    @property
    def address(self) -> str: ...


PIPELINE = """\
omnix: 1
name: tui-run
nodes:
  - id: numbers
    lang: python
    code: |
      import pandas as pd
      print("making numbers")
      pd.DataFrame({"n": [1, 2, 3]})
  - id: total
    lang: sql
    needs: [numbers]
    code: SELECT SUM(n) AS total FROM numbers
"""

FAILING = """\
omnix: 1
name: tui-fail
nodes:
  - id: broken
    lang: python
    code: |
      raise ValueError("no rows today")
  - id: after
    lang: sql
    needs: [broken]
    code: SELECT 1
"""

SLOW = """\
omnix: 1
name: tui-slow
nodes:
  - id: slow
    lang: python
    code: |
      import time
      print("started", flush=True)
      time.sleep(60)
"""


def editor_on(tmp_path: Path, text: str, agent: Agent) -> EditorApp:
    path = tmp_path / "pipeline.yaml"
    path.write_text(text)
    return EditorApp(PipelineDocument.load(path), agent=agent.address)


async def run_to_the_end(app: EditorApp, pilot: Pilot[None]) -> None:
    await app.workers.wait_for_complete()  # validation first
    await pilot.pause()
    await pilot.press("r")
    await asyncio.wait_for(app.workers.wait_for_complete(), timeout=90)


async def test_a_run_shows_every_node_succeeding(tmp_path: Path, agent: Agent) -> None:
    app = editor_on(tmp_path, PIPELINE, agent)
    async with app.run_test(size=(100, 30)) as pilot:
        await run_to_the_end(app, pilot)
        await pilot.pause()
        assert app.run_status is RunStatus.SUCCEEDED
        looks = app.canvas.looks
        assert looks["numbers"].state is NodeStatus.SUCCEEDED
        assert looks["total"].state is NodeStatus.SUCCEEDED
        assert looks["total"].duration_s is not None
        assert "✔ numbers" in app.canvas.picture.text()  # type: ignore[union-attr]
        assert "making numbers" in app.query_one(LogPanel).buffers.text("numbers")


async def test_a_failing_node_marks_downstream_and_logs_the_error(
    tmp_path: Path, agent: Agent
) -> None:
    app = editor_on(tmp_path, FAILING, agent)
    async with app.run_test(size=(100, 30)) as pilot:
        await run_to_the_end(app, pilot)
        await pilot.pause()
        assert app.run_status is RunStatus.FAILED
        assert app.canvas.looks["broken"].state is NodeStatus.FAILED
        assert app.canvas.looks["after"].state is NodeStatus.UPSTREAM_FAILED
        assert "no rows today" in app.query_one(LogPanel).buffers.text("broken")


async def test_x_cancels_the_run(tmp_path: Path, agent: Agent) -> None:
    running = asyncio.Event()

    def hook(message: Message) -> None:
        if (
            isinstance(message, RunEventReceived)
            and isinstance(message.event, NodeStateChanged)
            and message.event.status is NodeStatus.RUNNING
        ):
            running.set()

    app = editor_on(tmp_path, SLOW, agent)
    async with app.run_test(size=(100, 30), message_hook=hook) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("r")
        await asyncio.wait_for(running.wait(), timeout=60)
        await pilot.press("x")
        await asyncio.wait_for(app.workers.wait_for_complete(), timeout=60)
        await pilot.pause()
        assert app.run_status is RunStatus.CANCELLED
        assert app.canvas.looks["slow"].state is NodeStatus.CANCELLED


async def test_an_unreachable_agent_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "pipeline.yaml"
    path.write_text(PIPELINE)
    app = EditorApp(PipelineDocument.load(path), agent=f"unix:{tmp_path / 'none.sock'}")
    async with app.run_test(size=(100, 30)) as pilot:
        await run_to_the_end(app, pilot)
        await pilot.pause()
        assert any("no agent answers" in n.message for n in app._notifications)
