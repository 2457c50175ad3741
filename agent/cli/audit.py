"""`omnix-agent audit [--json] [--since T] [--user U]` and `omnix-agent audit verify`.

The audit log is a hash chain (docs/security.md); `verify` walks all of it and exits 1
naming the first row that does not hold.
"""

from __future__ import annotations

import json
import sys
import time
from datetime import datetime

import click
from omnix.agent.cli.connect import agent_options, fail, running_agent
from omnix.shared.cli import EXIT_FAILED
from omnix.shared.duration import DurationError, parse_duration
from omnix.shared.listing import local_time
from omnix.v1 import security_pb2


def _since(text: str | None) -> float:
    if not text:
        return 0.0
    try:
        return time.time() - parse_duration(text)
    except DurationError:
        pass
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        fail(f"--since {text!r}: give a duration back from now (2h, 7d) or a date (2026-11-01)")
    return (moment if moment.tzinfo else moment.astimezone()).timestamp()


@click.group(invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="A JSON list of rows, hashes included.")
@click.option("--since", metavar="TIME|AGO", help="From this date or this long ago (7d).")
@click.option("--user", "user_name", default="", help="Only this user's calls.")
@click.option("--limit", default=1000, show_default=True, help="The newest this many rows.")
@agent_options
@click.pass_context
def command(
    ctx: click.Context,
    as_json: bool,
    since: str | None,
    user_name: str,
    limit: int,
    address: str | None,
    state_dir: str | None,
    config_path: str | None,
) -> None:
    """Every change and every refused call: who, what, when, from where, and the result."""
    if ctx.invoked_subcommand is not None:
        return
    with running_agent(address, state_dir, config_path) as client:
        reply = client.call(
            client.security.ListAudit,
            security_pb2.ListAuditRequest(since=_since(since), user=user_name, limit=limit),
        )
    if as_json:
        rows = [
            {
                "seq": e.seq,
                "at": e.at,
                "actor": e.actor,
                "via": e.via,
                "peer": e.peer,
                "action": e.action,
                "target": e.target,
                "result": e.result,
                "detail": e.detail,
                "prev_hash": e.prev_hash,
                "hash": e.hash,
            }
            for e in reply.entries
        ]
        click.echo(json.dumps(rows, indent=2))
        return
    for e in reply.entries:
        detail = f"  ({e.detail})" if e.detail else ""
        click.echo(
            f"{e.seq:>6} {local_time(e.at)} {e.actor:<16} {e.action:<18} {e.result:<16} "
            f"{e.target}{detail}  [{e.via}; {e.peer}]"
        )


@command.command()
@agent_options
def verify(address: str | None, state_dir: str | None, config_path: str | None) -> None:
    """Check the chain, its signed checkpoints and its signed head; exit 1 on the first
    row that does not hold."""
    with running_agent(address, state_dir, config_path) as client:
        reply = client.call(
            client.security.VerifyAudit, security_pb2.VerifyAuditRequest(), timeout_s=300.0
        )
    if reply.ok:
        click.echo(f"audit log intact: {reply.rows} rows, {reply.checkpoints} signed checkpoints")
        return
    click.echo(f"audit log TAMPERED at row {reply.first_bad_seq}: {reply.problem}")
    sys.exit(EXIT_FAILED)
