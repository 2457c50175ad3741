"""The run manager: queues runs, executes them through the engine, records every event in the
store and fans the events out to watchers, who join with the run's history from its start.

An event reaches watchers only after the store made it durable, so a watcher never sees a
state the agent could forget. Recovery at start (see `RunManager.start`): a run that was
running when the agent died is failed with reason "agent restarted" (its nodes may have had
side effects, so re-running them silently is wrong); a run that was still queued had not
started anything and is queued again.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
import uuid
from collections.abc import AsyncIterator, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from omnix.agent.errors import BadRequest, ShuttingDown
from omnix.agent.runs.bundles import files_key, parse_bundle
from omnix.agent.store import metering
from omnix.agent.store import runs as records
from omnix.agent.store.db import Op, Store
from omnix.agent.store.metering import NodeUsage
from omnix.agent.store.outputs import OutputFiles
from omnix.agent.store.runs import NodeRecord, RunRecord, SequencedEvent
from omnix.shared.events import NodeStateChanged, RunEvent, RunStateChanged
from omnix.shared.outputs import KeepOutputs
from omnix.shared.pipeline import Pipeline, PipelineInvalid
from omnix.shared.rundoc import RunDocument
from omnix.shared.status import NodeStatus, RunStatus

log = logging.getLogger(__name__)

AGENT_RESTARTED = "agent restarted"
CANCELLED_BY_USER = "cancelled by user"
CANCELLED_BY_STOP = "the agent stopped and its drain grace period was over"


RunObserver = Callable[[Pipeline, str, "float | None", RunEvent], None]
"""Sees each durable event of a run: (pipeline, trigger, scheduled time, event)."""


class PipelineRunner(Protocol):
    """What the run manager and the daemon need of `omnix.agent.runs.engine.Engine`: run a
    pipeline, start a language's workers ahead of the first run, stop every worker."""

    async def warm(self, language: str) -> None: ...

    async def close(self) -> None: ...

    async def run(
        self,
        pipeline: Pipeline,
        *,
        params: Mapping[str, Any] | None = None,
        run_id: str | None = None,
        on_event: Callable[[RunEvent], None] | None = None,
        cancel: asyncio.Event | None = None,
        include_outputs: bool | Collection[str] = True,
        outputs_as_text: bool = False,
        output_files: OutputFiles | None = None,
        on_usage: Callable[[NodeUsage], None] | None = None,
    ) -> RunDocument: ...


@dataclass(eq=False)
class _ActiveRun:
    """A run that is queued or running: its durable history and its watchers."""

    run_id: str
    pipeline: Pipeline
    params: dict[str, Any]
    next_seq: int
    trigger: str = "manual"
    scheduled_for: float | None = None
    keep_outputs: KeepOutputs = KeepOutputs.FINAL
    output_nodes: tuple[str, ...] = ()
    observer: RunObserver | None = None
    history: list[SequencedEvent] = field(default_factory=list)
    watchers: set[asyncio.Queue[SequencedEvent | None]] = field(default_factory=set)
    cancel: asyncio.Event = field(default_factory=asyncio.Event)
    done: asyncio.Event = field(default_factory=asyncio.Event)
    started: bool = False
    cancel_reason: str | None = None
    """Why `cancel` was set, recorded as the run's reason instead of the engine's."""

    def publish(self, item: SequencedEvent) -> None:
        """Append a durable event to the history and hand it to every watcher."""
        self.history.append(item)
        if self.observer is not None:
            try:
                self.observer(self.pipeline, self.trigger, self.scheduled_for, item[1])
            except Exception:  # Counting must never disturb a run.
                log.exception("a run observer failed on run %s", self.run_id)
        for queue in self.watchers:
            queue.put_nowait(item)

    def finish(self) -> None:
        """Mark the run over and end every watcher's stream."""
        if self.done.is_set():
            return
        self.done.set()
        for queue in self.watchers:
            queue.put_nowait(None)


def new_run_id() -> str:
    """Sortable by creation time (hex milliseconds), then random."""
    return f"{int(time.time() * 1000):011x}{uuid.uuid4().hex[:13]}"


class RunManager:
    """Queues, executes, records, streams and cancels runs. `await start()` before use."""

    def __init__(
        self,
        store: Store,
        engine: PipelineRunner,
        *,
        max_concurrent_runs: int = 4,
        on_finished: Callable[[str, str], None] | None = None,
        observer: RunObserver | None = None,
    ):
        """`observer` sees every run event once it is durable (metrics count them)."""
        self._store = store
        self._observer = observer
        self._on_finished = on_finished
        self._engine = engine
        self._max_concurrent = max_concurrent_runs
        self._active: dict[str, _ActiveRun] = {}
        self._queue: asyncio.Queue[str] = asyncio.Queue()
        self._workers: list[asyncio.Task[None]] = []
        self._accepting = True

    @property
    def running(self) -> int:
        """Runs executing now."""
        return sum(1 for run in self._active.values() if run.started and not run.done.is_set())

    def is_active(self, run_id: str) -> bool:
        """Whether `run_id` (a full id) is a run this manager has queued or is running."""
        return run_id in self._active

    def active_ids(self, prefix: str) -> list[str]:
        """The queued or running runs whose ids start with `prefix`."""
        return [run_id for run_id in self._active if run_id.startswith(prefix)]

    @property
    def queued(self) -> int:
        """Runs waiting for a run worker."""
        return sum(1 for run in self._active.values() if not run.started)

    async def start(self, *, recover: bool = True) -> None:
        """Recover runs left in flight by a previous agent (unless `recover` is False: an
        in-process run beside a live agent), then start the workers."""
        if recover:
            for run in await records.runs_in_status(self._store, [RunStatus.RUNNING]):
                await self._fail_interrupted(run)
            for run in await records.runs_in_status(self._store, [RunStatus.QUEUED]):
                await self._requeue(run)
        self._workers = [
            asyncio.create_task(self._worker(), name=f"omnix-run-worker-{i}")
            for i in range(self._max_concurrent)
        ]

    async def submit(
        self,
        pipeline: Pipeline,
        *,
        version: int = 0,
        params: Mapping[str, Any] | None = None,
        trigger: str = "manual",
        scheduled_for: float | None = None,
        files: Mapping[str, str] | None = None,
        keep_outputs: KeepOutputs = KeepOutputs.FINAL,
        output_nodes: Sequence[str] = (),
        started_by: str = "",
    ) -> RunRecord:
        """Queue a run; returns once the queued run is durable. `files` are those the
        pipeline's `file:` nodes name, kept so a queued run can be validated again;
        `keep_outputs` says which node outputs are turned into JSON and stored, unless
        `output_nodes` (nodes of `pipeline`) names them."""
        if not self._accepting:
            raise ShuttingDown("the agent is shutting down and accepts no new runs")
        merged = {**pipeline.params, **(params or {})}
        record = RunRecord(
            run_id=new_run_id(),
            pipeline=pipeline.name,
            version=version,
            status=RunStatus.QUEUED,
            params=merged,
            trigger=trigger,
            created_at=time.time(),
            source=pipeline.source,
            source_path=pipeline.path,
            scheduled_for=scheduled_for,
            nodes=[NodeRecord(node.id, NodeStatus.PENDING) for node in pipeline.nodes],
            files=dict(files or {}),
            keep_outputs=keep_outputs,
            output_nodes=tuple(output_nodes),
            started_by=started_by,
        )
        active = _ActiveRun(
            record.run_id,
            pipeline,
            merged,
            next_seq=2,
            trigger=trigger,
            scheduled_for=scheduled_for,
            keep_outputs=keep_outputs,
            output_nodes=tuple(output_nodes),
            observer=self._observer,
        )
        queued = RunStateChanged(record.run_id, RunStatus.QUEUED, record.created_at)
        ops = [*records.insert_run_ops(record), *records.event_ops(1, queued)]
        # Known before it is durable, so a watcher that finds the run listed never mistakes
        # it for a finished one; it still sees only durable events.
        self._active[record.run_id] = active
        try:
            await self._store.submit(ops, on_durable=lambda: active.publish((1, queued)))
        except BaseException:
            self._active.pop(record.run_id, None)
            active.finish()
            raise
        self._queue.put_nowait(record.run_id)
        return record

    async def cancel(self, run_id: str, *, wait_s: float = 5.0) -> RunRecord:
        """Cancel a queued or running run and wait (bounded) until it is recorded as over."""
        active = self._active.get(run_id)
        if active is not None and not active.done.is_set():
            active.cancel_reason = active.cancel_reason or CANCELLED_BY_USER
            active.cancel.set()
            if not active.started:
                await self._finish_unstarted(active, RunStatus.CANCELLED, CANCELLED_BY_USER)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(active.done.wait(), wait_s)
        return await records.get_run(self._store, run_id, with_outputs=False)

    async def watch(self, run_id: str, *, follow: bool = True) -> AsyncIterator[SequencedEvent]:
        """The run's events from its start; live ones follow until the run is over (unless
        `follow` is False: then only what is recorded so far)."""
        active = self._active.get(run_id)
        if active is None:
            await records.get_run(self._store, run_id, with_outputs=False)  # NotFound
            active = self._active.get(run_id)
        if active is None:  # Over: everything is in the store.
            for item in await records.load_events(self._store, run_id):
                yield item
            return
        queue: asyncio.Queue[SequencedEvent | None] = asyncio.Queue()
        snapshot = list(active.history)
        finished = active.done.is_set()
        active.watchers.add(queue)
        try:
            for item in snapshot:
                yield item
            if finished or not follow:
                return
            while (next_item := await queue.get()) is not None:
                yield next_item
        finally:
            active.watchers.discard(queue)

    async def drain(self, grace_s: float) -> None:
        """Stop taking runs; give running ones `grace_s` to finish, then cancel and record them.
        Queued runs stay queued in the store and run after the next start."""
        self._accepting = False
        running = [r for r in self._active.values() if r.started and not r.done.is_set()]
        waits = [asyncio.create_task(r.done.wait()) for r in running]
        if waits:
            _, pending = await asyncio.wait(waits, timeout=grace_s)
            if pending:
                log.warning("cancelling %d runs still running after %.1fs", len(pending), grace_s)
                for run in running:
                    run.cancel_reason = run.cancel_reason or CANCELLED_BY_STOP
                    run.cancel.set()
                await asyncio.wait(pending, timeout=max(grace_s, 5.0))
        for task in self._workers:
            task.cancel()
        await asyncio.gather(*self._workers, return_exceptions=True)
        self._workers = []

    # -- execution -------------------------------------------------------------------------

    async def _worker(self) -> None:
        while True:
            run_id = await self._queue.get()
            active = self._active.get(run_id)
            # A cancelled queued run is recorded by `cancel`; a draining agent leaves it queued.
            if active is None or active.cancel.is_set() or not self._accepting:
                continue
            active.started = True
            try:
                await self._execute(active)
            except Exception:
                log.exception("run %s failed inside the agent", run_id)
                await self._record_final(active, RunStatus.FAILED, "internal error in the agent")
            finally:
                self._finish(active)

    async def _execute(self, active: _ActiveRun) -> None:
        final: RunStateChanged | None = None

        def on_event(event: RunEvent) -> None:
            nonlocal final
            if isinstance(event, RunStateChanged) and event.status.is_final:
                # Held back and committed with the outputs: whoever sees the run over can
                # read its outputs.
                final = event
                return
            self._record(active, event)

        document = await self._engine.run(
            active.pipeline,
            params=active.params,
            run_id=active.run_id,
            on_event=on_event,
            cancel=active.cancel,
            include_outputs=active.keep_outputs.selection(active.pipeline, active.output_nodes),
            output_files=self._store.outputs,
            on_usage=self._record_usage,
        )
        sizes = {
            node_id: result.output_bytes
            for node_id, result in document.nodes.items()
            if result.output_bytes is not None
        }
        if sizes:
            await asyncio.to_thread(self._store.outputs.sync, active.run_id)
        if final is None:  # The engine did not report the end itself.
            final = RunStateChanged(active.run_id, document.status, time.time())
        if final.status is RunStatus.CANCELLED:
            final = dataclasses.replace(
                final, reason=active.cancel_reason or final.reason or CANCELLED_BY_USER
            )
        event = final
        seq = active.next_seq
        active.next_seq += 1
        ops = [
            *records.output_ops(active.run_id, sizes),
            *records.event_ops(seq, event),
        ]
        await self._store.submit(ops, on_durable=lambda: active.publish((seq, event)))

    def _record_usage(self, usage: NodeUsage) -> None:
        """Append an attempt's usage record (committed with the next batch of writes)."""
        written = self._store.submit(metering.usage_ops(usage))
        written.add_done_callback(_log_failed_usage)

    def _record(self, active: _ActiveRun, event: RunEvent) -> asyncio.Future[None]:
        seq = active.next_seq
        active.next_seq += 1
        return self._store.submit(
            records.event_ops(seq, event), on_durable=lambda: active.publish((seq, event))
        )

    async def _record_final(self, active: _ActiveRun, status: RunStatus, reason: str) -> None:
        now = time.time()
        record = await records.get_run(self._store, active.run_id, with_outputs=False)
        for node in record.nodes:
            if not node.status.is_final:
                self._record(
                    active,
                    NodeStateChanged(active.run_id, node.node_id, NodeStatus.CANCELLED, 0, now),
                )
        await self._record(active, RunStateChanged(active.run_id, status, now, reason))

    async def _finish_unstarted(self, active: _ActiveRun, status: RunStatus, reason: str) -> None:
        await self._record_final(active, status, reason)
        self._finish(active)

    def _finish(self, active: _ActiveRun) -> None:
        self._active.pop(active.run_id, None)
        active.finish()
        if self._on_finished is not None:
            self._on_finished(active.pipeline.name, active.trigger)

    # -- recovery --------------------------------------------------------------------------

    async def _fail_interrupted(self, run: RunRecord, reason: str = AGENT_RESTARTED) -> None:
        log.warning("run %s failed at start: %s", run.run_id, reason)
        seq = await records.last_seq(self._store, run.run_id) + 1
        now = time.time()
        ops: list[Op] = []
        for node in run.nodes:
            if not node.status.is_final:
                event = NodeStateChanged(run.run_id, node.node_id, NodeStatus.CANCELLED, 0, now)
                ops += records.event_ops(seq, event)
                seq += 1
        ops += records.event_ops(seq, RunStateChanged(run.run_id, RunStatus.FAILED, now, reason))
        await self._store.write(*ops)

    async def _requeue(self, run: RunRecord) -> None:
        try:
            pipeline = parse_bundle(run.source, run.source_path, files_key(run.files))
        except (PipelineInvalid, BadRequest) as exc:
            await self._fail_interrupted(
                run, f"{AGENT_RESTARTED}; the pipeline no longer validates: {exc}"
            )
            return
        active = _ActiveRun(
            run.run_id,
            pipeline,
            run.params,
            next_seq=await records.last_seq(self._store, run.run_id) + 1,
            history=await records.load_events(self._store, run.run_id),
            trigger=run.trigger,
            scheduled_for=run.scheduled_for,
            keep_outputs=run.keep_outputs,
            output_nodes=run.output_nodes,
            observer=self._observer,
        )
        self._active[run.run_id] = active
        self._queue.put_nowait(run.run_id)
        log.info("run %s was queued when the agent stopped: queued again", run.run_id)


def _log_failed_usage(written: asyncio.Future[None]) -> None:
    if not written.cancelled() and written.exception() is not None:
        log.error("a usage record was not written: %s", written.exception())
