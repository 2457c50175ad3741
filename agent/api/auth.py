"""The one policy interceptor: every call on every listener is identified, checked against
the policy table (`omnix.agent.security.roles`) and, when it changes something or is
refused, written to the audit log before it runs (fail closed: no audit row, no change).

Health checks and reflection stay open so load balancers and grpcurl can probe the agent;
they reveal nothing but liveness and the public schema. On the unix socket a call without a
token is the agent's own OS user (the socket is mode 0600 in a 0700 state dir); on TCP a
call needs a bearer token. Refusals are UNAUTHENTICATED (no valid identity) or
PERMISSION_DENIED (the role or the policy says no), never UNKNOWN.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any

import grpc
from omnix.agent.security.credentials import CALLER, Principal
from omnix.agent.security.guard import Denial, Security
from omnix.agent.security.roles import OPEN_PREFIXES, Permission

log = logging.getLogger(__name__)

TARGET_FIELDS = ("pipeline", "name", "run_id", "user", "id", "role")
"""Request fields an audit row names as its target (never values such as passwords)."""

if TYPE_CHECKING:
    _Interceptor = grpc.aio.ServerInterceptor[Any, Any]
    _Handler = grpc.RpcMethodHandler[Any, Any]
    Context = grpc.aio.ServicerContext[Any, Any]
else:
    _Interceptor = grpc.aio.ServerInterceptor
    _Handler = grpc.RpcMethodHandler
    Context = grpc.aio.ServicerContext


def bearer(metadata: Any) -> str:
    """The token of an `authorization: Bearer <token>` header ('' when none)."""
    for key, value in metadata or ():
        if key == "authorization":
            text = value if isinstance(value, str) else value.decode(errors="replace")
            return text[len("Bearer ") :].strip() if text.startswith("Bearer ") else text.strip()
    return ""


def audit_target(request: Any) -> str:
    """`pipeline=sales run_id=...`: the request's identifying fields."""
    descriptor = getattr(request, "DESCRIPTOR", None)
    if descriptor is None:
        return ""
    parts = []
    for name in TARGET_FIELDS:
        if name in descriptor.fields_by_name:
            value = getattr(request, name)
            if isinstance(value, str) and value:
                parts.append(f"{name}={value}")
    return " ".join(parts)


class PolicyInterceptor(_Interceptor):
    """Identifies, authorises and audits every call; `local` for the unix socket."""

    def __init__(self, security: Security, *, local: bool) -> None:
        self._security = security
        self._local = local

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[_Handler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> _Handler:
        """Wrap the method's handler in the policy check."""
        method = handler_call_details.method
        handler = await continuation(handler_call_details)
        if handler is None or method.startswith(OPEN_PREFIXES):
            # None: no such method; gRPC answers UNIMPLEMENTED.
            return handler
        token = bearer(handler_call_details.invocation_metadata)
        return _guarded(handler, _Check(self._security, method, token, self._local))


class _Check:
    """The decision for one call, made inside the call (where the peer is known)."""

    def __init__(self, security: Security, method: str, token: str, local: bool) -> None:
        self.security = security
        self.method = method
        self.token = token
        self.local = local
        self.caller: Principal | None = None
        self.change = False
        self.target = ""

    async def admit(self, request: Any, context: Context) -> None:
        """Return when the call may run; abort it (audited) otherwise."""
        security = self.security
        identity = security.identify(self.token, local=self.local)
        self.target = audit_target(request)
        peer = context.peer() or ""
        caller = identity if isinstance(identity, Principal) else None
        rule, denial = security.authorize(self.method, caller)
        public = rule is not None and rule.permission is Permission.PUBLIC
        if isinstance(identity, Denial) and not public:
            # A stale credential does not stop a login (the client may still hold one).
            await self._refuse(identity, None, peer, context)
        if denial is not None:
            await self._refuse(denial, caller, peer, context)
        assert rule is not None
        self.caller, self.change = caller, rule.change
        if rule.change:
            try:
                await security.record(
                    caller, self.method, peer=peer, result="allowed", target=self.target
                )
            except Exception as exc:
                log.exception("the audit log cannot be written")
                await context.abort(
                    grpc.StatusCode.UNAVAILABLE,
                    f"the audit log cannot be written ({exc}): nothing was changed",
                )

    async def _refuse(
        self, denial: Denial, caller: Principal | None, peer: str, context: Context
    ) -> None:
        try:
            await self.security.record(
                caller,
                self.method,
                peer=peer,
                result="unauthenticated" if denial.unauthenticated else "denied",
                target=self.target,
                detail=denial.message,
            )
        except Exception:
            log.exception("the audit log cannot be written (the call is refused anyway)")
        code = (
            grpc.StatusCode.UNAUTHENTICATED
            if denial.unauthenticated
            else grpc.StatusCode.PERMISSION_DENIED
        )
        await context.abort(code, denial.message)

    async def failed(self, context: Context, exc: BaseException) -> None:
        """Audit the outcome of a change that did not succeed."""
        if not self.change:
            return
        code = _code_of(context, exc)
        details = ""
        try:
            details = context.details() or ""
        except Exception:
            details = ""
        try:
            await self.security.record(
                self.caller,
                self.method,
                peer=context.peer() or "",
                result=f"failed: {code}",
                target=self.target,
                detail=str(details)[:500],
            )
        except Exception:
            log.exception("the audit log cannot be written")


def _code_of(context: Context, exc: BaseException) -> str:
    try:
        code = context.code()
    except Exception:
        code = None
    if isinstance(code, grpc.StatusCode):
        return code.name
    return (
        "CANCELLED"
        if isinstance(exc, BaseException) and not isinstance(exc, Exception)
        else "INTERNAL"
    )


def _guarded(handler: _Handler, check: _Check) -> _Handler:
    if handler.unary_unary is not None:
        inner_unary: Any = handler.unary_unary

        async def unary_unary(request: Any, context: Context) -> Any:
            await check.admit(request, context)
            token = CALLER.set(check.caller)
            try:
                return await inner_unary(request, context)
            except BaseException as exc:
                await check.failed(context, exc)
                raise
            finally:
                CALLER.reset(token)

        return grpc.unary_unary_rpc_method_handler(
            unary_unary,
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )
    if handler.unary_stream is not None:
        inner_stream: Any = handler.unary_stream

        async def unary_stream(request: Any, context: Context) -> AsyncIterator[Any]:
            await check.admit(request, context)
            token = CALLER.set(check.caller)
            try:
                async for item in inner_stream(request, context):
                    yield item
            except BaseException as exc:
                await check.failed(context, exc)
                raise
            finally:
                with contextlib.suppress(ValueError):  # resumed in another context
                    CALLER.reset(token)

        return grpc.unary_stream_rpc_method_handler(
            unary_stream,
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )
    # Client-streaming methods: none exist; refuse rather than pass one unchecked.
    return _refusing(handler)


def _refusing(handler: _Handler) -> _Handler:
    async def refuse(request: Any, context: Context) -> Any:
        await context.abort(
            grpc.StatusCode.PERMISSION_DENIED, "streaming requests are in no policy"
        )

    return grpc.unary_unary_rpc_method_handler(
        refuse,
        request_deserializer=handler.request_deserializer,
        response_serializer=handler.response_serializer,
    )
