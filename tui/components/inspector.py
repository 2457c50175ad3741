"""The inspector: the selected node's fields, editable in place."""

from __future__ import annotations

from typing import Any

from omnix.shared.pipeline import BUILTIN_LANGUAGES, known_languages
from textual import on
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Input, Label, Select, Static


class Inspector(VerticalScroll):
    """Shows a node's id, language, needs, retries, timeout and requires; Enter applies a field."""

    class FieldChanged(Message):
        """The user changed one field of a node (value already parsed)."""

        def __init__(self, node_id: str, field: str, value: Any) -> None:
            super().__init__()
            self.node_id = node_id
            self.field = field
            self.value = value

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.node_id: str | None = None
        self._filling = False
        # Built-ins now; plugin languages (an entry-point scan, tens of milliseconds) join
        # after the first frame.
        self._languages = set(BUILTIN_LANGUAGES)

    def compose(self) -> ComposeResult:
        yield Static("Nothing selected", id="inspector-title")
        yield Label("id")
        yield Input(id="field-id", placeholder="node id")
        yield Label("lang")
        options = [(lang, lang) for lang in sorted(self._languages)]
        yield Select(options, id="field-lang", allow_blank=True)
        yield Label("needs")
        yield Static("", id="field-needs")
        yield Label("retries")
        yield Input(id="field-retries", type="integer", placeholder="(no retries)")
        yield Label("timeout (s)")
        yield Input(id="field-timeout", type="number", placeholder="(no timeout)")
        yield Label("requires")
        yield Input(id="field-requires", placeholder="(any agent) e.g. gpu, eu")

    def on_mount(self) -> None:
        self.call_after_refresh(self._add_plugin_languages)

    def _add_plugin_languages(self) -> None:
        plugins = known_languages() - self._languages
        if plugins:
            self._languages |= plugins
            lang = self.query_one("#field-lang", Select)
            value = lang.value
            self._filling = True  # putting the shown value back is not an edit
            lang.set_options([(x, x) for x in sorted(self._languages)])
            lang.value = value
            self.call_after_refresh(self._done_filling)

    def show_node(self, node_id: str, fields: dict[str, Any], needs: list[str]) -> None:
        """Fill the form with a node's current values."""
        self.node_id = node_id
        self._filling = True
        self.query_one("#inspector-title", Static).update(f"Node [b]{node_id}[/b]")
        self.query_one("#field-id", Input).value = node_id
        lang = self.query_one("#field-lang", Select)
        value = fields.get("lang")
        if isinstance(value, str) and value not in self._languages:
            # An unknown language stays selectable, so the form shows what the file says.
            self._languages.add(value)
            lang.set_options([(x, x) for x in sorted(self._languages)])
        lang.value = value if isinstance(value, str) else Select.NULL
        self.query_one("#field-needs", Static).update(", ".join(needs) or "—")
        self.query_one("#field-retries", Input).value = _text(fields.get("retries"))
        self.query_one("#field-timeout", Input).value = _text(fields.get("timeout"))
        requires = fields.get("requires")
        shown = ", ".join(map(str, requires)) if isinstance(requires, list) else _text(requires)
        self.query_one("#field-requires", Input).value = shown
        self.disabled = False
        self.call_after_refresh(self._done_filling)

    def show_edge(self, edge: tuple[str, str]) -> None:
        """Describe a selected edge instead of a node."""
        self.node_id = None
        self.query_one("#inspector-title", Static).update(
            f"Edge [b]{edge[0]}[/b] → [b]{edge[1]}[/b]\n(d removes it)"
        )
        self.disabled = True

    def clear(self) -> None:
        self.node_id = None
        self.query_one("#inspector-title", Static).update("Nothing selected")
        self.disabled = True

    def _done_filling(self) -> None:
        self._filling = False

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self.node_id is None or event.input.id is None:
            return
        field = event.input.id.removeprefix("field-")
        text = event.value.strip()
        value: Any
        if field in ("retries", "timeout"):
            if not text:
                value = None
            else:
                number = float(text)
                value = int(number) if field == "retries" or number.is_integer() else number
        elif field == "requires":
            value = [tag.strip() for tag in text.split(",") if tag.strip()] or None
        else:
            value = text
        self.post_message(self.FieldChanged(self.node_id, field, value))

    @on(Select.Changed, "#field-lang")
    def _language_changed(self, event: Select.Changed) -> None:
        event.stop()
        if self._filling or self.node_id is None or not isinstance(event.value, str):
            return
        self.post_message(self.FieldChanged(self.node_id, "lang", event.value))


def _text(value: Any) -> str:
    return "" if value is None else str(value)
