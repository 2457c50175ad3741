"""`omnix-agent serve`: run the agent daemon in the foreground (systemd runs it this way)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import click
from omnix.agent import sdnotify
from omnix.agent.config import (
    PID_FILE,
    AgentConfig,
    ensure_admin_token,
    load_config,
    resolve_state_dir,
)
from omnix.agent.errors import AlreadyRunning, ConfigError

if TYPE_CHECKING:
    from omnix.agent.daemon import Daemon

log = logging.getLogger("omnix.agent")


def _setup_logging(level: str) -> None:
    # Under systemd, journald stamps each line and reads a priority prefix; elsewhere
    # lines carry a timestamp and the level name.
    from omnix.agent.cli.log_format import configure_logging

    configure_logging(level)


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
    _setup_logging(config.log_level)
    state = resolve_state_dir(state_dir, config)
    try:
        asyncio.run(serve(config, state, config_path, list(listen)))
    except (ConfigError, AlreadyRunning) as exc:
        click.echo(f"omnix-agent: {exc}", err=True)
        sys.exit(2)


async def serve(
    config: AgentConfig, state_dir: Path, config_path: str | None, extra_listen: list[str]
) -> None:
    """Start the daemon and its servers, then wait for SIGTERM (drain) or SIGHUP (reload)."""
    from omnix.agent.daemon import Daemon
    from omnix.agent.server import AgentServer

    token = ensure_admin_token(state_dir)
    daemon = Daemon(config, state_dir)
    server = AgentServer(daemon, config, token)
    await daemon.start()
    try:
        addresses = await server.start()
    except BaseException:
        await daemon.stop(0)
        raise
    pid_file = state_dir / PID_FILE
    pid_file.write_text(f"{os.getpid()}\n", encoding="utf-8")
    log.info("serving on %s (state in %s)", ", ".join(addresses), state_dir)
    sdnotify.notify(sdnotify.READY, sdnotify.status(f"serving on {', '.join(addresses)}"))
    watchdog = asyncio.create_task(sdnotify.run_watchdog())

    loop = asyncio.get_running_loop()
    stopping = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopping.set)
    loop.add_signal_handler(signal.SIGHUP, lambda: _reload(daemon, config_path, extra_listen))
    await stopping.wait()

    log.info("draining: running nodes get %.1fs", daemon.config.drain_grace_s)
    sdnotify.notify(sdnotify.STOPPING, sdnotify.status("draining runs"))
    watchdog.cancel()
    await server.mark_not_serving()
    # Servers stay up while runs drain so watchers see every run end.
    await daemon.runs.drain(daemon.config.drain_grace_s)
    await server.stop(1.0)
    await daemon.stop(0)
    with contextlib.suppress(FileNotFoundError):
        pid_file.unlink()
    watchdog.cancel()
    log.info("stopped")


def _reload(daemon: Daemon, config_path: str | None, extra_listen: list[str]) -> None:
    """SIGHUP: re-read the config; settings that apply live take effect, others need a restart."""
    try:
        fresh = load_config(config_path)
    except ConfigError as exc:
        log.error("reload failed, keeping the running configuration: %s", exc)
        return
    sdnotify.notify(sdnotify.RELOADING, f"MONOTONIC_USEC={time.monotonic_ns() // 1000}")
    fresh.listen = [*fresh.listen, *extra_listen]
    _setup_logging(fresh.log_level)
    daemon.config.log_level = fresh.log_level
    daemon.config.drain_grace_s = fresh.drain_grace_s
    restart_needed = [
        key
        for key in ("listen", "tls_cert", "tls_key", "max_concurrent_runs", "max_message_mb")
        if getattr(fresh, key) != getattr(daemon.config, key)
    ]
    if restart_needed:
        log.warning("reloaded; these changes apply after a restart: %s", ", ".join(restart_needed))
    else:
        log.info("configuration reloaded")
    sdnotify.notify(sdnotify.READY)
