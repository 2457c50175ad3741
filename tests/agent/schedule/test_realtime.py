"""PipelineScheduler on the real AsyncIOScheduler and the real clock."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from omnix.agent.schedule.scheduler import PipelineScheduler
from omnix.shared.pipeline import Schedule


async def test_every_second_schedule_fires_on_time_for_real() -> None:
    fired: list[tuple[datetime, datetime]] = []  # (scheduled_for, called at)
    two_fires = asyncio.Event()
    scheduler: PipelineScheduler

    async def fire(pipeline: str, scheduled_for: datetime) -> None:
        fired.append((scheduled_for, datetime.now(UTC)))
        scheduler.run_finished(pipeline)  # the "run" ends at once
        if len(fired) == 2:
            two_fires.set()

    async def record_missed(pipeline: str, scheduled_for: datetime, reason: str) -> None:
        raise AssertionError(f"nothing should be missed, got {scheduled_for}: {reason}")

    scheduler = PipelineScheduler(fire, record_missed)
    started = datetime.now(UTC)
    scheduler.set_schedule("tick", Schedule(every_s=1.0), last_fire=None)
    await scheduler.start()
    try:
        await asyncio.wait_for(two_fires.wait(), timeout=5)
    finally:
        await scheduler.shutdown()

    (first, first_called), (second, _) = fired[:2]
    assert second - first == timedelta(seconds=1)
    assert timedelta(seconds=0.9) < first - started < timedelta(seconds=1.1)
    assert timedelta(0) <= first_called - first < timedelta(seconds=0.5)
