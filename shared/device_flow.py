"""The client side of the OAuth 2.0 device authorization grant (RFC 8628), for
`omnix login --sso`: ask the provider for a user code, show it, poll until the user has
approved (or denied, or the code expired), and return the ID token.

The polling follows section 3.5: wait `interval` seconds between requests (5 when the
provider names none), add 5 seconds on `slow_down`, keep going on
`authorization_pending`, stop on anything else.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

GRANT_TYPE = "urn:ietf:params:oauth:grant-type:device_code"
DEFAULT_INTERVAL_S = 5.0
SLOW_DOWN_S = 5.0
TIMEOUT_S = 15.0


class DeviceFlowError(Exception):
    """The sign-in did not complete; the message says why and what to do."""


@dataclass(frozen=True, slots=True)
class DeviceAuthorization:
    """What the user is shown, and what the client polls with."""

    device_code: str
    user_code: str
    verification_uri: str
    verification_uri_complete: str
    expires_in: float
    interval: float


def authorize(endpoint: str, client_id: str, scopes: str) -> DeviceAuthorization:
    """Step (A)/(B): a device code and a user code for `client_id`."""
    reply = _post(endpoint, {"client_id": client_id, "scope": scopes})
    try:
        return DeviceAuthorization(
            device_code=str(reply["device_code"]),
            user_code=str(reply["user_code"]),
            verification_uri=str(reply["verification_uri"]),
            verification_uri_complete=str(reply.get("verification_uri_complete", "")),
            expires_in=float(reply.get("expires_in", 600)),
            interval=float(reply.get("interval", DEFAULT_INTERVAL_S)),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise DeviceFlowError(f"{endpoint} answered without {exc}: is it RFC 8628?") from None


def poll(
    token_endpoint: str,
    client_id: str,
    grant: DeviceAuthorization,
    *,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> dict[str, Any]:
    """Steps (E)/(F): the token response once the user approved (it holds `id_token`)."""
    interval = max(grant.interval, 0.0)
    deadline = clock() + grant.expires_in
    form = {"grant_type": GRANT_TYPE, "device_code": grant.device_code, "client_id": client_id}
    while True:
        sleep(interval)
        reply = _post(token_endpoint, form, errors_ok=True)
        error = reply.get("error")
        if error is None:
            if not reply.get("id_token"):
                raise DeviceFlowError(
                    "the provider issued no ID token: the client's scopes must include openid"
                )
            return reply
        if error == "authorization_pending":
            pass
        elif error == "slow_down":
            interval += SLOW_DOWN_S
        elif error == "access_denied":
            raise DeviceFlowError("the sign-in was denied at the provider")
        elif error == "expired_token":
            raise DeviceFlowError("the code expired before it was approved: run the login again")
        else:
            detail = reply.get("error_description") or ""
            raise DeviceFlowError(f"the provider refused the sign-in: {error} {detail}".strip())
        if clock() >= deadline:
            raise DeviceFlowError("the code expired before it was approved: run the login again")


def _post(url: str, form: dict[str, str], *, errors_ok: bool = False) -> dict[str, Any]:
    data = urllib.parse.urlencode(form).encode()
    request = urllib.request.Request(
        url,
        data=data,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "application/json",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
            body = response.read()
    except urllib.error.HTTPError as exc:
        # Token errors come as 400 with a JSON body (RFC 6749 section 5.2).
        body = exc.read()
        if not errors_ok:
            raise DeviceFlowError(f"{url} answered HTTP {exc.code}: {body[:200]!r}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise DeviceFlowError(f"the SSO provider cannot be reached at {url}: {exc}") from None
    try:
        reply = json.loads(body)
    except ValueError:
        raise DeviceFlowError(f"{url} did not answer JSON: {body[:200]!r}") from None
    if not isinstance(reply, dict):
        raise DeviceFlowError(f"{url} did not answer a JSON object")
    return reply
