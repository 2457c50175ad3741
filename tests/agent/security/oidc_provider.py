"""A real OpenID Connect provider with the device authorization grant (RFC 8628), built with
Authlib's Flask integration and served by Werkzeug on loopback in a thread.

It publishes a discovery document and a JWKS, issues device and user codes, answers the
token endpoint's polls with `authorization_pending` until a test approves (or denies) the
user code, then issues an access token and an RS256-signed ID token for the approving user.
`mint` signs ID tokens with chosen claims for the attack tests.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any, ClassVar

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import ClientMixin
from authlib.oauth2.rfc8628 import (
    DeviceAuthorizationEndpoint,
    DeviceCodeGrant,
    DeviceCredentialDict,
)
from flask import Flask, jsonify, request
from joserfc import jwt
from joserfc.jwk import Key, KeySet, RSAKey
from werkzeug.serving import BaseWSGIServer, make_server

CLIENT_ID = "omnix-cli"


class _Client(ClientMixin):  # type: ignore[misc]
    """A public client allowed the device grant (no secret: a terminal cannot keep one)."""

    def get_client_id(self) -> str:
        return CLIENT_ID

    def get_allowed_scope(self, scope: str) -> str:
        return scope

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method == "none"

    def check_grant_type(self, grant_type: str) -> bool:
        return bool(grant_type == DeviceCodeGrant.GRANT_TYPE)

    def check_client_secret(self, client_secret: str) -> bool:
        return False


@dataclass
class Provider:
    """The provider's state; `url` is its issuer."""

    url: str = ""
    key: RSAKey = field(default_factory=lambda: RSAKey.generate_key(2048, parameters={"kid": "k1"}))
    users: dict[str, list[str]] = field(default_factory=dict)
    """User name to groups."""
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Device code to its DeviceCredentialDict data."""
    grants: dict[str, tuple[str, bool]] = field(default_factory=dict)
    """User code to (user, approved)."""
    polls: int = 0
    _server: BaseWSGIServer | None = None
    published: list[RSAKey] = field(default_factory=list)

    def mint(self, user: str, *, key: RSAKey | None = None, **claims: Any) -> str:
        """An ID token for `user` (their groups), with `claims` overriding the defaults."""
        now = int(time.time())
        payload: dict[str, Any] = {
            "iss": self.url,
            "aud": CLIENT_ID,
            "sub": f"sub-{user}",
            "preferred_username": user,
            "groups": self.users.get(user, []),
            "iat": now,
            "exp": now + 300,
        }
        payload.update(claims)
        signer = key or self.key
        header = {"alg": "RS256", "kid": signer.kid}
        return jwt.encode(header, {k: v for k, v in payload.items() if v is not None}, signer)

    def approve(self, user_code: str, user: str, *, approved: bool = True) -> None:
        """What the user does in the browser: approve (or deny) the code."""
        self.grants[user_code] = (user, approved)

    def rotate(self) -> RSAKey:
        """Sign with a new key, publishing it beside the old one."""
        self.key = RSAKey.generate_key(2048, parameters={"kid": f"k{len(self.published) + 1}"})
        self.published.append(self.key)
        return self.key

    # -- serving ---------------------------------------------------------------------------

    def start(self) -> None:
        self.published = [self.key]
        app = _app(self)
        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


def _app(provider: Provider) -> Flask:
    app = Flask("omnix-test-oidc")

    class Endpoint(DeviceAuthorizationEndpoint):  # type: ignore[misc]
        INTERVAL = 1
        EXPIRES_IN = 120
        CLIENT_AUTH_METHODS: ClassVar[list[str]] = ["none"]

        def get_verification_uri(self) -> str:
            return f"{provider.url}/device"

        def save_device_credential(self, client_id: str, scope: str, data: dict[str, Any]) -> None:
            provider.codes[data["device_code"]] = {
                **data,
                "client_id": client_id,
                "scope": scope,
                "expires_at": time.time() + self.EXPIRES_IN,
            }

    class Grant(DeviceCodeGrant):  # type: ignore[misc]
        TOKEN_ENDPOINT_AUTH_METHODS: ClassVar[list[str]] = ["none"]

        def query_device_credential(self, device_code: str) -> DeviceCredentialDict | None:
            provider.polls += 1
            data = provider.codes.get(device_code)
            return DeviceCredentialDict(data) if data else None

        def query_user_grant(self, user_code: str) -> tuple[str, bool] | None:
            return provider.grants.get(user_code)

        def should_slow_down(self, credential: Any) -> bool:
            return False

    def token_generator(
        grant_type: str,
        client: Any,
        user: str | None = None,
        scope: str | None = None,
        expires_in: int | None = None,
        include_refresh_token: bool = True,
    ) -> dict[str, Any]:
        assert user is not None
        return {
            "token_type": "Bearer",
            "access_token": secrets.token_urlsafe(24),
            "expires_in": 300,
            "scope": scope or "",
            "id_token": provider.mint(user),
        }

    server = AuthorizationServer(
        app, query_client=lambda _id: _Client(), save_token=lambda *a: None
    )
    server.register_token_generator("default", token_generator)
    server.register_grant(Grant)
    server.register_endpoint(Endpoint)

    @app.get("/.well-known/openid-configuration")
    def discovery() -> Any:
        return jsonify(
            issuer=provider.url,
            jwks_uri=f"{provider.url}/jwks",
            token_endpoint=f"{provider.url}/token",
            device_authorization_endpoint=f"{provider.url}/device_authorization",
            id_token_signing_alg_values_supported=["RS256"],
            grant_types_supported=[DeviceCodeGrant.GRANT_TYPE],
        )

    @app.get("/jwks")
    def jwks() -> Any:
        return jsonify(KeySet(list[Key](provider.published)).as_dict(private=False))

    @app.post("/device_authorization")
    def device_authorization() -> Any:
        return server.create_endpoint_response(Endpoint.ENDPOINT_NAME)

    @app.post("/token")
    def token() -> Any:
        return server.create_token_response()

    @app.post("/device")
    def device() -> Any:  # The browser page's form post, reduced to its effect.
        provider.approve(
            request.form["user_code"],
            request.form["user"],
            approved=request.form.get("approve", "yes") == "yes",
        )
        return jsonify(ok=True)

    return app
