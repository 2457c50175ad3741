"""What every client command shares: the `--agent` option, connecting, and turning gRPC
errors into one line a person can act on (exit 2), never a traceback."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, NoReturn, TypeVar

import click
import grpc
from omnix.shared.cli import EXIT_UNREACHABLE
from omnix.shared.client import AgentClient, AgentUnreachable, connect, describe_rpc_error

F = TypeVar("F", bound=Callable[..., Any])


def agent_option(function: F) -> F:
    """`--agent ADDR`: unix:/path or host:port (default: $OMNIX_AGENT, config, local agent)."""
    return click.option(
        "--agent",
        "--remote",
        "agent",
        metavar="ADDR",
        help="Agent address: unix:/path, host:port, ssh://user@host[/socket], or the name of "
        "a [remotes.NAME] in the client config (default: $OMNIX_AGENT, config, local).",
    )(function)


def report_link(state: str) -> None:
    """Print an SSH link's state (lost, reconnecting, reconnected) on stderr."""
    click.echo(f"omnix: {state}", err=True)


def fail(message: str, code: int = 2) -> NoReturn:
    """Print `omnix: message` on stderr and exit with `code`."""
    click.echo(f"omnix: {message}", err=True)
    sys.exit(code)


@contextmanager
def agent_client(agent: str | None) -> Iterator[AgentClient]:
    """A connected client; any failure to reach or use the agent exits with one line."""
    try:
        with connect(agent) as client:
            yield client
    except AgentUnreachable as exc:
        fail(str(exc), EXIT_UNREACHABLE)
    except grpc.RpcError as exc:
        fail(f"the agent refused: {describe_rpc_error(exc)}")
