"""SVG snapshots of the editor: what a user sees at common terminal sizes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from omnix.shared.events import NodeStateChanged
from omnix.shared.status import NodeStatus
from omnix.tui.app import EditorApp
from omnix.tui.document import PipelineDocument
from textual.pilot import Pilot
from textual.widgets import Input

SnapCompare = Callable[..., bool]


@pytest.fixture
def relative_editor(pipeline_file: Path, monkeypatch: pytest.MonkeyPatch) -> EditorApp:
    """The editor on `sales.yaml` by a relative path, so titles do not name a temp folder."""
    monkeypatch.chdir(pipeline_file.parent)
    return EditorApp(PipelineDocument.load(Path(pipeline_file.name)))


async def settled(pilot: Pilot[None]) -> None:
    """Validation done and cursors frozen, so every run draws the same frame."""
    await pilot.app.workers.wait_for_complete()
    for field in pilot.app.query(Input):
        field.cursor_blink = False
    await pilot.pause()


@pytest.fixture
def monochrome_editor(pipeline_file: Path, monkeypatch: pytest.MonkeyPatch) -> EditorApp:
    """The editor as NO_COLOR users see it."""
    monkeypatch.chdir(pipeline_file.parent)
    monkeypatch.setenv("NO_COLOR", "1")
    return EditorApp(PipelineDocument.load(Path(pipeline_file.name)))


class TestEditorSnapshots:
    """The editor screen as drawn, at the smallest and a roomy terminal."""

    def test_editor_at_80x24(self, snap_compare: SnapCompare, relative_editor: EditorApp) -> None:
        """The example pipeline fits an 80x24 terminal."""
        assert snap_compare(relative_editor, terminal_size=(80, 24), run_before=settled)

    def test_editor_at_120x40(self, snap_compare: SnapCompare, relative_editor: EditorApp) -> None:
        """A roomy terminal centres the graph."""
        assert snap_compare(relative_editor, terminal_size=(120, 40), run_before=settled)

    def test_cycle_at_120x40(self, snap_compare: SnapCompare, relative_editor: EditorApp) -> None:
        """A cycle flags its nodes and lists the problem."""

        async def make_cycle(pilot: Pilot[None]) -> None:
            await settled(pilot)
            await pilot.press("right", "right", "c", "left", "left", "enter")
            await settled(pilot)
            pilot.app.clear_notifications()
            await pilot.pause()

        assert snap_compare(relative_editor, terminal_size=(120, 40), run_before=make_cycle)

    def test_run_states_without_colour_at_80x24(
        self, snap_compare: SnapCompare, monochrome_editor: EditorApp
    ) -> None:
        """With NO_COLOR, run states still read from their symbols and the selection from
        its heavy border."""

        async def mid_run(pilot: Pilot[None]) -> None:
            await settled(pilot)
            app = pilot.app
            assert isinstance(app, EditorApp)
            app.deliver(NodeStateChanged("r1", "extract", NodeStatus.SUCCEEDED, 1, 0.0, 0.31))
            app.deliver(NodeStateChanged("r1", "totals", NodeStatus.FAILED, 1, 0.0, 2.5))
            app.deliver(NodeStateChanged("r1", "report", NodeStatus.UPSTREAM_FAILED, 1, 0.0))
            await pilot.press("right")
            await pilot.pause()

        assert snap_compare(monochrome_editor, terminal_size=(80, 24), run_before=mid_run)
