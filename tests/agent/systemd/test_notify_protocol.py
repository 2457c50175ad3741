"""A real `omnix-agent serve` speaks the Type=notify protocol the units rely on.

The test plays systemd: it binds the notify socket, starts the agent with NOTIFY_SOCKET,
WATCHDOG_USEC and JOURNAL_STREAM set as systemd sets them, and reads what arrives.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

AGENT = [sys.executable, "-c", "from omnix.agent.cli import main; main()"]
WAIT_S = 5  # bound on every wait; a cold agent start is well under that


@pytest.fixture
def notify_socket(tmp_path: Path) -> Iterator[tuple[socket.socket, str]]:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    path = str(tmp_path / "notify.sock")
    sock.bind(path)
    sock.settimeout(WAIT_S)
    yield sock, path
    sock.close()


def receive_until(sock: socket.socket, wanted: str) -> list[str]:
    """Datagrams up to and including the first containing `wanted` (bounded by the timeout)."""
    seen: list[str] = []
    while not any(wanted in message for message in seen):
        seen.append(sock.recv(4096).decode())
    return seen


def test_agent_reports_ready_pings_the_watchdog_and_reports_stopping(
    notify_socket: tuple[socket.socket, str], tmp_path: Path
) -> None:
    sock, path = notify_socket
    stderr_path = tmp_path / "stderr"
    with stderr_path.open("w") as stderr:
        stat = os.fstat(stderr.fileno())
        env = {
            **os.environ,
            "NOTIFY_SOCKET": path,
            "WATCHDOG_USEC": "200000",  # a ping every 100 ms
            "JOURNAL_STREAM": f"{stat.st_dev}:{stat.st_ino}",
        }
        agent = subprocess.Popen(
            [*AGENT, "serve", "--state-dir", str(tmp_path / "state")], env=env, stderr=stderr
        )
        try:
            ready = receive_until(sock, "READY=1")
            pings = [receive_until(sock, "WATCHDOG=1") for _ in range(2)]
            agent.send_signal(signal.SIGTERM)
            stopping = receive_until(sock, "STOPPING=1")
            assert agent.wait(timeout=WAIT_S) == 0
        finally:
            if agent.poll() is None:
                agent.kill()
                agent.wait(timeout=WAIT_S)
    assert "STATUS=serving on unix:" in ready[-1]
    assert all(batch[-1] == "WATCHDOG=1" for batch in pings)
    assert "STOPPING=1" in stopping[-1]
    lines = stderr_path.read_text().splitlines()
    assert any(line.startswith("<6>omnix.agent: serving on unix:") for line in lines), lines
