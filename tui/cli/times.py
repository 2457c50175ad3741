"""Times on the command line: an ISO 8601 moment, or how long ago (`--since 2h`)."""

from __future__ import annotations

import time
from datetime import datetime

import click
from omnix.shared.duration import DurationError, parse_duration
from omnix.shared.listing import local_time

__all__ = ["Moment", "Since", "local_time"]


class Moment(click.ParamType[float]):
    """An ISO 8601 date or date and time; without an offset, in this machine's timezone."""

    name = "TIME"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> float:
        if isinstance(value, float):
            return value
        try:
            moment = datetime.fromisoformat(str(value))
        except ValueError:
            self.fail(
                f"{value!r} is not a date or time: write 2026-11-01 or 2026-11-01T06:00", param, ctx
            )
        return (moment if moment.tzinfo else moment.astimezone()).timestamp()


class Since(Moment):
    """A moment, or a duration back from now (`90m`, `2h`, `7d`)."""

    name = "TIME|AGO"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> float:
        if isinstance(value, float):
            return value
        try:
            return time.time() - parse_duration(str(value))
        except DurationError:
            return super().convert(value, param, ctx)
