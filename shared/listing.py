"""Listings both command lines print: local times, and tables (or JSON) of tokens and
sessions."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import Any

import click


def local_time(epoch: float) -> str:
    """`2026-11-01 06:00:00` in this machine's timezone; `-` for no time (0)."""
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(epoch)) if epoch else "-"


def credential_rows(items: Sequence[Any]) -> list[dict[str, object]]:
    """Tokens or sessions as JSON-ready rows."""
    return [
        {
            "id": c.id,
            "user": c.user,
            "name": c.name,
            "role": c.role,
            "created_at": c.created_at,
            "expires_at": c.expires_at or None,
            "last_used_at": c.last_used_at or None,
            "revoked_at": c.revoked_at or None,
            "revoked_by": c.revoked_by or None,
            "peer": c.peer,
            "pipelines": list(getattr(c, "pipelines", ())),
        }
        for c in items
    ]


def print_credentials(items: Sequence[Any], as_json: bool) -> None:
    """A table (or JSON) of tokens or sessions."""
    if as_json:
        click.echo(json.dumps(credential_rows(items), indent=2))
        return
    if not items:
        click.echo("none")
        return
    click.echo(f"{'ID':<13} {'USER':<16} {'NAME':<16} {'ROLE':<10} {'LAST USED':<20} STATE")
    for c in items:
        if c.revoked_at:
            state = f"revoked {local_time(c.revoked_at)}"
        elif c.expires_at:
            state = f"expires {local_time(c.expires_at)}"
        else:
            state = "active"
        scope = list(getattr(c, "pipelines", ()))
        if scope:
            state += f", only {','.join(scope)}"
        click.echo(
            f"{c.id:<13} {c.user:<16} {c.name:<16} {c.role:<10} "
            f"{local_time(c.last_used_at):<20} {state}"
        )
