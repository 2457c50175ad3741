"""One mapping from the agent's exceptions to gRPC status codes, applied to every RPC.

Clients must be able to act on the code, so nothing leaves as UNKNOWN: a bad request is
INVALID_ARGUMENT with the problems in the message, a missing thing NOT_FOUND, and a bug in
the agent INTERNAL (logged here with its traceback).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

import grpc
from omnix.agent.errors import (
    BadRequest,
    FeatureUnavailable,
    Forbidden,
    LimitExceeded,
    NotFound,
    ShuttingDown,
    TooLarge,
    TooManyAttempts,
    Unauthenticated,
    Unavailable,
)
from omnix.shared.pipeline import PipelineInvalid

log = logging.getLogger(__name__)

Req = TypeVar("Req")
Resp = TypeVar("Resp")


def _status_for(exc: BaseException) -> tuple[grpc.StatusCode, str]:
    if isinstance(exc, PipelineInvalid):
        return grpc.StatusCode.INVALID_ARGUMENT, f"the pipeline does not validate:\n{exc}"
    if isinstance(exc, BadRequest):
        return grpc.StatusCode.INVALID_ARGUMENT, str(exc)
    if isinstance(exc, NotFound):
        return grpc.StatusCode.NOT_FOUND, str(exc)
    if isinstance(exc, LimitExceeded):  # A quota of the tier in force (runs per day, ...).
        return grpc.StatusCode.RESOURCE_EXHAUSTED, str(exc)
    if isinstance(exc, TooLarge):
        return grpc.StatusCode.RESOURCE_EXHAUSTED, str(exc)
    if isinstance(exc, FeatureUnavailable):  # The license does not include it.
        return grpc.StatusCode.PERMISSION_DENIED, str(exc)
    if isinstance(exc, Unauthenticated):
        return grpc.StatusCode.UNAUTHENTICATED, str(exc)
    if isinstance(exc, Forbidden):
        return grpc.StatusCode.PERMISSION_DENIED, str(exc)
    if isinstance(exc, TooManyAttempts):
        return grpc.StatusCode.RESOURCE_EXHAUSTED, str(exc)
    if isinstance(exc, ShuttingDown):
        return grpc.StatusCode.UNAVAILABLE, str(exc)
    if isinstance(exc, Unavailable):
        return grpc.StatusCode.FAILED_PRECONDITION, str(exc)
    log.exception("internal error serving a request", exc_info=exc)
    return grpc.StatusCode.INTERNAL, f"internal error in the agent: {type(exc).__name__}: {exc}"


def unary(
    method: Callable[[Any, Req, grpc.aio.ServicerContext[Any, Any]], Awaitable[Resp]],
) -> Callable[[Any, Req, grpc.aio.ServicerContext[Any, Any]], Awaitable[Resp]]:
    """Wrap a unary servicer method so every exception becomes an explicit status."""

    @functools.wraps(method)
    async def wrapper(self: Any, request: Req, context: grpc.aio.ServicerContext[Any, Any]) -> Resp:
        try:
            return await method(self, request, context)
        except grpc.aio.AbortError:
            raise
        except Exception as exc:
            code, message = _status_for(exc)
            await context.abort(code, message)

    return wrapper


def streaming(
    method: Callable[[Any, Req, grpc.aio.ServicerContext[Any, Any]], AsyncIterator[Resp]],
) -> Callable[[Any, Req, grpc.aio.ServicerContext[Any, Any]], AsyncIterator[Resp]]:
    """Wrap a server-streaming servicer method like `unary`."""

    @functools.wraps(method)
    async def wrapper(
        self: Any, request: Req, context: grpc.aio.ServicerContext[Any, Any]
    ) -> AsyncIterator[Resp]:
        try:
            async for item in method(self, request, context):
                yield item
        except grpc.aio.AbortError:
            raise
        except Exception as exc:
            code, message = _status_for(exc)
            await context.abort(code, message)

    return wrapper
