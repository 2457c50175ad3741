"""`omnix-agent secrets rotate-key`: re-wrap the secrets' data keys under a new master key
while the agent keeps serving (the secrets themselves are not re-encrypted)."""

from __future__ import annotations

import click
from omnix.agent.cli.connect import agent_options, running_agent
from omnix.v1 import security_pb2


@click.group("secrets")
def command() -> None:
    """The secrets' master key."""


@command.command("rotate-key")
@agent_options
def rotate_key(address: str | None, state_dir: str | None, config_path: str | None) -> None:
    """Make a new master key and re-wrap every data key with it."""
    with running_agent(address, state_dir, config_path) as client:
        reply = client.call(client.secrets.RotateMasterKey, security_pb2.RotateMasterKeyRequest())
    click.echo(f"master key rotated: {reply.old_key_id} -> {reply.new_key_id}")
