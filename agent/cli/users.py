"""`omnix-agent user add|list|remove|role|password` and `omnix-agent session list|revoke`.

They talk to the running agent (by default through the state dir's socket, as its Owner),
so every change passes the policy and lands in the audit log like any other call.
"""

from __future__ import annotations

import json
import sys

import click
from omnix.agent.cli.connect import agent_options, running_agent
from omnix.shared.listing import local_time, print_credentials
from omnix.v1 import security_pb2

ROLES = click.Choice(["viewer", "developer", "admin", "owner"])


def _password(no_password: bool) -> str:
    if no_password:
        return ""
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    value: str = click.prompt("password", hide_input=True, confirmation_prompt=True)
    return value


@click.group("user")
def user() -> None:
    """Users of the agent and their roles (owner, admin, developer, viewer)."""


@user.command()
@click.argument("name")
@click.option("--role", type=ROLES, required=True)
@click.option(
    "--no-password", is_flag=True, help="No password login (tokens made for them, or SSO)."
)
@agent_options
def add(
    name: str,
    role: str,
    no_password: bool,
    address: str | None,
    state_dir: str | None,
    config_path: str | None,
) -> None:
    """Add user NAME; the password is read from stdin or a hidden prompt."""
    password = _password(no_password)
    with running_agent(address, state_dir, config_path) as client:
        reply = client.call(
            client.security.AddUser,
            security_pb2.AddUserRequest(name=name, role=role, password=password),
        )
    click.echo(f"user {reply.user.name} added ({reply.user.role})")


@user.command("list")
@click.option("--json", "as_json", is_flag=True, help="A JSON list.")
@agent_options
def list_users(
    as_json: bool, address: str | None, state_dir: str | None, config_path: str | None
) -> None:
    """Every user with their role."""
    with running_agent(address, state_dir, config_path) as client:
        reply = client.call(client.security.ListUsers, security_pb2.ListUsersRequest())
    if as_json:
        rows = [
            {
                "name": u.name,
                "role": u.role,
                "has_password": u.has_password,
                "created_at": u.created_at,
                "created_by": u.created_by,
            }
            for u in reply.users
        ]
        click.echo(json.dumps(rows, indent=2))
        return
    click.echo(f"{'USER':<24} {'ROLE':<10} {'PASSWORD':<9} CREATED")
    for u in reply.users:
        password = "yes" if u.has_password else "no"
        click.echo(
            f"{u.name:<24} {u.role:<10} {password:<9} {local_time(u.created_at)} by {u.created_by}"
        )


@user.command()
@click.argument("name")
@agent_options
def remove(name: str, address: str | None, state_dir: str | None, config_path: str | None) -> None:
    """Remove user NAME and revoke their tokens and sessions."""
    with running_agent(address, state_dir, config_path) as client:
        reply = client.call(client.security.RemoveUser, security_pb2.RemoveUserRequest(name=name))
    click.echo(f"user {name} removed; {reply.revoked} tokens and sessions revoked")


@user.command()
@click.argument("name")
@click.argument("role", type=ROLES)
@agent_options
def role(
    name: str, role: str, address: str | None, state_dir: str | None, config_path: str | None
) -> None:
    """Give user NAME the role ROLE (their tokens never exceed it)."""
    with running_agent(address, state_dir, config_path) as client:
        reply = client.call(
            client.security.SetUserRole, security_pb2.SetUserRoleRequest(name=name, role=role)
        )
    click.echo(f"user {reply.user.name} is now {reply.user.role}")


@user.command()
@click.argument("name")
@click.option("--clear", is_flag=True, help="Remove the password (no password login).")
@agent_options
def password(
    name: str, clear: bool, address: str | None, state_dir: str | None, config_path: str | None
) -> None:
    """Set user NAME's password (from stdin or a hidden prompt)."""
    value = _password(clear)
    with running_agent(address, state_dir, config_path) as client:
        client.call(
            client.security.SetUserPassword,
            security_pb2.SetUserPasswordRequest(name=name, password=value),
        )
    click.echo(f"password of {name} {'cleared' if clear else 'set'}")


@click.group("session")
def session() -> None:
    """Login sessions: list and revoke."""


@session.command("list")
@click.option("--user", "user_name", default="", help="Only this user's.")
@click.option("--json", "as_json", is_flag=True, help="A JSON list.")
@agent_options
def list_sessions(
    user_name: str,
    as_json: bool,
    address: str | None,
    state_dir: str | None,
    config_path: str | None,
) -> None:
    """Sessions with their user, peer and last use."""
    with running_agent(address, state_dir, config_path) as client:
        reply = client.call(
            client.security.ListSessions, security_pb2.ListSessionsRequest(user=user_name)
        )
    print_credentials(list(reply.sessions), as_json)


@session.command()
@click.argument("session_id", metavar="ID")
@agent_options
def revoke(
    session_id: str, address: str | None, state_dir: str | None, config_path: str | None
) -> None:
    """Revoke session ID (or a unique prefix of it): its holder must log in again."""
    with running_agent(address, state_dir, config_path) as client:
        reply = client.call(
            client.security.RevokeSession, security_pb2.RevokeSessionRequest(id=session_id)
        )
    click.echo(f"session {reply.session.id} of {reply.session.user} revoked")
