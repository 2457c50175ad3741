"""Users, their API tokens and their sessions: in SQLite, mirrored in memory.

The agent is the only writer of its database, so every change is written to the store and
applied to the in-memory copy; authenticating a call then costs a SHA-256 and a dictionary
lookup, never a query.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, replace

from omnix.agent.errors import BadRequest, NotFound
from omnix.agent.security.credentials import (
    Principal,
    check_password,
    hash_password,
    new_token,
    parse_token,
    same_hash,
)
from omnix.agent.security.roles import Role
from omnix.agent.store.db import Store

USER_NAME = re.compile(r"[a-z0-9][a-z0-9_.@-]{0,63}")
LAST_USED_WRITE_S = 60.0
"""A credential's `last_used_at` reaches the database at most this often (memory keeps the
exact time for the idle limit)."""


@dataclass(frozen=True, slots=True)
class User:
    """A user of the agent."""

    name: str
    role: Role
    password_hash: str
    os_user: str
    created_at: float
    created_by: str


@dataclass(frozen=True, slots=True)
class Credential:
    """An API token or a session, without its secret (only its SHA-256 is kept)."""

    id: str
    kind: str
    user: str
    name: str
    role: Role
    sha256: bytes
    created_at: float
    expires_at: float | None
    last_used_at: float | None
    revoked_at: float | None = None
    revoked_by: str = ""
    peer: str = ""
    pipelines: tuple[str, ...] = ()
    """The pipelines a token is limited to (empty: all its role reaches)."""

    def problem(self, now: float, idle_s: float | None) -> str:
        """Why the credential no longer works ('' while it does)."""
        if self.revoked_at is not None:
            return f"the {self.kind} {self.id} was revoked"
        if self.expires_at is not None and now >= self.expires_at:
            return f"the {self.kind} {self.id} expired"
        if idle_s is not None and now - (self.last_used_at or self.created_at) >= idle_s:
            return f"the session {self.id} expired after being idle"
        return ""


class AuthFailure(Exception):
    """A credential that proves nothing: missing, malformed, unknown, expired or revoked."""


class Directory:
    """The users and credentials of one agent. `await Directory.open(store, ...)`."""

    def __init__(self, store: Store, *, session_idle_s: float, session_max_s: float) -> None:
        self._store = store
        self.session_idle_s = session_idle_s
        self.session_max_s = session_max_s
        self.users: dict[str, User] = {}
        self.credentials: dict[str, Credential] = {}
        self._persisted_use: dict[str, float] = {}

    @classmethod
    async def open(
        cls, store: Store, *, owner: str, session_idle_s: float, session_max_s: float
    ) -> Directory:
        """Load users and credentials; the first start makes `owner` (the agent's OS user)
        the Owner, so the local socket works with no setup."""
        directory = cls(store, session_idle_s=session_idle_s, session_max_s=session_max_s)
        for row in await store.fetch_all(
            "SELECT name, role, password_hash, os_user, created_at, created_by FROM users"
        ):
            directory.users[row["name"]] = User(
                row["name"],
                Role(row["role"]),
                row["password_hash"],
                row["os_user"],
                row["created_at"],
                row["created_by"],
            )
        for row in await store.fetch_all(
            "SELECT id, kind, user, name, role, sha256, created_at, expires_at, last_used_at, "
            "revoked_at, revoked_by, peer, pipelines_json FROM credentials"
        ):
            directory.credentials[row["id"]] = Credential(
                row["id"],
                row["kind"],
                row["user"],
                row["name"],
                Role(row["role"]),
                bytes(row["sha256"]),
                row["created_at"],
                row["expires_at"],
                row["last_used_at"],
                row["revoked_at"],
                row["revoked_by"],
                row["peer"],
                tuple(json.loads(row["pipelines_json"])),
            )
        if not directory.users:
            name = _user_name_for(owner)
            await directory.add_user(name, Role.OWNER, password="", by="agent", os_user=owner)
        return directory

    # -- identities ----------------------------------------------------------------------

    def local_user(self, os_user: str) -> User | None:
        """The user the agent's unix socket maps to: the one whose `os_user` is the agent's
        own (the socket is mode 0600, so only that OS user, or root, can connect)."""
        return next((u for u in self.users.values() if u.os_user == os_user), None)

    def owner(self) -> User:
        """An Owner (the oldest)."""
        owners = [u for u in self.users.values() if u.role is Role.OWNER]
        return min(owners, key=lambda u: u.created_at)

    def authenticate(self, token: str, now: float | None = None) -> Principal:
        """The principal a bearer token proves; AuthFailure saying why not."""
        moment = time.time() if now is None else now
        parsed = parse_token(token)
        if parsed is None:
            raise AuthFailure("the token is malformed (Omnix tokens start with omx_ or omxs_)")
        credential = self.credentials.get(parsed.id)
        if credential is None or not same_hash(credential.sha256, parsed.sha256):
            raise AuthFailure("the token is not known to this agent")
        idle = self.session_idle_s if credential.kind == "session" else None
        problem = credential.problem(moment, idle)
        if problem:
            raise AuthFailure(problem)
        user = self.users.get(credential.user)
        if user is None:
            raise AuthFailure(f"the user {credential.user!r} of this token was removed")
        self._touch(credential, moment)
        return Principal(
            user.name,
            credential.role.at_most(user.role),
            credential.kind,
            credential.id,
            frozenset(credential.pipelines),
            user.role,
        )

    def _touch(self, credential: Credential, now: float) -> None:
        self.credentials[credential.id] = replace(credential, last_used_at=now)
        if now - self._persisted_use.get(credential.id, 0.0) >= LAST_USED_WRITE_S:
            self._persisted_use[credential.id] = now
            self._store.submit(
                [("UPDATE credentials SET last_used_at = ? WHERE id = ?", (now, credential.id))]
            )

    async def login(self, name: str, password: str, *, peer: str) -> tuple[str, Credential]:
        """A new session for a correct user name and password; AuthFailure otherwise (the
        same message for an unknown user and a wrong password)."""
        user = self.users.get(name)
        if not check_password(password, user.password_hash if user else ""):
            raise AuthFailure("wrong user name or password")
        assert user is not None
        return await self.open_session(user, "login", peer=peer)

    async def open_session(self, user: User, how: str, *, peer: str) -> tuple[str, Credential]:
        """A new session of `user` (`how`: 'login' or 'sso'), for the absolute limit."""
        return await self._issue(
            "session", user, how, user.role, time.time() + self.session_max_s, peer=peer
        )

    # -- users ---------------------------------------------------------------------------

    async def add_user(
        self, name: str, role: Role, *, password: str, by: str, os_user: str = ""
    ) -> User:
        """Add a user (BadRequest when the name is taken or malformed)."""
        if not USER_NAME.fullmatch(name):
            raise BadRequest(
                f"bad user name {name!r}: use lowercase letters, digits and _ . @ - "
                "(starting with a letter or digit, at most 64)"
            )
        if name in self.users:
            raise BadRequest(f"the user {name!r} exists already")
        user = User(
            name, role, hash_password(password) if password else "", os_user, time.time(), by
        )
        await self._store.write(
            (
                "INSERT INTO users (name, role, password_hash, os_user, created_at, created_by) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (user.name, user.role.value, user.password_hash, os_user, user.created_at, by),
            )
        )
        self.users[name] = user
        return user

    def user(self, name: str) -> User:
        """The user `name`; NotFound naming the users otherwise."""
        user = self.users.get(name)
        if user is None:
            known = ", ".join(sorted(self.users)) or "none"
            raise NotFound(f"no user named {name!r} (users: {known})")
        return user

    async def remove_user(self, name: str, *, by: str) -> int:
        """Remove a user and revoke their tokens and sessions; returns how many were revoked.
        The last Owner cannot be removed."""
        user = self.user(name)
        self._keep_an_owner(user, None)
        now = time.time()
        live = [c for c in self.credentials.values() if c.user == name and c.revoked_at is None]
        await self._store.write(
            ("DELETE FROM users WHERE name = ?", (name,)),
            ("DELETE FROM pipeline_shares WHERE user = ?", (name,)),
            (
                "UPDATE credentials SET revoked_at = ?, revoked_by = ? "
                "WHERE user = ? AND revoked_at IS NULL",
                (now, by, name),
            ),
        )
        del self.users[name]
        for credential in live:
            self.credentials[credential.id] = replace(credential, revoked_at=now, revoked_by=by)
        return len(live)

    async def set_role(self, name: str, role: Role) -> User:
        """Change a user's role (their tokens never exceed it). The last Owner stays one."""
        user = self.user(name)
        self._keep_an_owner(user, role)
        await self._store.write(("UPDATE users SET role = ? WHERE name = ?", (role.value, name)))
        self.users[name] = replace(user, role=role)
        return self.users[name]

    async def set_password(self, name: str, password: str) -> None:
        """Set (or with '' clear) a user's password."""
        user = self.user(name)
        hashed = hash_password(password) if password else ""
        await self._store.write(
            ("UPDATE users SET password_hash = ? WHERE name = ?", (hashed, name))
        )
        self.users[name] = replace(user, password_hash=hashed)

    def _keep_an_owner(self, user: User, new_role: Role | None) -> None:
        if user.role is not Role.OWNER or new_role is Role.OWNER:
            return
        if sum(u.role is Role.OWNER for u in self.users.values()) <= 1:
            raise BadRequest(
                f"{user.name!r} is the last owner: make another user owner first "
                "(omnix-agent user role NAME owner)"
            )

    # -- tokens and sessions -------------------------------------------------------------

    async def create_token(
        self,
        user: User,
        name: str,
        role: Role,
        expires_at: float | None,
        *,
        peer: str,
        pipelines: tuple[str, ...] = (),
    ) -> tuple[str, Credential]:
        """A new API token of `user`, at most as strong as their role and limited to
        `pipelines` when given; the text is returned once and never stored."""
        if role.rank > user.role.rank:
            raise BadRequest(
                f"a token cannot hold more than its user: {user.name} is {user.role}, "
                f"asked for {role}"
            )
        if not name.strip():
            raise BadRequest("a token needs a name (--name ci) to tell it apart in lists")
        return await self._issue(
            "token", user, name.strip(), role, expires_at, peer=peer, pipelines=pipelines
        )

    async def _issue(
        self,
        kind: str,
        user: User,
        name: str,
        role: Role,
        expires_at: float | None,
        *,
        peer: str,
        pipelines: tuple[str, ...] = (),
    ) -> tuple[str, Credential]:
        text, token_id = new_token(kind)
        parsed = parse_token(text)
        assert parsed is not None
        credential = Credential(
            token_id,
            kind,
            user.name,
            name,
            role,
            parsed.sha256,
            time.time(),
            expires_at,
            None,
            peer=peer,
            pipelines=tuple(sorted(set(pipelines))),
        )
        await self._store.write(
            (
                "INSERT INTO credentials (id, kind, user, name, role, sha256, created_at, "
                "expires_at, peer, pipelines_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    credential.id,
                    kind,
                    user.name,
                    name,
                    role.value,
                    credential.sha256,
                    credential.created_at,
                    expires_at,
                    peer,
                    json.dumps(list(credential.pipelines)),
                ),
            )
        )
        self.credentials[token_id] = credential
        return text, credential

    def listed(self, kind: str, user: str = "") -> list[Credential]:
        """Credentials of `kind`, of `user` when given, oldest first."""
        return sorted(
            (
                c
                for c in self.credentials.values()
                if c.kind == kind and (not user or c.user == user)
            ),
            key=lambda c: c.created_at,
        )

    def credential(self, credential_id: str, kind: str) -> Credential:
        """The token or session with this id (or its unique prefix); NotFound otherwise."""
        matches = [
            c
            for c in self.credentials.values()
            if c.kind == kind and c.id.startswith(credential_id)
        ]
        if len(matches) != 1 or not credential_id:
            what = "ambiguous" if matches else "unknown"
            raise NotFound(f"{what} {kind} id {credential_id!r}: `omnix token list` shows ids")
        return matches[0]

    async def revoke(self, credential: Credential, *, by: str) -> Credential:
        """Revoke a token or session (revoking twice is harmless)."""
        if credential.revoked_at is not None:
            return credential
        now = time.time()
        await self._store.write(
            (
                "UPDATE credentials SET revoked_at = ?, revoked_by = ? WHERE id = ?",
                (now, by, credential.id),
            )
        )
        revoked = replace(credential, revoked_at=now, revoked_by=by)
        self.credentials[credential.id] = revoked
        return revoked


def _user_name_for(os_user: str) -> str:
    name = re.sub(r"[^a-z0-9_.@-]", "-", os_user.lower()).strip("-") or "owner"
    return name if USER_NAME.fullmatch(name) else "owner"
