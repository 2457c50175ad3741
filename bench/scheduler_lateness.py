"""Scheduler benchmarks: firing lateness on the real AsyncIOScheduler, and cron arithmetic cost.

    .venv/bin/python bench/scheduler_lateness.py [--seconds 30] [--period 0.02]

Lateness is the time from a fire time to the moment the `fire` callback runs, measured
with the real clock on an `every:` schedule. The floor is a bare asyncio timer
(`loop.call_later` aimed at the same wall-clock instants), i.e. what the event loop alone
costs. Cron arithmetic is compared with croniter's own naive `get_next` (our
CronExpression adds the DST mapping on top of it).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from datetime import UTC, datetime, timedelta

from croniter import croniter
from omnix.agent.schedule.scheduler import PipelineScheduler
from omnix.shared.cron import CronExpression
from omnix.shared.pipeline import Schedule


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def summary(name: str, samples_ms: list[float]) -> str:
    return (
        f"{name}: n={len(samples_ms)} p50={statistics.median(samples_ms):.2f} ms "
        f"p99={percentile(samples_ms, 99):.2f} ms max={max(samples_ms):.2f} ms"
    )


async def scheduler_lateness(seconds: float, period: float, pipelines: int = 1) -> list[float]:
    """Lateness (ms) of every fire of `pipelines` pipelines sharing one `every:` cadence."""
    lateness: list[float] = []
    missed: list[str] = []
    done = asyncio.Event()
    wanted = int(seconds / period) * pipelines
    scheduler: PipelineScheduler

    async def fire(pipeline: str, scheduled_for: datetime) -> None:
        lateness.append((datetime.now(UTC) - scheduled_for) / timedelta(milliseconds=1))
        scheduler.run_finished(pipeline)
        if len(lateness) >= wanted:
            done.set()

    async def record_missed(pipeline: str, scheduled_for: datetime, reason: str) -> None:
        # A wake-up later than the period makes the scheduler record the skipped time:
        # count it as a fire that was (at least) one period late.
        missed.append(reason)
        lateness.append(period * 1000)
        if len(lateness) >= wanted:
            done.set()

    scheduler = PipelineScheduler(fire, record_missed)
    anchor = datetime.now(UTC)
    for i in range(pipelines):
        scheduler.set_schedule(f"bench-{i}", Schedule(every_s=period), last_fire=anchor)
    await scheduler.start()
    try:
        await asyncio.wait_for(done.wait(), timeout=seconds * 2 + 10)
    finally:
        await scheduler.shutdown()
    if missed:
        print(f"  {len(missed)} fire time(s) recorded missed: {missed[0]}")
    return lateness


async def bare_timer_lateness(seconds: float, period: float) -> list[float]:
    loop = asyncio.get_running_loop()
    lateness: list[float] = []
    start = datetime.now(UTC)
    for k in range(1, int(seconds / period) + 1):
        target = start + k * timedelta(seconds=period)
        fired = loop.create_future()
        delay = (target - datetime.now(UTC)).total_seconds()
        loop.call_later(max(0.0, delay), fired.set_result, None)
        await fired
        lateness.append((datetime.now(UTC) - target) / timedelta(milliseconds=1))
    return lateness


def cron_cost(n: int = 20_000) -> tuple[float, float]:
    """Microseconds per next fire time: CronExpression (Europe/Berlin) vs raw croniter."""
    cron = CronExpression("*/5 * * * *", "Europe/Berlin")
    at = datetime(2026, 1, 1, tzinfo=UTC)
    begin = time.perf_counter()
    fires = cron.fire_times_after(at)
    for _ in range(n):
        next(fires)
    ours = (time.perf_counter() - begin) / n * 1e6
    walls = croniter("*/5 * * * *", datetime(2026, 1, 1))
    begin = time.perf_counter()
    for _ in range(n):
        walls.get_next(datetime)
    raw = (time.perf_counter() - begin) / n * 1e6
    return ours, raw


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--period", type=float, default=0.02)
    parser.add_argument("--burst", type=int, default=50, help="pipelines firing together")
    args = parser.parse_args()
    floor = await bare_timer_lateness(args.seconds, args.period)
    ours = await scheduler_lateness(args.seconds, args.period)
    print(summary("bare asyncio timer (floor)", floor))
    print(summary("PipelineScheduler fire", ours))
    print(f"p99 ratio to floor: {percentile(ours, 99) / percentile(floor, 99):.1f}x")
    burst = await scheduler_lateness(args.seconds, 1.0, args.burst)
    print(summary(f"{args.burst} pipelines firing together every 1 s", burst))
    ours_us, raw_us = cron_cost()
    print(
        f"next fire time: CronExpression {ours_us:.1f} us, raw croniter {raw_us:.1f} us "
        f"(ratio {ours_us / raw_us:.1f}x)"
    )


if __name__ == "__main__":
    asyncio.run(main())
