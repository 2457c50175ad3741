"""A node's output from a run: a table as a table (its first rows), any other value as JSON.

Opened with `o` on a node of a run. The output is read only as far as the view shows it,
so the first rows of a million-row table appear as fast as those of a small one.
"""

from __future__ import annotations

import json
from typing import ClassVar

from omnix.tui.summaries import AgentError, NodeOutput
from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import DataTable, Footer, Header, Static, TextArea

NULL = Text("null", style="dim italic")
"""How a missing value shows: not the empty string, which is a value."""


def cell(value: object) -> Text | str:
    """One table cell: numbers right-aligned, nulls marked, nested values as JSON."""
    if value is None:
        return NULL
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return Text(repr(value) if isinstance(value, float) else str(value), justify="right")
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def describe(output: NodeOutput) -> str:
    """The line above the output: what is shown of how much."""
    size = _size(output.total_bytes)
    if not output.is_table:
        whole = "" if output.complete else f", its start only ({size} in all)"
        return f"node {output.node_id}: a value{whole}"
    shown = len(output.rows)
    columns = f"{len(output.columns)} column{'s' if len(output.columns) != 1 else ''}"
    if output.row_count is not None and output.row_count == shown:
        return f"node {output.node_id}: {shown:,} rows, {columns}"
    whole = f"of {output.row_count:,}" if output.row_count is not None else f"of a {size} table"
    return (
        f"node {output.node_id}: the first {shown:,} rows {whole}, {columns} "
        "(omnix show RUN --json --outputs has everything)"
    )


def _size(count: int) -> str:
    if count < 1024 * 1024:
        return f"{count / 1024:,.0f} KiB" if count >= 1024 else f"{count} bytes"
    return f"{count / (1024 * 1024):,.1f} MiB"


def open_output(owner: Widget | App[None], agent: str | None, run_id: str, node_id: str) -> None:
    """Read a node's output from the agent in a worker thread, then show it on its own
    screen; a notification says why when it cannot be shown (not kept, no agent)."""

    def read() -> None:
        from omnix.tui.session import AgentSession

        try:
            with AgentSession(agent) as session:
                output = session.output(run_id, node_id)
        except AgentError as exc:
            owner.app.call_from_thread(owner.app.notify, str(exc), severity="warning", timeout=8)
            return
        owner.app.call_from_thread(owner.app.push_screen, OutputScreen(run_id, output))

    owner.run_worker(read, thread=True, exclusive=True, group="output")


class OutputScreen(Screen[None]):
    """One node's output; Escape goes back."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "app.pop_screen", "Back")]

    def __init__(self, run_id: str, output: NodeOutput) -> None:
        super().__init__()
        self.run_id = run_id
        self.output = output

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(describe(self.output), id="output-summary")
        if self.output.is_table:
            table: DataTable[Text | str] = DataTable(id="output-table", zebra_stripes=True)
            table.add_columns(*self.output.columns)
            table.add_rows([tuple(cell(v) for v in row) for row in self.output.rows])
            yield table
        else:
            yield TextArea(self.output.text, id="output-value", read_only=True, language="json")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.sub_title = f"run {self.run_id[:12]} · output of {self.output.node_id}"
        self.query_one("#output-table, #output-value").focus()
