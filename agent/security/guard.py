"""The security core of one agent: who is calling, whether the policy lets them, and the
audit row for every change and every refusal. The gRPC interceptor (`omnix.agent.api.auth`)
only translates between this and gRPC.
"""

from __future__ import annotations

import getpass
import hmac
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from omnix.agent.errors import (
    EntitlementError,
    Forbidden,
    TooManyAttempts,
    Unauthenticated,
    Unavailable,
)
from omnix.agent.security.audit import AuditLog
from omnix.agent.security.credentials import Principal
from omnix.agent.security.directory import AuthFailure, Credential, Directory, User
from omnix.agent.security.masking import Masker
from omnix.agent.security.roles import (
    Permission,
    Role,
    Rule,
    allows,
    rule_for,
    weakest_role_with,
)
from omnix.agent.security.sharing import Sharing
from omnix.agent.security.vault import SecretInfo, Vault
from omnix.agent.store.db import Store
from omnix.shared.tiers import Feature

if TYPE_CHECKING:
    from omnix.agent.security.sso import OidcProvider

log = logging.getLogger(__name__)

LOGIN_FAILURES = 5
LOGIN_WINDOW_S = 300.0
"""After `LOGIN_FAILURES` wrong passwords for one user within this window, logins as that
user are refused until the window has passed."""


class TierChecks(Protocol):
    """What security asks of the license in force (omnix.agent.licensing.entitlements)."""

    def check_add_user(self, user_count: int) -> None:
        """Raise when one more user exceeds the users or seats."""

    def require(self, feature: Feature) -> None:
        """Raise when the tier lacks `feature`."""


@dataclass(frozen=True, slots=True)
class Denial:
    """A refused call: `unauthenticated` (no valid identity) or not permitted."""

    unauthenticated: bool
    message: str


class Security:
    """Users, credentials, secrets and the audit log of one agent, and the policy check."""

    def __init__(
        self,
        store: Store,
        state_dir: Path,
        *,
        entitlements: Callable[[], Awaitable[TierChecks]],
        admin_token: str = "",
        master_key_file: str = "",
        session_idle_s: float = 8 * 3600.0,
        session_max_s: float = 7 * 86400.0,
        sso: Mapping[str, Any] | None = None,
        source: str = "",
    ) -> None:
        self._store = store
        self._state_dir = state_dir
        self.entitlements = entitlements
        self._admin_token = admin_token.encode()
        self._master_key_file = master_key_file
        self._session_idle_s = session_idle_s
        self._session_max_s = session_max_s
        self.os_user = getpass.getuser()
        self.directory: Directory | None = None
        self.audit: AuditLog | None = None
        self._sharing: Sharing | None = None
        self._vault: Vault | None = None
        self._failed_logins: dict[str, list[float]] = {}
        self._sso: OidcProvider | None = None
        if sso:
            # Imported only when configured: JOSE stays out of an agent that needs none.
            from omnix.agent.security.sso import OidcProvider, SsoSettings

            self._sso = OidcProvider(SsoSettings.parse(sso, f"{source or 'config'}: [sso]"))

    async def open(self) -> None:
        """Load users, credentials and the audit chain (the vault opens on first use, or now
        when secrets exist)."""
        self.directory = await Directory.open(
            self._store,
            owner=self.os_user,
            session_idle_s=self._session_idle_s,
            session_max_s=self._session_max_s,
        )
        self._sharing = await Sharing.open(self._store, default_owner=self.directory.owner().name)
        self.audit = await AuditLog.open(self._store, self._state_dir)
        row = await self._store.fetch_one("SELECT COUNT(*) AS n FROM secret_keys")
        if row is not None and row["n"]:
            await self.vault()

    async def vault(self) -> Vault:
        """The secrets (made, with the master key, on first use)."""
        if self._vault is None:
            self._vault = await Vault.open(self._store, self._state_dir, self._master_key_file)
        return self._vault

    def secret(self, name: str) -> str | None:
        """A secret's value for a node (None when not set): the engine's resolver."""
        return self._vault.get(name) if self._vault is not None else None

    def masker(self, names: set[str]) -> Masker:
        """A masker for the secrets named (those that are set)."""
        values = [value for name in names if (value := self.secret(name)) is not None]
        return Masker(values)

    # -- the policy ----------------------------------------------------------------------

    def identify(self, token: str, *, local: bool) -> Principal | Denial | None:
        """Who a call is from: its bearer token, or for the unix socket without a token the
        agent's own OS user. None: no identity (a TCP call without a token)."""
        assert self.directory is not None
        if token:
            if self._admin_token and hmac.compare_digest(token.encode(), self._admin_token):
                owner = self.directory.owner()
                return Principal(owner.name, owner.role, "admin-token")
            try:
                return self.directory.authenticate(token)
            except AuthFailure as exc:
                return Denial(True, f"{exc}: log in again with `omnix login`, or use another token")
        if local:
            user = self.directory.local_user(self.os_user)
            if user is None:
                return Denial(
                    True,
                    f"the agent's OS user {self.os_user!r} is no Omnix user: send a token "
                    "(OMNIX_TOKEN) or `omnix login`",
                )
            return Principal(user.name, user.role, "socket")
        return None

    @staticmethod
    def authorize(method: str, caller: Principal | None) -> tuple[Rule | None, Denial | None]:
        """The method's rule, and the refusal when `caller` may not call it."""
        rule = rule_for(method)
        if rule is None:
            return None, Denial(False, f"{method} is in no policy: refused")
        if rule.permission is Permission.PUBLIC:
            return rule, None
        if caller is None:
            return rule, Denial(
                True,
                "no token sent: TCP clients send 'authorization: Bearer <token>' (`omnix "
                "login`, an API token in OMNIX_TOKEN, or the agent's admin.token)",
            )
        if not allows(caller.role, rule.permission):
            needs = weakest_role_with(rule.permission)
            return rule, Denial(
                False,
                f"{caller.user} ({caller.role}) may not {rule.permission.value}: "
                f"{method.rsplit('/', 1)[-1]} needs the {needs} role or higher",
            )
        return rule, None

    async def record(
        self,
        caller: Principal | None,
        method: str,
        *,
        peer: str,
        result: str,
        target: str = "",
        detail: str = "",
    ) -> None:
        """Append an audit row (raises when it cannot be written)."""
        assert self.audit is not None
        await self.audit.append(
            actor=caller.user if caller else "-",
            via=(f"{caller.via} {caller.credential}".strip() if caller else "none"),
            peer=peer,
            action=method.rsplit("/", 1)[-1],
            target=target,
            result=result,
            detail=detail,
        )

    # -- logins --------------------------------------------------------------------------

    def check_login_rate(self, user: str) -> float:
        """Seconds until `user` may try again (0: now)."""
        now = time.monotonic()
        recent = [t for t in self._failed_logins.get(user, []) if now - t < LOGIN_WINDOW_S]
        self._failed_logins[user] = recent
        if len(recent) < LOGIN_FAILURES:
            return 0.0
        return LOGIN_WINDOW_S - (now - recent[0])

    def login_failed(self, user: str) -> None:
        """Count a wrong password for `user`."""
        self._failed_logins.setdefault(user, []).append(time.monotonic())

    # -- account operations (the SecurityService's logic) --------------------------------

    @property
    def accounts(self) -> Directory:
        """The users and credentials (once `open` has run)."""
        assert self.directory is not None
        return self.directory

    @property
    def sharing(self) -> Sharing:
        """Pipeline owners and shares (once `open` has run)."""
        assert self._sharing is not None
        return self._sharing

    def _directory(self) -> Directory:
        return self.accounts

    async def remove_user(self, name: str, *, by: str) -> int:
        """Remove a user, their shares, and revoke their credentials (how many)."""
        revoked = await self._directory().remove_user(name, by=by)
        self.sharing.user_removed(name)
        return revoked

    async def login(self, user: str, password: str, *, peer: str) -> tuple[str, Credential, User]:
        """A session token for a correct password; Unauthenticated otherwise."""
        wait = self.check_login_rate(user)
        if wait > 0:
            raise TooManyAttempts(
                f"too many wrong passwords for {user!r}: try again in {wait:.0f} s"
            )
        try:
            token, session = await self._directory().login(user, password, peer=peer)
        except AuthFailure as exc:
            self.login_failed(user)
            raise Unauthenticated(str(exc)) from None
        return token, session, self._directory().user(user)

    async def sso(self) -> OidcProvider:
        """The SSO provider; Unavailable (the agent is not set up for it, whoever asks)
        below Business or when none is configured."""
        try:
            (await self.entitlements()).require(Feature.SSO)
        except EntitlementError as exc:
            raise Unavailable(f"SSO is not available on this agent: {exc}") from None
        if self._sso is None:
            raise Unavailable(
                "SSO is not set up on this agent: add an [sso] table (issuer, client_id, "
                "roles) to agent.toml, see docs/security.md"
            )
        return self._sso

    async def login_sso(self, id_token: str, *, peer: str) -> tuple[str, Credential, User]:
        """A session for the user an ID token proves, made or updated with the role its
        claims map to (a new user counts against the seats)."""
        identity = await (await self.sso()).verify(id_token)
        directory = self._directory()
        user = directory.users.get(identity.user)
        if user is None:
            user = await self.add_user(identity.user, identity.role, "", by="sso")
        elif user.role is not identity.role and user.role is not Role.OWNER:
            user = await directory.set_role(user.name, identity.role)
        token, session = await directory.open_session(user, "sso", peer=peer)
        return token, session, user

    async def add_user(self, name: str, role: Role, password: str, *, by: str) -> User:
        """Add a user within the license's users and seats."""
        directory = self._directory()
        (await self.entitlements()).check_add_user(len(directory.users))
        return await directory.add_user(name, role, password=password, by=by)

    def may(self, caller: Principal, permission: Permission) -> bool:
        """Whether `caller` holds `permission`."""
        return allows(caller.role, permission)

    def owned_token(self, caller: Principal, token_id: str) -> Credential:
        """A token the caller may manage: their own, or anyone's for an admin."""
        credential = self._directory().credential(token_id, "token")
        if credential.user != caller.user and not self.may(caller, Permission.MANAGE_USERS):
            raise Forbidden(f"the token {credential.id} is not yours; an admin can revoke it")
        return credential

    def check_role_change(self, caller: Principal, role: Role, target: User | None) -> None:
        """Only an Owner makes or unmakes Owners (an Admin manages everyone else)."""
        touches_owner = role is Role.OWNER or (target is not None and target.role is Role.OWNER)
        if touches_owner and caller.role is not Role.OWNER:
            raise Forbidden(f"{caller.user} ({caller.role}) may not make or change an owner")

    async def set_secret(self, name: str, value: str, *, by: str) -> SecretInfo:
        """Set a secret (Team and up)."""
        (await self.entitlements()).require(Feature.SECRETS)
        return await (await self.vault()).set(name, value, by=by)
