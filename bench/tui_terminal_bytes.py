"""Bytes the editor writes to the terminal: the first frame, then one selection move.

Runs `omnix edit` on the example pipeline in a real pseudo-terminal (80x24, or --size),
waits until the screen is drawn and quiet, presses the right arrow once and counts what
comes back: the box highlight at once, the inspector form once the keys stop (80 ms).

    .venv/bin/python bench/tui_terminal_bytes.py [--size 120x40] [--term xterm-16color]
"""

from __future__ import annotations

import argparse
import fcntl
import os
import select
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[1] / "tests" / "tui" / "sales.yaml"
RIGHT = b"\x1b[C"


class Terminal:
    """A child process on a pseudo-terminal of a fixed size; output is read as bytes."""

    def __init__(self, command: list[str], size: tuple[int, int], term: str) -> None:
        self.master, slave = os.openpty()
        columns, rows = size
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
        env = {k: v for k, v in os.environ.items() if k != "COLORTERM"}
        env["TERM"] = term
        self.process = subprocess.Popen(
            command, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True
        )
        os.close(slave)

    def read_until_quiet(self, quiet_s: float, limit_s: float) -> list[tuple[float, bytes]]:
        """Chunks (seconds since the call, bytes) until nothing came for `quiet_s`."""
        start = time.monotonic()
        chunks: list[tuple[float, bytes]] = []
        while time.monotonic() - start < limit_s:
            ready, _, _ = select.select([self.master], [], [], quiet_s)
            if not ready:
                break
            try:
                data = os.read(self.master, 65536)
            except OSError:
                break
            if not data:
                break
            chunks.append((time.monotonic() - start, data))
        return chunks

    def press(self, keys: bytes) -> None:
        os.write(self.master, keys)

    def close(self) -> None:
        """Quit the app (q), then make sure the process is gone."""
        try:
            self.press(b"q")
            self.read_until_quiet(0.3, 5)
            self.process.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            self.process.kill()
            self.process.wait(timeout=10)
        finally:
            os.close(self.master)


def measure(size: tuple[int, int], term: str) -> tuple[int, int, int]:
    """(first frame bytes, bytes within 60 ms of the key, bytes in all after the key)."""
    command = [sys.executable, "-c", "from omnix.tui.cli import main; main()", "edit"]
    command += [str(EXAMPLE)]
    command += ["--agent", "unix:/nonexistent/agent.sock"]
    terminal = Terminal(command, size, term)
    try:
        first: list[tuple[float, bytes]] = []
        deadline = time.monotonic() + 60
        # Drawn and validated: the problems panel says so.
        while "✔ valid".encode() not in b"".join(d for _, d in first):
            if time.monotonic() > deadline:
                raise SystemExit("the editor did not draw its first screen in 60 s")
            first += terminal.read_until_quiet(0.5, 60)
        first += terminal.read_until_quiet(0.5, 10)
        terminal.press(RIGHT)
        after = terminal.read_until_quiet(0.5, 10)
    finally:
        terminal.close()
    frame = sum(len(data) for _, data in first)
    at_once = sum(len(data) for at, data in after if at < 0.06)
    return frame, at_once, sum(len(data) for _, data in after)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--size", default="80x24")
    parser.add_argument("--term", default="xterm-256color")
    args = parser.parse_args()
    columns, rows = (int(n) for n in args.size.split("x"))
    frame, at_once, total = measure((columns, rows), args.term)
    print(f"| {args.size} {args.term} | {frame:,} | {at_once:,} | {total:,} |")


if __name__ == "__main__":
    main()
