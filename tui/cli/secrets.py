"""`omnix secret set|list|rm`: the agent's secrets (Team and up).

A value is read from stdin or a hidden prompt, never from an argument (other users see
arguments in `ps`, shells keep them in history). Values never come back out: `list` shows
names and who changed them when.
"""

from __future__ import annotations

import json
import sys

import click
from omnix.tui.cli.agent_options import agent_client, agent_option, fail
from omnix.tui.cli.times import local_time
from omnix.v1 import security_pb2


@click.group()
def command() -> None:
    """Secrets for nodes' `secrets:`: set, list, rm."""


@command.command("set")
@click.argument("name")
@agent_option
def set_secret(name: str, agent: str | None) -> None:
    """Set NAME to the value on stdin (or typed at a hidden prompt)."""
    if sys.stdin.isatty():
        value = click.prompt(f"value of {name}", hide_input=True, confirmation_prompt=True)
    else:
        value = sys.stdin.read()
        # One trailing newline is the shell's (echo, heredoc), not the secret's.
        value = value[:-1] if value.endswith("\n") else value
    if not value:
        fail(f"no value for {name}: pipe it in (e.g. `omnix secret set {name} < file`)")
    with agent_client(agent) as client:
        reply = client.call(
            client.secrets.SetSecret, security_pb2.SetSecretRequest(name=name, value=value)
        )
    click.echo(f"secret {reply.secret.name} set")


@command.command("list")
@click.option("--json", "as_json", is_flag=True, help="A JSON list.")
@agent_option
def list_secrets(as_json: bool, agent: str | None) -> None:
    """Secret names, and who changed each when."""
    with agent_client(agent) as client:
        reply = client.call(client.secrets.ListSecrets, security_pb2.ListSecretsRequest())
    if as_json:
        rows = [
            {"name": s.name, "updated_at": s.updated_at, "updated_by": s.updated_by}
            for s in reply.secrets
        ]
        click.echo(json.dumps(rows, indent=2))
        return
    if not reply.secrets:
        click.echo("no secrets")
        return
    for secret in reply.secrets:
        click.echo(f"{secret.name:<32} {local_time(secret.updated_at)}  by {secret.updated_by}")


@command.command("rm")
@click.argument("name")
@agent_option
def remove(name: str, agent: str | None) -> None:
    """Remove the secret NAME."""
    with agent_client(agent) as client:
        client.call(client.secrets.DeleteSecret, security_pb2.DeleteSecretRequest(name=name))
    click.echo(f"secret {name} removed")
