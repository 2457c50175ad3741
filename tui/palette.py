"""Colours for terminals with only the 16 ANSI colours (old xterms, some SSH setups).

Textual's default theme uses the same orange for the selection and for a running node,
and a 16-colour terminal shows that orange as bright red, the colour of failure. On such
terminals the apps switch to a theme built from the 16 colours themselves: selection
cyan, running yellow, failed red, succeeded green, so each maps to itself.
"""

from __future__ import annotations

from typing import Any

from textual.app import App
from textual.theme import Theme

SIXTEEN_COLOURS = Theme(
    name="omnix-16",
    primary="#5555ff",  # bright blue
    secondary="#0000aa",  # blue
    accent="#55ffff",  # bright cyan: selection and focus
    warning="#ffff55",  # bright yellow: running
    error="#ff5555",  # bright red: failed
    success="#55ff55",  # bright green: succeeded
    foreground="#ffffff",
    background="#000000",
    surface="#000000",
    panel="#555555",
    dark=True,
)
"""Every colour one of the ANSI 16 (as Rich's standard palette defines them)."""


def fit_palette(app: App[Any]) -> None:
    """Use the 16-colour theme when the terminal has no more than 16 colours."""
    if app.console.color_system in ("standard", "windows"):
        app.register_theme(SIXTEEN_COLOURS)
        app.theme = SIXTEEN_COLOURS.name
