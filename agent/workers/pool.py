"""A pool of warm workers: up to a bound, started on demand, dead ones replaced.

A worker killed by a timeout or a cancel is never handed out again; the pool starts a
replacement at once, so the next node finds a warm worker.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable

from omnix.agent.workers.process import WorkerProcess


class WorkerPool:
    """Up to `max_size` warm workers; more start on demand, dead ones are replaced, and
    workers idle for `idle_timeout` seconds are stopped (the most recently used one stays
    warm), so a burst of parallel nodes does not pin memory for the agent's lifetime."""

    def __init__(
        self,
        spawn: Callable[[], Awaitable[WorkerProcess]],
        max_size: int,
        *,
        idle_timeout: float = 300.0,
    ) -> None:
        self._spawn = spawn
        self._max_size = max(1, max_size)
        self._idle_timeout = idle_timeout
        self._idle_since: dict[WorkerProcess, float] = {}
        self._reaper: asyncio.TimerHandle | None = None
        self._idle: list[WorkerProcess] = []
        self._all: set[WorkerProcess] = set()
        self._starting = 0
        self._waiters: list[asyncio.Future[None]] = []
        self._spawns: set[asyncio.Task[None]] = set()
        self._closing: set[asyncio.Task[None]] = set()
        self._error: BaseException | None = None
        self._closed = False

    async def start(self) -> None:
        """Make sure one worker is warm; raise what spawning it raised."""
        if not self._all and not self._starting:
            self._starting += 1
            try:
                worker = await self._spawn()
            finally:
                self._starting -= 1
            self._add(worker)

    @contextlib.asynccontextmanager
    async def acquire(self) -> AsyncIterator[WorkerProcess]:
        """A worker for the caller alone; returned to the pool afterwards if it is still alive."""
        worker = await self._take()
        try:
            yield worker
        finally:
            self._give_back(worker)

    async def _take(self) -> WorkerProcess:
        while True:
            if self._closed:
                raise RuntimeError("the worker pool is closed")
            while self._idle:
                worker = self._idle.pop()
                self._idle_since.pop(worker, None)
                if worker.alive:
                    return worker
                self._all.discard(worker)
            # Start one more only when those already starting (a replacement of a killed
            # worker, say) are spoken for: waiting for one beats starting another.
            if len(self._all) + self._starting < self._max_size and self._starting <= len(
                self._waiters
            ):
                self._error = None
                self._starting += 1
                self._track(self._spawn_one(), self._spawns)
            waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            try:
                await waiter
            finally:
                with contextlib.suppress(ValueError):
                    self._waiters.remove(waiter)
            if self._error is not None and not self._idle:
                raise self._error

    async def _spawn_one(self) -> None:
        try:
            worker = await self._spawn()
        except BaseException as exc:
            self._starting -= 1
            self._error = exc
            for waiter in self._waiters:
                if not waiter.done():
                    waiter.set_result(None)
            if not isinstance(exc, Exception):
                raise
            return
        self._starting -= 1
        if self._closed:
            await worker.close()
            return
        self._add(worker)

    def _add(self, worker: WorkerProcess) -> None:
        self._all.add(worker)
        self._make_idle(worker)
        self._wake_one()

    def _make_idle(self, worker: WorkerProcess) -> None:
        self._idle.append(worker)
        loop = asyncio.get_running_loop()
        self._idle_since[worker] = loop.time()
        if self._reaper is None and len(self._idle) > 1:
            self._reaper = loop.call_later(self._idle_timeout, self._reap_on_timer)

    def _reap_on_timer(self) -> None:
        self._reaper = None
        self.reap_idle()
        if len(self._idle) > 1 and not self._closed:
            self._reaper = asyncio.get_running_loop().call_later(
                self._idle_timeout, self._reap_on_timer
            )

    def reap_idle(self, now: float | None = None) -> int:
        """Stop workers idle for `idle_timeout` or longer, except the most recently used
        one; return how many were stopped."""
        now = asyncio.get_running_loop().time() if now is None else now
        stale = [
            worker
            for worker in self._idle[:-1]
            if now - self._idle_since.get(worker, now) >= self._idle_timeout
        ]
        for worker in stale:
            self._idle.remove(worker)
            self._all.discard(worker)
            self._idle_since.pop(worker, None)
            self._track(worker.close(), self._closing)
        return len(stale)

    def _give_back(self, worker: WorkerProcess) -> None:
        if worker.alive and not self._closed:
            self._make_idle(worker)
            self._wake_one()
            return
        self._all.discard(worker)
        self._idle_since.pop(worker, None)
        self._track(worker.close(), self._closing)
        if not self._closed and len(self._all) + self._starting < self._max_size:
            # Replace a worker that was killed (timeout, cancel) so the next node finds one warm.
            self._starting += 1
            self._track(self._spawn_one(), self._spawns)
        self._wake_one()

    @staticmethod
    def _track(coroutine: Awaitable[None], tasks: set[asyncio.Task[None]]) -> None:
        task = asyncio.ensure_future(coroutine)
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    def _wake_one(self) -> None:
        for waiter in self._waiters:
            if not waiter.done():
                waiter.set_result(None)
                return

    @property
    def closed(self) -> bool:
        """Whether `close` was called: a closed pool hands out no more workers."""
        return self._closed

    @property
    def workers(self) -> list[WorkerProcess]:
        """Every worker process of the pool, busy or idle."""
        return list(self._all)

    @property
    def pids(self) -> list[int]:
        """Process ids of the live workers (for diagnostics and tests)."""
        return [worker.pid for worker in self._all if worker.alive]

    async def close(self) -> None:
        """Stop every worker and any still starting."""
        self._closed = True
        if self._reaper is not None:
            self._reaper.cancel()
            self._reaper = None
        for task in list(self._spawns):
            task.cancel()
        # Workers already being stopped are waited for, not interrupted half-way.
        await asyncio.gather(*self._spawns, *self._closing, return_exceptions=True)
        workers, self._all, self._idle = list(self._all), set(), []
        await asyncio.gather(*(worker.close() for worker in workers), return_exceptions=True)
        for waiter in self._waiters:
            if not waiter.done():
                waiter.set_result(None)
