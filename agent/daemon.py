"""The agent as one object: `Daemon(config, state_dir)`, `await start()`, `await stop()`.

It owns the store, the engine, the run manager and the schedules, and offers the operations
the gRPC servicers translate. Decisions live here; `omnix.agent.api` only translates.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import version as package_version
from pathlib import Path
from typing import Any

from omnix.agent.config import DB_FILE, AgentConfig
from omnix.agent.errors import BadRequest, EntitlementError, NotFound
from omnix.agent.licensing.gate import LicenseGate
from omnix.agent.runs.bundles import files_key, parse_bundle
from omnix.agent.runs.manager import RunManager
from omnix.agent.schedule.book import ScheduleBook, SchedulerFactory, default_scheduler_factory
from omnix.agent.store import pipelines as catalog
from omnix.agent.store.db import Store, StoreHealth
from omnix.agent.store.pipelines import PipelineRecord, VersionRecord
from omnix.agent.store.runs import RunRecord
from omnix.shared.outputs import KeepOutputs
from omnix.shared.params import ParamError, check_json_params
from omnix.shared.pipeline import Pipeline

log = logging.getLogger(__name__)

MAX_PARAMS = 1000


@dataclass(slots=True)
class AgentStatus:
    """What `GetStatus` reports."""

    version: str
    uptime_s: float
    pid: int
    state_dir: str
    listen_addresses: list[str]
    pipelines: int
    running_runs: int
    queued_runs: int
    store: StoreHealth
    license_tier: str


class Daemon:
    """One agent: store, engine, runs and schedules, started and stopped together."""

    def __init__(
        self,
        config: AgentConfig,
        state_dir: Path,
        *,
        scheduler_factory: SchedulerFactory | None = None,
        engine: Any = None,
    ) -> None:
        self.config = config
        self.state_dir = state_dir
        self.listen_addresses: list[str] = []
        self.started_at = time.monotonic()
        self._scheduler_factory = scheduler_factory or default_scheduler_factory()
        self._deploy_lock = asyncio.Lock()
        self._store: Store | None = None
        self._runs: RunManager | None = None
        self._engine: Any = engine
        self._license: LicenseGate | None = None
        self._warmup: asyncio.Task[None] | None = None
        self.schedules = ScheduleBook(None)

    @property
    def store(self) -> Store:
        """The open store (after `start`)."""
        assert self._store is not None, "Daemon.start() first"
        return self._store

    @property
    def license(self) -> LicenseGate:
        """The license checks (after `start`)."""
        assert self._license is not None, "Daemon.start() first"
        return self._license

    @property
    def runs(self) -> RunManager:
        """The run manager (after `start`)."""
        assert self._runs is not None, "Daemon.start() first"
        return self._runs

    async def start(self) -> None:
        """Open the store, recover in-flight runs, start the engine and the schedules."""
        self.state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._store = await Store.open(self.state_dir / DB_FILE, fsync=self.config.durable_fsync)
        self._license = LicenseGate(self.state_dir, self._store)
        if self._engine is None:
            from omnix.agent.runs.engine import Engine  # Pulls in the adapters: load it late.

            self._engine = Engine(max_parallel=self.config.max_parallel_nodes or None)
        self._runs = RunManager(
            self._store,
            self._engine,
            max_concurrent_runs=self.config.max_concurrent_runs,
            on_finished=self._run_finished,
        )
        await self._runs.start()
        if self._scheduler_factory is not None:
            self.schedules = ScheduleBook(self._scheduler_factory(self._fire, self._missed))
        for pipeline_record in await catalog.list_pipelines(self._store):
            latest = await catalog.get_version(self._store, pipeline_record.name)
            try:
                pipeline = parse_bundle(latest.source, latest.path, files_key(latest.files))
            except Exception as exc:  # A stored version that no longer validates: skip it.
                log.warning("pipeline %s is not scheduled: %s", pipeline_record.name, exc)
                continue
            fired = await catalog.last_fire(self._store, pipeline.name)
            self.schedules.set(
                pipeline.name,
                pipeline.schedule,
                paused=pipeline_record.schedule_paused,
                last_fire=datetime.fromtimestamp(fired, UTC) if fired is not None else None,
            )
        await self.schedules.start()
        self.started_at = time.monotonic()
        # Warm the Python adapter's worker in the background: the first run (often a
        # scheduled one, with nobody waiting to see it start) skips the worker's start-up,
        # and readiness is not delayed. The worker is a child process, so the agent's own
        # memory stays small.
        self._warmup = asyncio.create_task(self._warm_python(), name="omnix-warm-python")

    async def _warm_python(self) -> None:
        adapter = getattr(self._engine, "adapter", None)
        if adapter is None:
            return
        try:
            await adapter("python")
        except Exception as exc:  # The first Python run reports it to the user.
            log.warning("the python adapter did not start ahead of runs: %s", exc)

    async def stop(self, grace_s: float | None = None) -> None:
        """Drain runs (see `RunManager.drain`), stop the engine, close the store."""
        if self._warmup is not None and not self._warmup.done():
            self._warmup.cancel()
            await asyncio.gather(self._warmup, return_exceptions=True)
        await self.schedules.shutdown()
        if self._runs is not None:
            await self._runs.drain(self.config.drain_grace_s if grace_s is None else grace_s)
        if self._engine is not None:
            await self._engine.close()
        if self._store is not None:
            await self._store.close()

    # -- pipelines -------------------------------------------------------------------------

    async def deploy(
        self, source: str, path: str, files: dict[str, str] | None = None
    ) -> tuple[PipelineRecord, int]:
        """Validate and store a new version (with the files its `file:` nodes name);
        (re)schedule it."""
        files = files or {}
        pipeline = parse_bundle(source, path or "<deployed>", files_key(files))
        async with self._deploy_lock:  # Versions are latest + 1: one deploy at a time.
            await self.license.check_deploy(pipeline)
            try:
                current = await catalog.get_pipeline(self.store, pipeline.name)
                version, paused = current.latest_version + 1, current.schedule_paused
            except NotFound:
                version, paused = 1, False
            await self.store.write(
                *catalog.deploy_ops(
                    pipeline.name,
                    pipeline.description,
                    source,
                    path or "<deployed>",
                    version,
                    files,
                )
            )
        self.schedules.set(pipeline.name, pipeline.schedule, paused=paused)
        return await catalog.get_pipeline(self.store, pipeline.name), version

    async def delete(self, name: str) -> None:
        """Remove a deployed pipeline and its schedule; its runs stay."""
        await catalog.get_pipeline(self.store, name)  # NotFound
        await self.store.write(*catalog.delete_pipeline_ops(name))
        self.schedules.remove(name)

    async def pipeline_versions(self, name: str) -> tuple[PipelineRecord, list[VersionRecord]]:
        """A deployed pipeline and all its versions, oldest first."""
        return await catalog.get_pipeline(self.store, name), await catalog.list_versions(
            self.store, name
        )

    # -- runs ------------------------------------------------------------------------------

    async def start_deployed(
        self,
        name: str,
        version: int,
        params: dict[str, str],
        *,
        trigger: str = "manual",
        scheduled_for: float | None = None,
        keep_outputs: KeepOutputs = KeepOutputs.FINAL,
    ) -> RunRecord:
        """Queue a run of a deployed pipeline (`version` 0: the newest). Scheduled runs keep
        the final nodes' outputs."""
        if version < 0:
            raise BadRequest(f"version must be 0 (newest) or a version number, not {version}")
        stored = await catalog.get_version(self.store, name, version)
        pipeline = parse_bundle(stored.source, stored.path, files_key(stored.files))
        overrides = run_params(pipeline, params)
        await self.license.check_run_start(pipeline)
        return await self.runs.submit(
            pipeline,
            files=stored.files,
            version=stored.version,
            params=overrides,
            trigger=trigger,
            scheduled_for=scheduled_for,
            keep_outputs=keep_outputs,
        )

    async def start_inline(
        self,
        source: str,
        path: str,
        params: dict[str, str],
        files: dict[str, str] | None = None,
        *,
        keep_outputs: KeepOutputs = KeepOutputs.FINAL,
    ) -> RunRecord:
        """Queue a run of pipeline text sent by a client, without deploying it."""
        pipeline = parse_bundle(source, path or "<inline>", files_key(files or {}))
        overrides = run_params(pipeline, params)
        await self.license.check_run_start(pipeline)
        return await self.runs.submit(
            pipeline, params=overrides, files=files, keep_outputs=keep_outputs
        )

    # -- schedules -------------------------------------------------------------------------

    async def set_schedule_paused(self, name: str, paused: bool) -> None:
        """Pause or resume a pipeline's schedule, durably."""
        await self.schedules.set_paused(name, paused)
        await self.store.write(*catalog.pause_schedule_ops(name, paused))

    async def _fire(self, pipeline_name: str, scheduled_for: datetime) -> None:
        try:
            run = await self.start_deployed(
                pipeline_name, 0, {}, trigger="schedule", scheduled_for=scheduled_for.timestamp()
            )
        except Exception as exc:
            if not isinstance(exc, EntitlementError):
                raise
            # The license refused it (a quota, a language): recorded as refused, with the
            # reason, and the scheduler's slot is freed since no run started.
            log.warning("scheduled run of %s refused: %s", pipeline_name, exc)
            await self.store.write(
                *catalog.fire_ops(
                    pipeline_name, scheduled_for.timestamp(), "refused", None, str(exc)
                )
            )
            self.schedules.run_finished(pipeline_name)
            return
        await self.store.write(
            *catalog.fire_ops(pipeline_name, scheduled_for.timestamp(), "fired", run.run_id)
        )

    async def _missed(self, pipeline_name: str, scheduled_for: datetime, reason: str) -> None:
        await self.store.write(
            *catalog.fire_ops(pipeline_name, scheduled_for.timestamp(), "missed", None, reason)
        )

    def _run_finished(self, pipeline_name: str, trigger: str) -> None:
        if trigger == "schedule":
            self.schedules.run_finished(pipeline_name)

    # -- status ----------------------------------------------------------------------------

    async def status(self) -> AgentStatus:
        """What GetStatus reports about this agent."""
        return AgentStatus(
            version=package_version("omnix"),
            uptime_s=time.monotonic() - self.started_at,
            pid=os.getpid(),
            state_dir=str(self.state_dir),
            listen_addresses=list(self.listen_addresses),
            pipelines=len(await catalog.list_pipelines(self.store)),
            running_runs=self.runs.running,
            queued_runs=self.runs.queued,
            store=await self.store.health(),
            license_tier=(await self.license.entitlements()).tier.value,
        )


def run_params(pipeline: Pipeline, params: dict[str, str]) -> dict[str, Any]:
    """The decoded overrides, once the run's params (defaults and overrides) are all JSON
    values: every language receives them as JSON, so NaN or a non-JSON default is refused
    here with BadRequest rather than failing the run later."""
    overrides = decode_params(params)
    try:
        check_json_params({**pipeline.params, **overrides})
    except ParamError as exc:
        raise BadRequest(str(exc)) from None
    return overrides


def decode_params(params: dict[str, str]) -> dict[str, Any]:
    """Parameter overrides arrive as JSON text per value; BadRequest names a bad one."""
    if len(params) > MAX_PARAMS:
        raise BadRequest(f"at most {MAX_PARAMS} parameters per run, got {len(params)}")
    decoded: dict[str, Any] = {}
    for key, text in params.items():
        if not key:
            raise BadRequest("a parameter has an empty name")
        try:
            decoded[key] = json.loads(text, parse_constant=_refuse_constant)
        except ValueError:
            raise BadRequest(
                f'parameter {key!r}: {text[:80]!r} is not JSON text (send 5, "north", true)'
            ) from None
    return decoded


def _refuse_constant(name: str) -> Any:
    # Python's json reads NaN and Infinity, which are not JSON and reach no other language.
    raise ValueError(f"{name} is not JSON")
