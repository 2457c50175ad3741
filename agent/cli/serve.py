"""`omnix-agent serve`: run the agent daemon in the foreground (systemd runs it this way).

This module only parses options and wires signals to `omnix.agent.server.Agent`: SIGTERM and
SIGINT stop it (draining runs first), SIGHUP reloads its config.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

import click
from omnix.agent.config import AgentConfig, load_config, resolve_state_dir
from omnix.agent.errors import AlreadyRunning, ConfigError
from omnix.agent.systemd.journal import configure_logging


@click.command()
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="TOML config file.")
@click.option("--state-dir", help="Database, socket and token directory.")
@click.option(
    "--listen", multiple=True, help="Extra TCP address host:port (repeatable; loopback or TLS)."
)
def command(config_path: str | None, state_dir: str | None, listen: tuple[str, ...]) -> None:
    """Run the agent: serve gRPC on the state dir's unix socket (and TCP with --listen)."""
    try:
        config = load_config(config_path)
        config.listen = [*config.listen, *listen]
        config.tcp_listeners()
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from None
    # Under systemd, journald stamps each line and reads a priority prefix; elsewhere
    # lines carry a timestamp and the level name.
    configure_logging(config.log_level)
    state = resolve_state_dir(state_dir, config)
    try:
        asyncio.run(serve(config, state, config_path, list(listen)))
    except (ConfigError, AlreadyRunning) as exc:
        click.echo(f"omnix-agent: {exc}", err=True)
        sys.exit(2)


async def serve(
    config: AgentConfig, state_dir: Path, config_path: str | None, extra_listen: list[str]
) -> None:
    """Start the agent, then wait for SIGTERM/SIGINT (stop) while SIGHUP reloads it."""
    from omnix.agent.server import Agent  # The daemon's imports wait until options parsed.

    agent = Agent(config, state_dir, config_path=config_path, extra_listen=extra_listen)
    await agent.start()
    loop = asyncio.get_running_loop()
    stopping = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopping.set)
    loop.add_signal_handler(signal.SIGHUP, agent.reload)
    await stopping.wait()
    await agent.stop()
