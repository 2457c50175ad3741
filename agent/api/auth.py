"""The token check for TCP listeners: `authorization: Bearer <admin token>` on every call.

Health checks and reflection stay open so load balancers and grpcurl can probe the agent;
they reveal nothing but liveness and the public schema. The unix socket has no interceptor:
its file mode (0600, in a 0700 state dir) already limits it to the agent's user.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import grpc

OPEN_METHOD_PREFIXES = ("/grpc.health.v1.Health/", "/grpc.reflection.")


if TYPE_CHECKING:
    _Interceptor = grpc.aio.ServerInterceptor[Any, Any]
    _Handler = grpc.RpcMethodHandler[Any, Any]
else:
    _Interceptor = grpc.aio.ServerInterceptor
    _Handler = grpc.RpcMethodHandler


class TokenAuthInterceptor(_Interceptor):
    """Rejects calls without the admin token with UNAUTHENTICATED."""

    def __init__(self, token: str) -> None:
        self._expected = f"Bearer {token}".encode()

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[_Handler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> _Handler:
        """Pass calls with the admin token (and open methods); refuse the rest."""
        if handler_call_details.method.startswith(OPEN_METHOD_PREFIXES):
            return await continuation(handler_call_details)
        sent = ""
        for key, value in handler_call_details.invocation_metadata or ():
            if key == "authorization":
                sent = value if isinstance(value, str) else value.decode(errors="replace")
        handler = await continuation(handler_call_details)
        # None: no such method; let gRPC answer UNIMPLEMENTED.
        if handler is None or hmac.compare_digest(sent.encode(), self._expected):
            return handler
        return _denying(handler, "missing or wrong token" if sent else "no token sent")


def _denying(handler: _Handler, why: str) -> _Handler:
    message = (
        f"{why}: TCP clients must send 'authorization: Bearer <admin token>' "
        "(the token is in admin.token in the agent's state dir; OMNIX_TOKEN sets it)"
    )

    async def deny_unary(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
        await context.abort(grpc.StatusCode.UNAUTHENTICATED, message)

    async def deny_stream(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
        await context.abort(grpc.StatusCode.UNAUTHENTICATED, message)
        yield  # pragma: no cover - makes this an async generator

    if handler.unary_stream is not None:
        return grpc.unary_stream_rpc_method_handler(
            deny_stream,
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )
    return grpc.unary_unary_rpc_method_handler(
        deny_unary,
        request_deserializer=handler.request_deserializer,
        response_serializer=handler.response_serializer,
    )
