"""Token and password formats, and the caller's identity.

API tokens look like ``omx_<id>_<secret>`` and session tokens like ``omxs_<id>_<secret>``:
`id` is 12 hex digits that name the token in lists and the audit log, `secret` is 32 random
bytes in URL-safe base64. The agent stores only the SHA-256 of the whole token; comparing is
constant-time. Passwords are stored as scrypt hashes (n=2^14, r=8, p=1, 16-byte salt).
"""

from __future__ import annotations

import base64
import contextvars
import functools
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from omnix.agent.security.roles import Role

TOKEN_PREFIX = "omx_"
SESSION_PREFIX = "omxs_"
_TOKEN = re.compile(r"(omxs?)_([0-9a-f]{12})_([A-Za-z0-9_-]{43})")
_SCRYPT = {"n": 1 << 14, "r": 8, "p": 1, "dklen": 32}


@dataclass(frozen=True, slots=True)
class ParsedToken:
    """A token's parts: its kind ('token' or 'session'), public id and SHA-256."""

    kind: str
    id: str
    sha256: bytes


def new_token(kind: str) -> tuple[str, str]:
    """A fresh (token text, id) of `kind` 'token' or 'session'."""
    token_id = secrets.token_hex(6)
    prefix = SESSION_PREFIX if kind == "session" else TOKEN_PREFIX
    return f"{prefix}{token_id}_{secrets.token_urlsafe(32)}", token_id


def parse_token(text: str) -> ParsedToken | None:
    """The token's parts, or None when `text` is not shaped like an Omnix token."""
    match = _TOKEN.fullmatch(text)
    if match is None:
        return None
    kind = "session" if match.group(1) == "omxs" else "token"
    return ParsedToken(kind, match.group(2), token_hash(text))


def token_hash(text: str) -> bytes:
    """The SHA-256 the agent keeps of a token (tokens are random: no salt or stretching)."""
    return hashlib.sha256(text.encode()).digest()


def same_hash(a: bytes, b: bytes) -> bool:
    """Constant-time equality of two hashes."""
    return hmac.compare_digest(a, b)


def hash_password(password: str) -> str:
    """``scrypt$<salt b64>$<hash b64>``."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, **_SCRYPT)
    return f"scrypt${_b64(salt)}${_b64(digest)}"


@functools.cache
def _dummy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))


def check_password(password: str, stored: str) -> bool:
    """Whether `password` matches `stored`. A user without a password (empty `stored`) costs
    the same time as a wrong password, so timing does not reveal which users exist."""
    try:
        scheme, salt, digest = (stored or _dummy_hash()).split("$")
        expected = base64.urlsafe_b64decode(digest)
        actual = hashlib.scrypt(password.encode(), salt=base64.urlsafe_b64decode(salt), **_SCRYPT)
    except ValueError:
        return False
    return scheme == "scrypt" and bool(stored) and hmac.compare_digest(actual, expected)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode()


@dataclass(frozen=True, slots=True)
class Principal:
    """Who makes a call: a user, the role the call holds, and how it was proven."""

    user: str
    role: Role
    via: str
    """'socket' (the agent's unix socket), 'session', 'token' or 'admin-token'."""
    credential: str = ""
    """The id of the token or session used (empty for the socket and the admin token)."""
    pipelines: frozenset[str] = frozenset()
    """The pipelines a scoped token is limited to (empty: every one its role reaches)."""
    user_role: Role | None = None
    """The user's own role when the call holds less (a token made with a weaker role)."""

    @property
    def reach(self) -> Role:
        """The role that decides which pipelines the call reaches (the user's)."""
        return self.user_role or self.role

    @property
    def label(self) -> str:
        """``alice (developer, token 1a2b3c4d5e6f)`` for messages and the audit log."""
        how = f"{self.via} {self.credential}" if self.credential else self.via
        return f"{self.user} ({self.role}, {how})"


CALLER: contextvars.ContextVar[Principal | None] = contextvars.ContextVar(
    "omnix_caller", default=None
)
"""The caller of the RPC being served, set by the auth interceptor."""


def current_caller() -> Principal | None:
    """The caller of the RPC in progress (None outside a call, e.g. a scheduled run)."""
    return CALLER.get()
