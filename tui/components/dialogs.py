"""Small modal dialogs: add a node, confirm a question."""

from __future__ import annotations

from typing import ClassVar

from omnix.shared.validation.nodes import NODE_ID
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select


class AddNodeDialog(ModalScreen[tuple[str, str] | None]):
    """Asks for a new node's language and id; dismisses with (id, lang) or None."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, languages: list[str], taken: set[str]) -> None:
        super().__init__()
        self.languages = languages
        self.taken = taken

    def compose(self) -> ComposeResult:
        with Vertical(id="add-node", classes="dialog"):
            yield Label("Add a node", classes="dialog-title")
            yield Label("language")
            yield Select(
                [(lang, lang) for lang in self.languages],
                value=self.languages[0],
                allow_blank=False,
                id="add-lang",
            )
            yield Label("id")
            yield Input(placeholder="e.g. clean_orders", id="add-id")
            yield Label("", id="add-error", classes="error")
            with Horizontal(classes="buttons"):
                yield Button("Add", variant="primary", id="add-ok")
                yield Button("Cancel", id="add-cancel")

    def on_mount(self) -> None:
        self.query_one("#add-id", Input).focus()

    @on(Input.Submitted, "#add-id")
    @on(Button.Pressed, "#add-ok")
    def _confirm(self) -> None:
        node_id = self.query_one("#add-id", Input).value.strip()
        lang = self.query_one("#add-lang", Select).value
        error = self.query_one("#add-error", Label)
        if not NODE_ID.match(node_id):
            error.update("an id is lowercase letters, digits and _, not starting with a digit")
        elif node_id in self.taken:
            error.update(f"'{node_id}' is taken")
        elif isinstance(lang, str):
            self.dismiss((node_id, lang))

    @on(Button.Pressed, "#add-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class ConfirmDialog(ModalScreen[bool]):
    """A yes/no question; `y` or Enter answers yes, `n` or Escape no."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n,escape", "answer(False)", "No"),
    ]

    def __init__(self, question: str, yes: str = "Yes", no: str = "No") -> None:
        super().__init__()
        self.question = question
        self.yes, self.no = yes, no

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm", classes="dialog"):
            yield Label(self.question, classes="dialog-title")
            with Horizontal(classes="buttons"):
                yield Button(f"{self.yes} (y)", variant="error", id="confirm-yes")
                yield Button(f"{self.no} (n)", id="confirm-no")

    def on_mount(self) -> None:
        self.query_one("#confirm-no", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "confirm-yes")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)
