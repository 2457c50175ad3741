"""`omnix token create|list|revoke`: API tokens for scripts and CI.

A token is shown once, when it is made; the agent keeps only its SHA-256. Tokens hold at
most their user's role (and never more than the call that makes them).
"""

from __future__ import annotations

import click
from omnix.shared.duration import DurationError, parse_duration
from omnix.shared.listing import local_time, print_credentials
from omnix.tui.cli.agent_options import agent_client, agent_option, fail
from omnix.v1 import security_pb2


@click.group()
def command() -> None:
    """API tokens: create, list, revoke."""


@command.command()
@click.option("--name", required=True, help="What the token is for (e.g. ci).")
@click.option(
    "--role",
    type=click.Choice(["viewer", "developer", "admin", "owner"]),
    help="At most your own role (default: your role).",
)
@click.option("--expires", metavar="DURATION", help="e.g. 30d, 12h (default: never).")
@click.option(
    "--pipeline",
    "pipelines",
    multiple=True,
    metavar="NAME",
    help="Limit the token to this pipeline (repeat for more; default: every one you reach).",
)
@agent_option
def create(
    name: str,
    role: str | None,
    expires: str | None,
    pipelines: tuple[str, ...],
    agent: str | None,
) -> None:
    """Create a token; it is printed once, on stdout, and never again."""
    try:
        seconds = parse_duration(expires) if expires else 0.0
    except DurationError as exc:
        fail(f"--expires: {exc}")
    with agent_client(agent) as client:
        reply = client.call(
            client.security.CreateToken,
            security_pb2.CreateTokenRequest(
                name=name, role=role or "", expires_in_s=seconds, pipelines=list(pipelines)
            ),
        )
    until = local_time(reply.credential.expires_at) if reply.credential.expires_at else "never"
    scope = reply.credential.pipelines
    only = f", only {', '.join(scope)}" if scope else ""
    click.echo(
        f"token {reply.credential.id} ({reply.credential.role}{only}, expires {until}); "
        "store it now, it is not shown again:",
        err=True,
    )
    click.echo(reply.token)


@command.command("list")
@click.option("--all", "all_users", is_flag=True, help="Every user's tokens (admins).")
@click.option("--json", "as_json", is_flag=True, help="A JSON list.")
@agent_option
def list_tokens(all_users: bool, as_json: bool, agent: str | None) -> None:
    """Your tokens (ids, names, roles, when last used; never the tokens themselves)."""
    with agent_client(agent) as client:
        reply = client.call(
            client.security.ListTokens, security_pb2.ListTokensRequest(all_users=all_users)
        )
    print_credentials(list(reply.tokens), as_json)


@command.command()
@click.argument("token_id", metavar="ID")
@agent_option
def revoke(token_id: str, agent: str | None) -> None:
    """Revoke the token ID (or a unique prefix of it)."""
    with agent_client(agent) as client:
        reply = client.call(
            client.security.RevokeToken, security_pb2.RevokeTokenRequest(id=token_id)
        )
    click.echo(f"token {reply.credential.id} ({reply.credential.name}) revoked")
