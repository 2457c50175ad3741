"""`omnix login`, `omnix logout`, `omnix whoami`: sessions with an agent.

`login` asks for the user name and password (never arguments, which other users see in
`ps`), and stores the session token the agent returns in `credentials.toml` beside the
client config (mode 0600). It prints nothing secret.
"""

from __future__ import annotations

import getpass
import json
import sys
from typing import Any

import click
import grpc
from omnix.shared import device_flow
from omnix.shared.client import client_config_path, describe_rpc_error, resolve_address
from omnix.shared.sessions import (
    Session,
    credentials_path,
    load_sessions,
    remember,
    save_sessions,
)
from omnix.tui.cli.agent_options import agent_client, agent_option, fail
from omnix.tui.cli.times import local_time
from omnix.v1 import security_pb2


def read_secret(prompt: str) -> str:
    """A line from stdin when it is not a terminal (scripts), else a hidden prompt."""
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    return getpass.getpass(f"{prompt}: ")


@click.command()
@click.option("--user", "-u", "user", help="User name (default: asked, or your login name).")
@click.option(
    "--sso",
    is_flag=True,
    help="Sign in at the agent's identity provider instead (a code to enter in a browser).",
)
@agent_option
def login(user: str | None, sso: bool, agent: str | None) -> None:
    """Log in to the agent; the session is kept for later commands to that agent."""
    address = resolve_address(agent)
    with agent_client(agent) as client:
        try:
            reply = _sign_in_sso(client) if sso else _sign_in(client, user)
        except grpc.RpcError as exc:
            fail(f"login failed: {describe_rpc_error(exc)}")
    remember(
        credentials_path(client_config_path()),
        Session(address.target, reply.user.name, reply.token, reply.session.expires_at),
    )
    click.echo(
        f"logged in to {address.target} as {reply.user.name} ({reply.user.role}); "
        f"the session ends by {local_time(reply.session.expires_at)}"
    )


def _sign_in(client: Any, user: str | None) -> Any:
    name = user or click.prompt("user", default=getpass.getuser())
    password = read_secret("password")
    return client.call(
        client.security.Login, security_pb2.LoginRequest(user=name, password=password)
    )


def _sign_in_sso(client: Any) -> Any:
    """The device flow against the provider the agent names, then the agent's session."""
    config = client.call(client.security.GetSsoConfig, security_pb2.GetSsoConfigRequest())
    try:
        grant = device_flow.authorize(
            config.device_authorization_endpoint, config.client_id, config.scopes
        )
        click.echo(
            f"To sign in, open {grant.verification_uri} and enter the code {grant.user_code}",
            err=True,
        )
        if grant.verification_uri_complete:
            click.echo(f"(or open {grant.verification_uri_complete})", err=True)
        tokens = device_flow.poll(config.token_endpoint, config.client_id, grant)
    except device_flow.DeviceFlowError as exc:
        fail(f"login failed: {exc}")
    return client.call(
        client.security.LoginSso, security_pb2.LoginSsoRequest(id_token=tokens["id_token"])
    )


@click.command()
@agent_option
def logout(agent: str | None) -> None:
    """End the session with the agent and forget it here."""
    address = resolve_address(agent)
    path = credentials_path(client_config_path())
    sessions = load_sessions(path)
    if address.target not in sessions:
        click.echo(f"not logged in to {address.target}")
        return
    with agent_client(agent) as client:
        try:
            client.call(client.security.Logout, security_pb2.LogoutRequest())
        except grpc.RpcError as exc:
            # An expired or revoked session is over anyway: forget it all the same.
            if exc.code() != grpc.StatusCode.UNAUTHENTICATED:
                fail(f"logout failed: {describe_rpc_error(exc)}")
    del sessions[address.target]
    save_sessions(path, sessions)
    click.echo(f"logged out of {address.target}")


@click.command()
@click.option("--json", "as_json", is_flag=True, help="One JSON object.")
@agent_option
def whoami(as_json: bool, agent: str | None) -> None:
    """Who the agent takes you for, with which role."""
    with agent_client(agent) as client:
        reply = client.call(client.security.WhoAmI, security_pb2.WhoAmIRequest())
    if as_json:
        click.echo(
            json.dumps(
                {
                    "user": reply.user,
                    "role": reply.role,
                    "via": reply.via,
                    "credential": reply.credential,
                    "tier": reply.tier,
                }
            )
        )
        return
    how = f"{reply.via} {reply.credential}".strip()
    click.echo(f"{reply.user} ({reply.role}) via {how}, {reply.tier} tier")
