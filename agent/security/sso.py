"""Single sign-on (Business and up): an OpenID Connect provider proves who the user is.

`omnix login --sso` runs the OAuth 2.0 device authorization grant (RFC 8628) against the
provider named in the agent's `[sso]` table and hands the agent the ID token it gets. The
agent trusts the token only after checking it with joserfc: the signature against the
provider's JWKS (fetched from its discovery document, fetched again once when a token names
a key it has not seen, as providers rotate keys), the issuer, the audience (the client id)
and the expiry. A claim (`groups` by default) maps to a role; a user with no mapped group
is refused, so the provider alone does not let anyone in.
"""

from __future__ import annotations

import asyncio
import json
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from joserfc import jwt
from joserfc.errors import DecodeError, InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet
from omnix.agent.errors import ConfigError, Forbidden, Unauthenticated, Unavailable
from omnix.agent.security.roles import Role

ALGORITHMS = ("RS256", "RS384", "RS512", "ES256", "ES384", "PS256")
LEEWAY_S = 60
"""Clock skew allowed between the agent and the provider."""
FETCH_TIMEOUT_S = 10.0
_TEXT_DEFAULTS = {
    "scopes": "openid profile email groups",
    "user_claim": "preferred_username",
    "role_claim": "groups",
}
SETTINGS = {"issuer", "client_id", "roles", *_TEXT_DEFAULTS}


@dataclass(frozen=True, slots=True)
class SsoSettings:
    """The agent's `[sso]` table."""

    issuer: str
    client_id: str
    roles: Mapping[str, Role]
    """Claim value (e.g. a group) to role; a user in several gets the strongest."""
    scopes: str = "openid profile email groups"
    user_claim: str = "preferred_username"
    role_claim: str = "groups"

    @classmethod
    def parse(cls, table: Mapping[str, Any], where: str) -> SsoSettings:
        """The settings of an `[sso]` table; ConfigError naming the key otherwise."""
        unknown = sorted(set(table) - SETTINGS)
        if unknown:
            raise ConfigError(f"{where}: unknown key {unknown[0]!r} (known: {sorted(SETTINGS)})")
        issuer, client_id = table.get("issuer", ""), table.get("client_id", "")
        if not isinstance(issuer, str) or not issuer.startswith(("https://", "http://")):
            raise ConfigError(f"{where}: issuer must be the provider's URL (https://...)")
        if not isinstance(client_id, str) or not client_id:
            raise ConfigError(f"{where}: client_id is empty: the client registered for Omnix")
        roles = table.get("roles", {})
        if not isinstance(roles, Mapping) or not roles:
            raise ConfigError(
                f'{where}: roles must map claim values to roles, e.g. roles = {{ "data-team" '
                '= "developer" }: without one nobody could log in'
            )
        try:
            mapped = {str(k): Role.parse(str(v)) for k, v in roles.items()}
        except ValueError as exc:
            raise ConfigError(f"{where}: roles: {exc}") from None
        text = {key: table.get(key, default) for key, default in _TEXT_DEFAULTS.items()}
        for key, value in text.items():
            if not isinstance(value, str) or not value:
                raise ConfigError(f"{where}: {key} must be a non-empty string")
        return cls(issuer.rstrip("/"), client_id, mapped, **text)


@dataclass(frozen=True, slots=True)
class Identity:
    """Who a valid ID token names, and the role their claims map to."""

    user: str
    role: Role
    subject: str
    claims: Mapping[str, Any] = field(default_factory=dict)


class OidcProvider:
    """The provider of the `[sso]` table: its endpoints and keys, fetched on first use."""

    def __init__(self, settings: SsoSettings) -> None:
        self.settings = settings
        self._discovery: dict[str, Any] | None = None
        self._keys: KeySet | None = None
        self._lock = asyncio.Lock()

    async def discovery(self) -> dict[str, Any]:
        """The provider's OpenID configuration (its issuer must be the one configured)."""
        async with self._lock:
            if self._discovery is None:
                url = f"{self.settings.issuer}/.well-known/openid-configuration"
                document = await _fetch_json(url)
                if str(document.get("issuer", "")).rstrip("/") != self.settings.issuer:
                    raise Unavailable(
                        f"{url} names the issuer {document.get('issuer')!r}, not "
                        f"{self.settings.issuer!r}: check [sso] issuer"
                    )
                for key in ("jwks_uri", "token_endpoint", "device_authorization_endpoint"):
                    if not document.get(key):
                        raise Unavailable(
                            f"{url} has no {key}: the provider must support the device "
                            "authorization grant (RFC 8628)"
                        )
                self._discovery = document
            return self._discovery

    async def _key_set(self, *, refresh: bool = False) -> KeySet:
        if self._keys is None or refresh:
            document = await self.discovery()
            published: Any = await _fetch_json(document["jwks_uri"])
            self._keys = KeySet.import_key_set(published)
        return self._keys

    async def verify(self, id_token: str, now: float | None = None) -> Identity:
        """The identity an ID token proves; Unauthenticated saying why it proves nothing,
        Forbidden when its claims map to no role."""
        settings = self.settings
        try:
            token = jwt.decode(id_token, await self._key_set(), algorithms=list(ALGORITHMS))
        except InvalidKeyIdError:
            # A key the agent has not seen: the provider may have rotated its keys.
            token = _decode(id_token, await self._key_set(refresh=True))
        except JoseError as exc:
            raise Unauthenticated(_why(exc)) from None
        moment = int(time.time() if now is None else now)
        registry = jwt.JWTClaimsRegistry(
            now=moment,
            leeway=LEEWAY_S,
            iss={"essential": True, "value": settings.issuer},
            aud={"essential": True, "value": settings.client_id},
            exp={"essential": True},
            sub={"essential": True},
        )
        try:
            registry.validate(token.claims)
        except JoseError as exc:
            raise Unauthenticated(
                f"the ID token does not hold: {exc.description or exc.error}"
            ) from None
        return identity_of(settings, token.claims)


def _decode(id_token: str, keys: KeySet) -> jwt.Token:
    try:
        return jwt.decode(id_token, keys, algorithms=list(ALGORITHMS))
    except JoseError as exc:
        raise Unauthenticated(_why(exc)) from None


def _why(exc: JoseError) -> str:
    if isinstance(exc, DecodeError):
        return "the ID token is not a signed JWT"
    if isinstance(exc, InvalidKeyIdError):
        return (
            f"the ID token is signed with a key the provider does not publish ({exc.description})"
        )
    return (
        f"the ID token's signature does not verify ({exc.error}: {exc.description or 'no detail'})"
    )


def identity_of(settings: SsoSettings, claims: Mapping[str, Any]) -> Identity:
    """The user name and the strongest role the claims map to."""
    name = claims.get(settings.user_claim)
    if not isinstance(name, str) or not name:
        raise Unauthenticated(
            f"the ID token has no {settings.user_claim!r} claim: set [sso] user_claim to "
            "one it has (e.g. email)"
        )
    values = claims.get(settings.role_claim, [])
    if isinstance(values, str):
        values = [values]
    roles = [settings.roles[v] for v in values if isinstance(v, str) and v in settings.roles]
    if not roles:
        mapped = ", ".join(sorted(settings.roles))
        raise Forbidden(
            f"{name} signed in, but none of their {settings.role_claim!r} ({', '.join(map(str, values)) or 'none'}) "
            f"maps to a role here (mapped: {mapped}): ask an admin to add them to a group"
        )
    return Identity(
        name.lower(), max(roles, key=lambda r: r.rank), str(claims.get("sub", "")), dict(claims)
    )


async def _fetch_json(url: str) -> dict[str, Any]:
    return await asyncio.to_thread(_fetch_json_sync, url)


def _fetch_json_sync(url: str) -> dict[str, Any]:
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=FETCH_TIMEOUT_S) as response:
            document = json.loads(response.read())
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise Unavailable(f"the SSO provider cannot be read at {url}: {exc}") from None
    if not isinstance(document, dict):
        raise Unavailable(f"{url} is not a JSON object")
    return document
