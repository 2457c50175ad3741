"""Login sessions the client keeps, one per agent address, in `credentials.toml` beside the
client config (mode 0600; a token is a password). `omnix login` writes one, `omnix logout`
removes it, and every command to that agent sends it unless `$OMNIX_TOKEN` is set.
"""

from __future__ import annotations

import json
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CREDENTIALS_FILE = "credentials.toml"


@dataclass(frozen=True, slots=True)
class Session:
    """A session token of one agent."""

    agent: str
    user: str
    token: str
    expires_at: float


def credentials_path(config_path: Path) -> Path:
    """`credentials.toml` in the folder of the client config."""
    return config_path.with_name(CREDENTIALS_FILE)


def load_sessions(path: Path) -> dict[str, Session]:
    """The sessions stored in `path` by agent address (none when the file is missing or
    unreadable: the commands then ask the user to log in)."""
    try:
        data: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return {}
    sessions = {}
    for agent, entry in data.get("sessions", {}).items():
        if isinstance(entry, dict) and isinstance(entry.get("token"), str):
            sessions[agent] = Session(
                agent,
                str(entry.get("user", "")),
                entry["token"],
                float(entry.get("expires_at", 0.0)),
            )
    return sessions


def save_sessions(path: Path, sessions: dict[str, Session]) -> None:
    """Write `sessions` to `path` (mode 0600, replaced atomically)."""
    lines = ["# Omnix login sessions, written by `omnix login`. Keep this file private.", ""]
    for agent in sorted(sessions):
        session = sessions[agent]
        lines += [
            f"[sessions.{json.dumps(agent)}]",
            f"user = {json.dumps(session.user)}",
            f"token = {json.dumps(session.token)}",
            f"expires_at = {session.expires_at!r}",
            "",
        ]
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    staging = path.with_name(path.name + ".tmp")
    descriptor = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines))
    os.replace(staging, path)


def session_for(path: Path, agent: str) -> Session | None:
    """The stored session of `agent`, if any."""
    return load_sessions(path).get(agent)


def remember(path: Path, session: Session) -> None:
    """Keep `session` in `path` for its agent, beside the others (mode 0600)."""
    sessions = load_sessions(path)
    sessions[session.agent] = session
    save_sessions(path, sessions)
