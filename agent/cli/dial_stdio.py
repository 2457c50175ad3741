"""`omnix-agent dial-stdio`: join stdin and stdout to the agent's unix socket.

What an `ssh://` client runs on the server for each connection (omnix.shared.remote.ssh):
the bytes of one gRPC connection, carried by the SSH session, to the local agent.
"""

from __future__ import annotations

import contextlib
import os
import socket
import sys
import threading
from pathlib import Path

import click
from omnix.shared.paths import default_state_dir, socket_path

CHUNK = 256 * 1024


@click.command("dial-stdio")
@click.option(
    "--socket",
    "socket_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="The agent's socket (default: this user's agent, in the default state dir).",
)
def command(socket_file: Path | None) -> None:
    """Copy stdin to the agent's socket and the socket to stdout, until either ends."""
    path = socket_file or socket_path(default_state_dir())
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        conn.connect(str(path))
    except OSError as exc:
        click.echo(f"omnix-agent dial-stdio: no agent answers at {path}: {exc}", err=True)
        sys.exit(2)

    def upstream() -> None:
        try:
            while data := os.read(0, CHUNK):
                conn.sendall(data)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_WR)

    threading.Thread(target=upstream, daemon=True).start()
    try:
        while data := conn.recv(CHUNK):
            os.write(1, data)
    except OSError:
        pass
