"""The editor in real terminals: over a pseudo-terminal and under tmux, at 80x24, with 256
and with 16 colours, as an SSH session would see it."""

from __future__ import annotations

import fcntl
import os
import re
import select
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from omnix.tui.app import EditorApp
from omnix.tui.document import PipelineDocument
from omnix.tui.palette import SIXTEEN_COLOURS

EDIT = [sys.executable, "-c", "from omnix.tui.cli import main; main()", "edit"]
NO_AGENT = ["--agent", "unix:/nonexistent/agent.sock"]
RIGHT = b"\x1b[C"


def terminal_env(term: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("COLORTERM", "NO_COLOR")}
    env["TERM"] = term
    return env


class TestPalette:
    """The theme follows the number of colours the terminal has."""

    def test_a_16_colour_terminal_gets_the_16_colour_theme(
        self, pipeline_file: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.delenv("COLORTERM", raising=False)
        monkeypatch.setenv("TERM", "xterm-16color")
        app = EditorApp(PipelineDocument.load(pipeline_file))
        assert app.theme == SIXTEEN_COLOURS.name

    def test_a_256_colour_terminal_keeps_the_default_theme(
        self, pipeline_file: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.delenv("COLORTERM", raising=False)
        monkeypatch.setenv("TERM", "xterm-256color")
        app = EditorApp(PipelineDocument.load(pipeline_file))
        assert app.theme != SIXTEEN_COLOURS.name


def read_until_quiet(fd: int, quiet_s: float, limit_s: float) -> bytes:
    """Everything the terminal receives until nothing comes for `quiet_s`."""
    out = b""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], quiet_s)
        if not ready:
            break
        try:
            data = os.read(fd, 65536)
        except OSError:
            break
        if not data:
            break
        out += data
    return out


@pytest.fixture
def pty_editor(pipeline_file: Path) -> Iterator[tuple[int, subprocess.Popen[bytes]]]:
    """`omnix edit` on a pseudo-terminal of 80x24 (its master side and the process)."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    process = subprocess.Popen(
        [*EDIT, str(pipeline_file), *NO_AGENT],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=terminal_env("xterm-256color"),
        start_new_session=True,
    )
    os.close(slave)
    try:
        yield master, process
    finally:
        process.kill()
        process.wait(timeout=10)
        os.close(master)


class TestTerminalOutput:
    """What the editor writes to the terminal."""

    def test_a_selection_move_rewrites_only_the_rows_of_the_boxes(
        self, pty_editor: tuple[int, subprocess.Popen[bytes]]
    ) -> None:
        """An arrow key repaints the rows the two boxes span, not the screen."""
        master, _ = pty_editor
        first = b""
        deadline = time.monotonic() + 60
        while "✔ valid".encode() not in first and time.monotonic() < deadline:
            first += read_until_quiet(master, 0.5, 60)
        first += read_until_quiet(master, 0.5, 10)
        assert b"Quit" in first
        os.write(master, RIGHT)
        # The box highlight comes at once; the inspector follows 80 ms later.
        moved = read_until_quiet(master, 0.05, 5)
        rows = {int(row) for row, _ in re.findall(rb"\x1b\[(\d+);(\d+)H", moved)}
        assert "┃ ○ totals ┃".encode() in moved
        assert rows <= {1, 9, 10, 11}, rows  # the boxes' rows (and the cursor parked at 1)
        assert len(moved) < len(first) / 10


@pytest.fixture
def tmux(require_binary: Callable[[str, str], str], tmp_path: Path) -> Iterator[list[str]]:
    """A private tmux server (its command prefix), killed afterwards."""
    binary = require_binary("tmux", "apt-get install tmux")
    prefix = [binary, "-S", str(tmp_path / "tmux.sock"), "-f", "/dev/null"]
    try:
        yield prefix
    finally:
        subprocess.run([*prefix, "kill-server"], capture_output=True, timeout=10)


def screen(tmux: list[str]) -> str:
    return subprocess.run(
        [*tmux, "capture-pane", "-p", "-t", "edit"],
        capture_output=True,
        text=True,
        timeout=10,
        check=True,
    ).stdout


def pane(tmux: list[str], field: str) -> str:
    """One of tmux's format variables for the editor's pane (e.g. `pane_dead`)."""
    return subprocess.run(
        [*tmux, "display-message", "-p", "-t", "edit", f"#{{{field}}}"],
        capture_output=True,
        text=True,
        timeout=10,
        check=True,
    ).stdout.strip()


def poll(probe: Callable[[], str], seen: Callable[[str], bool], limit_s: float = 30) -> str:
    """`probe()` once `seen` holds for it (tmux has no event to await: poll it)."""
    deadline = time.monotonic() + limit_s
    while True:
        text = probe()
        if seen(text):
            return text
        if time.monotonic() > deadline:
            raise AssertionError(f"not seen in {limit_s:.0f} s; last seen:\n{text}")
        time.sleep(0.1)


def wait_for(tmux: list[str], seen: Callable[[str], bool], limit_s: float = 30) -> str:
    """The screen once `seen` holds for it."""
    return poll(lambda: screen(tmux), seen, limit_s)


class TestUnderTmux:
    """The editor is usable in tmux at 80x24, as over SSH."""

    @pytest.mark.parametrize("term", ["xterm-256color", "xterm-16color"])
    def test_footer_shows_and_keys_work(
        self, tmux: list[str], pipeline_file: Path, term: str
    ) -> None:
        """The footer is on screen, arrows move the selection and q quits."""
        command = " ".join([*EDIT[:2], repr(EDIT[2]), *EDIT[3:], str(pipeline_file), *NO_AGENT])
        subprocess.run(
            [*tmux, "new-session", "-d", "-s", "edit", "-x", "80", "-y", "24",
             f"env -u COLORTERM TERM={term} {command}",
             ";", "set-option", "-w", "-t", "edit", "remain-on-exit", "on"],
            check=True,
            timeout=10,
        )  # fmt: skip
        first = wait_for(tmux, lambda text: "Node extract" in text and "Quit" in text)
        footer = first.splitlines()[23]
        assert "q Quit" in footer and "r Run" in footer
        subprocess.run([*tmux, "send-keys", "-t", "edit", "Right"], check=True, timeout=10)
        moved = wait_for(tmux, lambda text: "Node totals" in text)
        assert "┃ ○ totals ┃" in moved
        subprocess.run([*tmux, "send-keys", "-t", "edit", "q"], check=True, timeout=10)
        # The pane stays after the editor exits (remain-on-exit), so its end can be read.
        poll(lambda: pane(tmux, "pane_dead"), lambda dead: dead == "1")
        assert pane(tmux, "pane_dead_status") == "0"
