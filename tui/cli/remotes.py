"""`omnix remotes`: the named agents of the client config, and how each is doing."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass

import click
import grpc
from omnix.shared.client import (
    AgentClient,
    AgentUnreachable,
    Remote,
    describe_rpc_error,
    load_client_config,
    named_remotes,
    resolve_address,
)
from omnix.tui.cli.agent_options import fail

PROBE_TIMEOUT_S = 10.0


@dataclass(frozen=True, slots=True)
class RemoteState:
    """One remote: its address, and what its agent answered (or why it did not)."""

    name: str
    agent: str
    reachable: bool
    version: str = ""
    tier: str = ""
    latency_ms: float | None = None
    problem: str = ""


def probe(remote: Remote) -> RemoteState:
    """Connect to `remote` and ask its agent for its status."""
    started = time.monotonic()
    try:
        with AgentClient(resolve_address(remote.name), timeout_s=PROBE_TIMEOUT_S) as client:
            status = client.status()
    except AgentUnreachable as exc:
        return RemoteState(remote.name, remote.agent, False, problem=str(exc))
    except grpc.RpcError as exc:
        return RemoteState(remote.name, remote.agent, False, problem=describe_rpc_error(exc))
    latency = round((time.monotonic() - started) * 1000, 1)
    return RemoteState(
        remote.name, remote.agent, True, status.version, status.license_tier, latency
    )


@click.command("remotes")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON list.")
def command(as_json: bool) -> None:
    """List the remotes of the client config ([remotes.NAME] agent = "ssh://user@host"),
    each with whether its agent answers, its version and license tier (all at once)."""
    try:
        config, path = load_client_config()
        remotes = named_remotes(config, path)
    except AgentUnreachable as exc:
        fail(str(exc))
    if not remotes:
        fail(f'no remotes in {path}; add one: [remotes.prod] agent = "ssh://user@host"', 1)
    with ThreadPoolExecutor(max_workers=min(8, len(remotes))) as pool:
        states = list(pool.map(probe, [remotes[name] for name in sorted(remotes)]))
    if as_json:
        click.echo(json.dumps([asdict(state) for state in states]))
        return
    width = max(len(state.name) for state in states)
    for state in states:
        if state.reachable:
            detail = f"up  {state.version}  {state.tier}  {state.latency_ms:g} ms"
        else:
            detail = f"DOWN  {state.problem}"
        click.echo(f"{state.name.ljust(width)}  {state.agent}  {detail}")
