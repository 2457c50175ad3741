"""TUI start-up: `omnix edit FILE` and `omnix` (home) from process start to first frame.

Each start is a fresh interpreter that builds the app headless at 80x24 and reports the
moment its first frame is drawn; the floor is `python -c pass`. CPU time (user + system)
is reported too: on a shared machine it varies less than wall time.

    .venv/bin/python bench/tui_startup.py [--python PATH] [--repeat N]

`--python` times another install (e.g. an older checkout's venv) with the same script.
The home view talks to a real agent started here on a temporary unix socket.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[1] / "tests" / "tui" / "sales.yaml"

FIRST_FRAME = """
import sys, time
def report(app):
    app.call_after_refresh(lambda: (print(time.time(), flush=True), app.exit()))
"""

EDITOR = (
    FIRST_FRAME
    + """
import omnix.tui.cli.edit
from omnix.tui.app import EditorApp
from omnix.tui.document import PipelineDocument
app = EditorApp(PipelineDocument.load(sys.argv[1]))
app.call_later(report, app)
app.run(headless=True, size=(80, 24))
"""
)

HOME = (
    FIRST_FRAME
    + """
import omnix.tui.cli
from omnix.tui.home import HomeApp
app = HomeApp(sys.argv[1])
app.call_later(report, app)
app.run(headless=True, size=(80, 24))
"""
)


def timed(command: list[str]) -> tuple[float, float, float]:
    """(ms to first frame or exit, ms to exit, CPU ms) of one run of `command`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.time()
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    end = time.time()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    frame = float(out.split()[0]) if out.strip() else end
    return (frame - start) * 1000, (end - start) * 1000, cpu * 1000


def row(label: str, command: list[str], repeat: int, floor: float | None) -> float:
    runs = [timed(command) for _ in range(repeat)]
    first = [r[0] for r in runs]
    best, median = min(first), statistics.median(first)
    cpu = statistics.median(r[2] for r in runs)
    ratio = f"{best / floor:.1f}" if floor else "1.0"
    print(f"| {label} | {best:.0f} | {median:.0f} | {cpu:.0f} | {ratio} |")
    return best


def start_agent(python: str) -> tuple[subprocess.Popen[bytes], Path]:
    state = Path(tempfile.mkdtemp(prefix="oxbench", dir="/tmp"))
    agent = subprocess.Popen(
        [python, "-m", "omnix.agent", "serve", "--state-dir", str(state)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while not (state / "agent.sock").exists():
        if time.monotonic() > deadline or agent.poll() is not None:
            agent.kill()
            raise SystemExit("the agent did not start")
        time.sleep(0.05)
    return agent, state


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args()
    python = args.python
    agent, state = start_agent(python)
    try:
        print(f"load average at start: {os.getloadavg()[0]:.1f}")
        print("| start-up (to first frame) | best ms | median ms | CPU ms | ratio |")
        print("|---|---:|---:|---:|---:|")
        floor = row("`python -c pass`", [python, "-c", "pass"], args.repeat, None)
        row("`omnix edit sales.yaml`", [python, "-c", EDITOR, str(EXAMPLE)], args.repeat, floor)
        home = [python, "-c", HOME, f"unix:{state / 'agent.sock'}"]
        row("`omnix` (home)", home, args.repeat, floor)
    finally:
        agent.send_signal(signal.SIGTERM)
        try:
            agent.wait(timeout=15)
        except subprocess.TimeoutExpired:
            agent.kill()
            agent.wait()
        shutil.rmtree(state, ignore_errors=True)


if __name__ == "__main__":
    main()
