"""sd_notify for `Type=notify` units: readiness, status, watchdog and stopping messages.

systemd passes a unix datagram socket in NOTIFY_SOCKET (a path, or `@name` for the
abstract namespace); each message is a datagram of newline-separated `KEY=value` lines.
Outside systemd (no NOTIFY_SOCKET) every call is a no-op returning False, so the agent
calls these unconditionally.

    notify(READY, status("listening on unix:/run/omnix/agent.sock"))
    watchdog_task = asyncio.create_task(run_watchdog())   # if WatchdogSec= is set
    ...
    notify(STOPPING)
"""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import Callable, Mapping

READY = "READY=1"
STOPPING = "STOPPING=1"
RELOADING = "RELOADING=1"
WATCHDOG = "WATCHDOG=1"


def status(text: str) -> str:
    """A STATUS= line, shown by `systemctl status` (one line: newlines become spaces)."""
    return "STATUS=" + " ".join(text.splitlines())


def notify(*lines: str, environ: Mapping[str, str] = os.environ) -> bool:
    """Send `lines` as one message to systemd; False when not under systemd or it failed."""
    address = environ.get("NOTIFY_SOCKET", "")
    if address.startswith("@"):
        address = "\0" + address[1:]  # abstract namespace
    elif not address.startswith("/"):
        return False  # unset, or a transport (vsock) the agent does not need
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
        # Never block the event loop on a full queue: a lost ping is better than a stall.
        sock.setblocking(False)
        try:
            sock.sendto("\n".join(lines).encode(), address)
        except OSError:
            return False
    return True


def watchdog_interval(environ: Mapping[str, str] = os.environ) -> float | None:
    """Seconds between watchdog pings (half of WATCHDOG_USEC), or None when not asked."""
    usec = environ.get("WATCHDOG_USEC", "")
    pid = environ.get("WATCHDOG_PID", "")
    if not usec.isdigit() or int(usec) == 0 or (pid and pid != str(os.getpid())):
        return None
    return int(usec) / 2_000_000


async def run_watchdog(
    environ: Mapping[str, str] = os.environ,
    send: Callable[..., bool] = notify,
) -> None:
    """Ping the watchdog at half its timeout until cancelled; returns at once if none is set.

    It runs on the event loop on purpose: a blocked loop stops the pings and systemd
    restarts the agent.
    """
    interval = watchdog_interval(environ)
    if interval is None:
        return
    while True:
        send(WATCHDOG, environ=environ)
        await asyncio.sleep(interval)
