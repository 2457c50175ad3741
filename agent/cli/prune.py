"""`omnix-agent prune [--older-than DAYS] [--keep N]`: remove finished runs past retention.

A running agent prunes by itself every hour with its config's `keep_runs_days` and
`keep_runs_per_pipeline`; this command does it now, with those or the given limits, on the
state dir's store (beside a running agent too: SQLite serialises the writes). Today's runs,
runs still queued or running, and the newest run are never removed.
"""

from __future__ import annotations

import asyncio
import dataclasses
import sys
from pathlib import Path

import click
from omnix.agent.config import DB_FILE, AgentConfig, load_config, resolve_state_dir
from omnix.agent.errors import ConfigError

USAGE_ERROR = 2


@click.command()
@click.option("--older-than", "days", type=click.IntRange(min=0), help="Days (0: no age limit).")
@click.option("--keep", type=click.IntRange(min=0), help="Runs kept per pipeline (0: no cap).")
@click.option("--state-dir", help="The agent's state dir.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="TOML config.")
def command(
    days: int | None, keep: int | None, state_dir: str | None, config_path: str | None
) -> None:
    """Remove finished runs older than --older-than days, or beyond the newest --keep of
    each pipeline (defaults: the config's keep_runs_days and keep_runs_per_pipeline)."""
    try:
        config = load_config(config_path)
        state = resolve_state_dir(state_dir, config)
    except ConfigError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(USAGE_ERROR)
    if not (state / DB_FILE).exists():
        click.echo(f"no store in {state}: nothing to prune", err=True)
        return
    limits = dataclasses.replace(
        config,
        keep_runs_days=config.keep_runs_days if days is None else days,
        keep_runs_per_pipeline=config.keep_runs_per_pipeline if keep is None else keep,
    )
    removed = asyncio.run(_prune(state / DB_FILE, limits))
    click.echo(f"removed {removed} run{'s' if removed != 1 else ''} from {state / DB_FILE}")
    if not removed:
        click.echo("(today's runs, unfinished runs and the newest run are always kept)", err=True)


async def _prune(path: Path, config: AgentConfig) -> int:
    from omnix.agent.daemon import prune_store
    from omnix.agent.store.db import Store

    store = await Store.open(path)
    try:
        return await prune_store(store, config)
    finally:
        await store.close()
