"""Requests that are not valid protobuf get INVALID_ARGUMENT, not gRPC's default UNKNOWN.

gRPC Python turns an exception in a request deserializer into UNKNOWN. This interceptor
wraps each handler's deserializer so undecodable bytes become a marker, and the handler
answers the marker with INVALID_ARGUMENT before any servicer code runs.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any

import grpc
from google.protobuf.message import DecodeError

if TYPE_CHECKING:
    _Interceptor = grpc.aio.ServerInterceptor[Any, Any]
    _Handler = grpc.RpcMethodHandler[Any, Any]
else:
    _Interceptor = grpc.aio.ServerInterceptor
    _Handler = grpc.RpcMethodHandler


class _Undecodable:
    """Stands in for a request whose bytes did not parse."""

    def __init__(self, error: Exception) -> None:
        self.message = f"the request is not a valid protobuf message for this method: {error}"


class DecodeErrorInterceptor(_Interceptor):
    """Maps undecodable requests to INVALID_ARGUMENT on every unary and server-stream method."""

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[_Handler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> _Handler:
        """Wrap the method's handler so undecodable requests get INVALID_ARGUMENT."""
        handler = await continuation(handler_call_details)
        if handler is None or handler.request_deserializer is None:
            return handler
        decode = handler.request_deserializer

        def tolerant(data: bytes) -> Any:
            try:
                return decode(data)
            except (DecodeError, UnicodeDecodeError, ValueError) as exc:
                return _Undecodable(exc)

        if handler.unary_unary is not None:
            unary: Any = handler.unary_unary  # an async function on a grpc.aio server

            async def checked_unary(
                request: Any, context: grpc.aio.ServicerContext[Any, Any]
            ) -> Any:
                if isinstance(request, _Undecodable):
                    await context.abort(grpc.StatusCode.INVALID_ARGUMENT, request.message)
                return await unary(request, context)

            return grpc.unary_unary_rpc_method_handler(
                checked_unary,
                request_deserializer=tolerant,
                response_serializer=handler.response_serializer,
            )
        if handler.unary_stream is not None:
            stream: Any = handler.unary_stream  # an async generator on a grpc.aio server

            async def checked_stream(
                request: Any, context: grpc.aio.ServicerContext[Any, Any]
            ) -> AsyncIterator[Any]:
                if isinstance(request, _Undecodable):
                    await context.abort(grpc.StatusCode.INVALID_ARGUMENT, request.message)
                async for item in stream(request, context):
                    yield item

            return grpc.unary_stream_rpc_method_handler(
                checked_stream,
                request_deserializer=tolerant,
                response_serializer=handler.response_serializer,
            )
        return handler
