"""What the `omnix-agent` commands that talk to a running agent share: `--address`,
`--state-dir`, `--config`, connecting (the state dir's socket by default, where the agent's
own OS user is its Owner), and one line instead of a traceback when a call fails."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, NoReturn, TypeVar

import click
import grpc
from omnix.agent.config import load_config, resolve_state_dir
from omnix.agent.errors import ConfigError
from omnix.shared.cli import EXIT_INVALID, EXIT_UNREACHABLE
from omnix.shared.client import AgentAddress, AgentClient, AgentUnreachable, describe_rpc_error
from omnix.shared.paths import socket_path

F = TypeVar("F", bound=Callable[..., Any])


def agent_options(function: F) -> F:
    """`--address`, `--state-dir` and `--config`."""
    for option in (
        click.option(
            "--config", "config_path", type=click.Path(dir_okay=False), help="TOML config."
        ),
        click.option("--state-dir", help="The agent's state dir (its socket is the default)."),
        click.option(
            "--address",
            help="unix:/path or host:port (default: the state dir's socket); TCP needs "
            "$OMNIX_TOKEN.",
        ),
    ):
        function = option(function)
    return function


def fail(message: str, code: int = EXIT_INVALID) -> NoReturn:
    """Print `omnix-agent: message` on stderr and exit with `code`."""
    click.echo(f"omnix-agent: {message}", err=True)
    sys.exit(code)


@contextmanager
def running_agent(
    address: str | None, state_dir: str | None, config_path: str | None
) -> Iterator[AgentClient]:
    """A client of the running agent; failures exit with one line."""
    try:
        state = resolve_state_dir(state_dir, load_config(config_path))
    except ConfigError as exc:
        fail(str(exc))
    target = address or f"unix:{socket_path(state)}"
    try:
        with AgentClient(AgentAddress(target, os.environ.get("OMNIX_TOKEN", ""))) as client:
            yield client
    except AgentUnreachable as exc:
        fail(f"{exc} (is the agent running? `omnix-agent serve` starts it)", EXIT_UNREACHABLE)
    except grpc.RpcError as exc:
        fail(f"the agent refused: {describe_rpc_error(exc)}")
