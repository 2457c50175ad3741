"""UsageService: usage records summed per pipeline, node, day, agent, language or run."""

from __future__ import annotations

from typing import Any

import grpc
from omnix.agent.api import access
from omnix.agent.api.errors import unary
from omnix.agent.daemon import Daemon
from omnix.agent.errors import BadRequest
from omnix.agent.metrics.cost import cost
from omnix.agent.store.metering import Grouping
from omnix.v1 import usage_pb2

Context = grpc.aio.ServicerContext[Any, Any]

_GROUPINGS: dict[int, Grouping] = {
    usage_pb2.USAGE_GROUPING_UNSPECIFIED: "pipeline",
    usage_pb2.USAGE_GROUPING_PIPELINE: "pipeline",
    usage_pb2.USAGE_GROUPING_NODE: "node",
    usage_pb2.USAGE_GROUPING_DAY: "day",
    usage_pb2.USAGE_GROUPING_AGENT: "agent",
    usage_pb2.USAGE_GROUPING_LANG: "lang",
    usage_pb2.USAGE_GROUPING_RUN: "run",
}
KEY_NAMES: dict[Grouping, list[str]] = {
    "pipeline": ["pipeline"],
    "node": ["pipeline", "node"],
    "day": ["day"],
    "agent": ["agent"],
    "lang": ["lang"],
    "run": ["run", "pipeline"],
}


class UsageServicer:
    """The servicer; registered with the generated add_*_to_server function."""

    def __init__(self, daemon: Daemon) -> None:
        self._daemon = daemon

    @unary
    async def GetUsage(
        self, request: usage_pb2.GetUsageRequest, context: Context
    ) -> usage_pb2.GetUsageResponse:
        try:
            grouping = _GROUPINGS[request.group_by]
        except KeyError:
            raise BadRequest(f"group_by {request.group_by} is not a UsageGrouping") from None
        if request.since and request.until and request.until < request.since:
            raise BadRequest("the range ends before it starts: give --since before --until")
        totals = await self._daemon.usage(
            grouping,
            request.since or None,
            request.until or None,
            access.pipelines(self._daemon),
        )
        prices = self._daemon.config.price_table()
        return usage_pb2.GetUsageResponse(
            key_names=KEY_NAMES[grouping],
            currency=prices.currency if prices is not None else "",
            priced=prices is not None,
            rows=[
                usage_pb2.UsageRow(
                    key=list(total.key),
                    runs=total.runs,
                    attempts=total.attempts,
                    failed_attempts=total.failed_attempts,
                    wall_ms=total.wall_ms,
                    queue_wait_ms=total.queue_wait_ms,
                    cpu_ms=total.cpu_ms,
                    peak_rss_bytes=total.peak_rss_bytes,
                    bytes_in=total.bytes_in,
                    bytes_out=total.bytes_out,
                    log_bytes=total.log_bytes,
                    memory_byte_ms=total.memory_byte_ms,
                    rows_in=total.rows_in,
                    rows_out=total.rows_out,
                    cost="" if prices is None else str(cost(total, prices)),
                )
                for total in totals
            ],
        )
