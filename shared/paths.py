"""Where an agent keeps its state, and so where a client finds the local agent.

One rule, used by every command (`omnix-agent serve`, `stop`, `status`, `license`, and the
`omnix` client's local default and auto-start):

1. `--state-dir` (agent commands) or `state_dir` in the agent's config file;
2. `$OMNIX_STATE_DIR`;
3. `$STATE_DIRECTORY`, which systemd sets from the unit's `StateDirectory=` (the first
   entry when it lists several);
4. `/var/lib/omnix` for root, the machine's agent;
5. `$XDG_DATA_HOME/omnix` (default `~/.local/share/omnix`) for any other user.

The agent serves its unix socket inside that directory.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

STATE_DIR_ENV = "OMNIX_STATE_DIR"
SYSTEM_STATE_DIR = Path("/var/lib/omnix")
SOCKET_NAME = "agent.sock"


def default_state_dir(environ: Mapping[str, str] | None = None, euid: int | None = None) -> Path:
    """The state directory when neither a flag nor a config file names one (rules 2 to 5)."""
    env = os.environ if environ is None else environ
    if env.get(STATE_DIR_ENV):
        return Path(env[STATE_DIR_ENV]).expanduser().absolute()
    if env.get("STATE_DIRECTORY"):
        return Path(env["STATE_DIRECTORY"].split(":")[0])
    if (os.geteuid() if euid is None else euid) == 0:
        return SYSTEM_STATE_DIR
    data_home = env.get("XDG_DATA_HOME") or str(
        Path(env.get("HOME") or Path.home()) / ".local" / "share"
    )
    return Path(data_home) / "omnix"


def socket_path(state_dir: Path) -> Path:
    """The unix socket the agent of `state_dir` serves on."""
    return state_dir / SOCKET_NAME


CACHE_DIR_ENV = "OMNIX_CACHE_DIR"


def default_cache_dir(environ: Mapping[str, str] | None = None) -> Path:
    """Where compiled node code is cached (Go binaries, Scala classes): `$OMNIX_CACHE_DIR`,
    else `$CACHE_DIRECTORY` (systemd's `CacheDirectory=`), else `$XDG_CACHE_HOME/omnix`
    (default `~/.cache/omnix`). Safe to delete: everything in it is rebuilt on demand."""
    env = os.environ if environ is None else environ
    if env.get(CACHE_DIR_ENV):
        return Path(env[CACHE_DIR_ENV]).expanduser().absolute()
    if env.get("CACHE_DIRECTORY"):
        return Path(env["CACHE_DIRECTORY"].split(":")[0])
    cache_home = env.get("XDG_CACHE_HOME") or str(Path(env.get("HOME") or Path.home()) / ".cache")
    return Path(cache_home) / "omnix"
