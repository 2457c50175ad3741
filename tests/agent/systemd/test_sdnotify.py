"""sd_notify against a real unix datagram socket bound by the test, as systemd binds it."""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from omnix.agent.systemd.notify import (
    READY,
    STOPPING,
    WATCHDOG,
    notify,
    run_watchdog,
    status,
    watchdog_interval,
)


@pytest.fixture
def listener(tmp_path: Path) -> Iterator[tuple[socket.socket, str]]:
    """A bound datagram socket and the NOTIFY_SOCKET value pointing at it."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    path = str(tmp_path / "notify.sock")
    sock.bind(path)
    sock.settimeout(5)
    yield sock, path
    sock.close()


def test_ready_and_status_arrive_as_one_datagram(listener: tuple[socket.socket, str]) -> None:
    sock, path = listener
    assert notify(
        READY, status("listening on\nunix:/run/omnix.sock"), environ={"NOTIFY_SOCKET": path}
    )
    assert sock.recv(4096) == b"READY=1\nSTATUS=listening on unix:/run/omnix.sock"


def test_abstract_namespace_address_is_reached() -> None:
    name = f"omnix-test-{os.getpid()}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind("\0" + name)
        sock.settimeout(5)
        assert notify(STOPPING, environ={"NOTIFY_SOCKET": "@" + name})
        assert sock.recv(4096) == b"STOPPING=1"


@pytest.mark.parametrize("environ", [{}, {"NOTIFY_SOCKET": ""}, {"NOTIFY_SOCKET": "vsock:2:1"}])
def test_without_systemd_notify_is_a_no_op(environ: dict[str, str]) -> None:
    assert notify(READY, environ=environ) is False


def test_socket_that_nobody_listens_on_returns_false(tmp_path: Path) -> None:
    assert notify(READY, environ={"NOTIFY_SOCKET": str(tmp_path / "gone.sock")}) is False


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"WATCHDOG_USEC": "30000000"}, 15.0),
        ({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": str(os.getpid())}, 15.0),
        ({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "1"}, None),
        ({"WATCHDOG_USEC": "0"}, None),
        ({}, None),
    ],
)
def test_watchdog_interval_is_half_the_timeout_for_this_process(
    environ: dict[str, str], expected: float | None
) -> None:
    assert watchdog_interval(environ) == expected


async def test_watchdog_pings_repeatedly_until_cancelled(
    listener: tuple[socket.socket, str],
) -> None:
    sock, path = listener
    sock.setblocking(False)
    environ = {"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "100000"}  # a ping every 50 ms
    task = asyncio.create_task(run_watchdog(environ))
    loop = asyncio.get_running_loop()
    try:
        pings = [await asyncio.wait_for(loop.sock_recv(sock, 4096), timeout=5) for _ in range(3)]
    finally:
        task.cancel()
    assert pings == [WATCHDOG.encode()] * 3
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_watchdog_returns_at_once_when_not_requested() -> None:
    await asyncio.wait_for(run_watchdog({}), timeout=1)
