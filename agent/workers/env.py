"""The environment worker subprocesses start with: only what a runtime needs.

The agent's own environment (tokens, config paths) never leaks into user code; a node
gets its own variables through its `env` and `secrets`, per request.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

_PASSED = ("PATH", "HOME", "USER", "LOGNAME", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR")


def minimal_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """PATH, HOME, locale and temp-dir variables of the agent, plus `extra`."""
    env = {key: os.environ[key] for key in _PASSED if key in os.environ}
    env.setdefault("PATH", "/usr/local/bin:/usr/bin:/bin")
    env.setdefault("LANG", "C.UTF-8")
    env.update(extra or {})
    return env
