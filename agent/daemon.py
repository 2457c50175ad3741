"""The agent's façade: `Daemon(config, state_dir)`, `await start()`, `await stop()`.

It owns the store, the engine, the run manager, the scheduler and the license gate, and
offers every operation the gRPC servicers translate: they call this class only, never the
store or the run manager. Decisions live here; `omnix.agent.api` only translates. The
servers around it and the process's lifecycle belong to `omnix.agent.server.Agent`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib.metadata import version as package_version
from pathlib import Path
from typing import TYPE_CHECKING, Any

from omnix.agent.adapters.base import LanguageSupport
from omnix.agent.alerts.monitor import AlertMonitor, Incident
from omnix.agent.alerts.rules import Facts, parse_rules
from omnix.agent.config import DB_FILE, MIB, AgentConfig, reply_limit_bytes
from omnix.agent.errors import (
    BadRequest,
    EntitlementError,
    Forbidden,
    NotFound,
    NotScheduled,
    TooLarge,
)
from omnix.agent.licensing.gate import LicenseGate
from omnix.agent.runs.bundles import files_key, parse_bundle
from omnix.agent.runs.manager import PipelineRunner, RunManager
from omnix.agent.schedule.scheduler import PipelineScheduler, ScheduledPipeline
from omnix.agent.security.credentials import Principal
from omnix.agent.security.guard import Security
from omnix.agent.security.sharing import Action
from omnix.agent.store import metering
from omnix.agent.store import pipelines as catalog
from omnix.agent.store import runs as records
from omnix.agent.store.db import Store, StoreHealth
from omnix.agent.store.metering import Grouping, UsageTotal
from omnix.agent.store.pipelines import PipelineRecord, UnfiredFire, VersionRecord
from omnix.agent.store.runs import RunRecord, RunScope, SequencedEvent
from omnix.agent.store.usage import utc_midnight
from omnix.shared.cron import FireTime
from omnix.shared.outputs import KeepOutputs, UnknownNode, check_output_nodes
from omnix.shared.params import ParamError, check_json_params, unknown_param
from omnix.shared.pipeline import Pipeline
from omnix.shared.tiers import Limit, cheapest_tier_for_language

if TYPE_CHECKING:
    from omnix.agent.licensing.report import LicenseReport
    from omnix.agent.metrics.collect import AgentMetrics, LicenseUsage
    from omnix.agent.metrics.http import MetricsServer
    from omnix.shared.license_status import LicenseStatus

log = logging.getLogger(__name__)

MAX_BACKFILL = 1000
"""Fire times one backfill may queue."""

RETENTION_INTERVAL_S = 3600.0
"""How often a running agent removes runs past retention (and once at start)."""

OUTPUT_CHUNK_BYTES = 1 << 20
"""ReadOutputs sends outputs in parts of this size: far below any message limit."""

RESTART_SETTINGS = (
    "alerts",
    "alert_command",
    "alert_webhook",
    "listen",
    "tls_cert",
    "tls_key",
    "metrics_listen",
    "max_concurrent_runs",
    "max_message_mb",
)
LICENSE_METRICS_INTERVAL_S = 15.0
"""How often the metrics' license usage is read from the store."""
"""Config settings a running agent cannot change: a reload names them for a restart."""


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
    metrics_url: str = ""
    alerts: list[Incident] = field(default_factory=list)
    languages: list[LanguageStatus] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class LanguageStatus:
    """A language on this agent: its runtime (version or problem) and whether it is licensed."""

    language: str
    version: str
    problem: str
    licensed: bool
    tier_needed: str


LANGUAGE_PROBE_TTL_S = 300.0
"""How long `omnix-agent status` reuses the runtimes' versions (probing runs each runtime)."""


class Daemon:
    """One agent: store, engine, runs and schedules, started and stopped together."""

    def __init__(
        self, config: AgentConfig, state_dir: Path, *, engine: PipelineRunner | None = None
    ) -> None:
        self.config = config
        self.state_dir = state_dir
        self.listen_addresses: list[str] = []
        self.started_at = time.monotonic()
        self._scheduler = PipelineScheduler(fire=self._fire, record_missed=self._missed)
        self._deploy_lock = asyncio.Lock()
        self._store: Store | None = None
        self._runs: RunManager | None = None
        self._engine = engine
        self._language_probe: tuple[float, asyncio.Future[list[LanguageSupport]]] | None = None
        self._license: LicenseGate | None = None
        self._warmup: asyncio.Task[None] | None = None
        self._retention: asyncio.Task[None] | None = None
        self.metrics: AgentMetrics | None = None
        self._metrics_server: MetricsServer | None = None
        self._license_usage: LicenseUsage | None = None
        self._license_refresh: asyncio.Task[None] | None = None
        self._license_stale = asyncio.Event()
        self._alerts: AlertMonitor | None = None
        self._alerting: asyncio.Task[None] | None = None
        self._security: Security | None = None
        self.admin_token = ""
        """The state dir's admin token (set by the server before `start`): it acts as the
        Owner, for scripts on the machine that can read the state dir."""

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
    def security(self) -> Security:
        """Users, credentials, secrets and the audit log (after `start`)."""
        assert self._security is not None, "Daemon.start() first"
        return self._security

    @property
    def license_gate(self) -> LicenseGate:
        """The license checks (after `start`)."""
        return self.license

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
        self._security = Security(
            self._store,
            self.state_dir,
            entitlements=self._license.entitlements,
            admin_token=self.admin_token,
            master_key_file=self.config.master_key_file,
            session_idle_s=self.config.session_idle_s,
            session_max_s=self.config.session_max_s,
            sso=self.config.sso,
            source=self.config.source,
        )
        await self._security.open()
        if self._engine is None:
            from omnix.agent.runs.engine import Engine  # Pulls in the adapters: load it late.

            self._engine = Engine(
                max_parallel=self.config.max_parallel_nodes or None,
                secrets=self._security.secret,
            )
        engine = self._engine
        metrics_address = self.config.metrics_address()
        if metrics_address is not None:
            # Loaded only when asked for: an agent without metrics never imports them.
            from omnix.agent.metrics.collect import AgentGauges, AgentMetrics, LicenseUsage

            self._license_usage = LicenseUsage()
            self.metrics = AgentMetrics(
                AgentGauges(
                    queued_runs=lambda: self.runs.queued,
                    running_runs=lambda: self.runs.running,
                    workers=getattr(engine, "worker_counts", dict),
                    license=lambda: self._license_usage or LicenseUsage(),
                )
            )
        self._runs = RunManager(
            self._store,
            engine,
            max_concurrent_runs=self.config.max_concurrent_runs,
            on_finished=self._run_finished,
            observer=self.metrics.observe if self.metrics is not None else None,
        )
        await self._runs.start()
        for pipeline_record in await catalog.list_pipelines(self._store):
            latest = await catalog.get_version(self._store, pipeline_record.name)
            try:
                pipeline = parse_bundle(latest.source, latest.path, files_key(latest.files))
            except Exception as exc:  # A stored version that no longer validates: skip it.
                log.warning("pipeline %s is not scheduled: %s", pipeline_record.name, exc)
                continue
            fired = await catalog.last_fire(self._store, pipeline.name)
            self._set_schedule(
                pipeline,
                paused=pipeline_record.schedule_paused,
                last_fire=datetime.fromtimestamp(fired, UTC) if fired is not None else None,
            )
        await self._scheduler.start()
        self.started_at = time.monotonic()
        # Warm the Python adapter's worker in the background: the first run (often a
        # scheduled one, with nobody waiting to see it start) skips the worker's start-up,
        # and readiness is not delayed. The worker is a child process, so the agent's own
        # memory stays small.
        self._warmup = asyncio.create_task(self._warm_python(engine), name="omnix-warm-python")
        self._retention = asyncio.create_task(self._keep_pruning(), name="omnix-retention")
        self._alerts = AlertMonitor(
            self._store,
            parse_rules(
                self.config.alerts, self.config.source or "config", self.config.price_table()
            ),
            self._alert_facts,
            command=self.config.alert_command,
            webhook=self.config.alert_webhook,
            interval_s=self.config.alert_check_s,
        )
        self._alerting = asyncio.create_task(self._alerts.run(), name="omnix-alerts")
        if self.metrics is not None and metrics_address is not None:
            from omnix.agent.metrics.http import serve_metrics

            self._metrics_server = serve_metrics(
                self.metrics.registry,
                metrics_address,
                certfile=self.config.tls_cert,
                keyfile=self.config.tls_key,
            )
            self._license_refresh = asyncio.create_task(
                self._keep_license_usage(), name="omnix-metrics-license"
            )
            log.info("metrics on %s", self.metrics_url)

    @property
    def metrics_url(self) -> str | None:
        """Where Prometheus scrapes this agent (`…/metrics`), when it serves metrics."""
        if self._metrics_server is None:
            return None
        scheme = "https" if self.config.tls_cert and self.config.tls_key else "http"
        return f"{scheme}://{self._metrics_server.address}/metrics"

    async def _keep_license_usage(self) -> None:
        """Today's license usage for the metrics, read now and then (scrapes cannot wait
        on the store)."""
        from omnix.agent.metrics.collect import LicenseUsage

        while True:
            try:
                entitlements = await self.license.entitlements()
                used = await self.license.usage()
                self._license_usage = LicenseUsage(
                    executions_today=used[Limit.EXECUTIONS_PER_DAY],
                    executions_limit=entitlements.limit(Limit.EXECUTIONS_PER_DAY),
                    pipelines=used[Limit.PIPELINES],
                    pipelines_limit=entitlements.limit(Limit.PIPELINES),
                )
            except Exception as exc:  # Metrics must never take the agent down.
                log.warning("reading license usage for metrics failed: %s", exc)
            # Again when a run ends (runs started today are what the limit counts), or
            # after a while (a license installed, midnight passed).
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._license_stale.wait(), LICENSE_METRICS_INTERVAL_S)
            self._license_stale.clear()

    async def _warm_python(self, engine: PipelineRunner) -> None:
        try:
            await engine.warm("python")
        except Exception as exc:  # The first Python run reports it to the user.
            log.warning("the python adapter did not start ahead of runs: %s", exc)

    async def drain(self, grace_s: float) -> None:
        """Take no new runs; running nodes get `grace_s` seconds, then they are cancelled."""
        await self.runs.drain(grace_s)

    def reconfigure(self, fresh: AgentConfig) -> list[str]:
        """Apply the settings of a new config reading that take effect live (log level, drain
        grace, prices); return the names of changed settings that need a restart."""
        self.config.log_level = fresh.log_level
        self.config.drain_grace_s = fresh.drain_grace_s
        self.config.prices = fresh.prices
        return [key for key in RESTART_SETTINGS if getattr(fresh, key) != getattr(self.config, key)]

    async def stop(self, grace_s: float | None = None) -> None:
        """Drain runs (see `RunManager.drain`), stop the engine, close the store."""
        if self._metrics_server is not None:
            await asyncio.to_thread(self._metrics_server.close)
            self._metrics_server = None
        for task in (self._warmup, self._retention, self._license_refresh, self._alerting):
            if task is not None and not task.done():
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        await self._scheduler.shutdown()
        if self._runs is not None:
            await self._runs.drain(self.config.drain_grace_s if grace_s is None else grace_s)
        if self._engine is not None:
            await self._engine.close()
        if self._alerts is not None:
            await self._alerts.close()
        if self._store is not None:
            await self._store.close()

    # -- pipelines -------------------------------------------------------------------------

    async def deploy(
        self,
        source: str,
        path: str,
        files: dict[str, str] | None = None,
        *,
        caller: Principal | None = None,
    ) -> tuple[PipelineRecord, int]:
        """Validate and store a new version (with the files its `file:` nodes name);
        (re)schedule it. A first deploy makes `caller` the pipeline's owner (the agent's
        Owner when None); a later one needs the right to deploy it."""
        files = files or {}
        pipeline = parse_bundle(source, path or "<deployed>", files_key(files))
        sharing = self.security.sharing
        async with self._deploy_lock:  # Versions are latest + 1: one deploy at a time.
            if caller is not None:
                sharing.check(caller, pipeline.name, Action.DEPLOY)
            owner = caller.user if caller is not None else self.security.accounts.owner().name
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
                    owner,
                )
            )
            sharing.deployed(pipeline.name, owner)
        self._set_schedule(pipeline, paused=paused)
        return await catalog.get_pipeline(self.store, pipeline.name), version

    def _set_schedule(
        self, pipeline: Pipeline, *, paused: bool, last_fire: datetime | None = None
    ) -> None:
        """Mirror a stored version's schedule (or its absence) into the scheduler."""
        if pipeline.schedule is None:
            if self.is_scheduled(pipeline.name):
                self._scheduler.remove(pipeline.name)
            return
        self._scheduler.set_schedule(pipeline.name, pipeline.schedule, last_fire=last_fire)
        if paused:
            self._scheduler.pause(pipeline.name)

    async def delete(self, name: str) -> None:
        """Remove a deployed pipeline and its schedule; its runs stay."""
        await catalog.get_pipeline(self.store, name)  # NotFound
        await self.store.write(*catalog.delete_pipeline_ops(name))
        self.security.sharing.deleted(name)
        if self.is_scheduled(name):
            self._scheduler.remove(name)

    async def list_pipelines(self) -> list[PipelineRecord]:
        """Every deployed pipeline, by name."""
        return await catalog.list_pipelines(self.store)

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
        params: dict[str, Any],
        *,
        trigger: str = "manual",
        scheduled_for: float | None = None,
        keep_outputs: KeepOutputs = KeepOutputs.FINAL,
        output_nodes: Sequence[str] = (),
        started_by: str = "",
    ) -> RunRecord:
        """Queue a run of a deployed pipeline (`version` 0: the newest). Scheduled runs keep
        the final nodes' outputs."""
        if version < 0:
            raise BadRequest(f"version must be 0 (newest) or a version number, not {version}")
        stored = await catalog.get_version(self.store, name, version)
        pipeline = parse_bundle(stored.source, stored.path, files_key(stored.files))
        check_run_params(pipeline, params)
        _check_output_nodes(pipeline, output_nodes)
        await self.license.check_run_start(pipeline)
        return await self.runs.submit(
            pipeline,
            files=stored.files,
            version=stored.version,
            params=params,
            trigger=trigger,
            scheduled_for=scheduled_for,
            keep_outputs=keep_outputs,
            output_nodes=output_nodes,
            started_by=started_by,
        )

    async def start_inline(
        self,
        source: str,
        path: str,
        params: dict[str, Any],
        files: dict[str, str] | None = None,
        *,
        keep_outputs: KeepOutputs = KeepOutputs.FINAL,
        output_nodes: Sequence[str] = (),
        started_by: str = "",
        scope: frozenset[str] = frozenset(),
    ) -> RunRecord:
        """Queue a run of pipeline text sent by a client, without deploying it (`scope`: the
        names a scoped token may run)."""
        pipeline = parse_bundle(source, path or "<inline>", files_key(files or {}))
        if scope and pipeline.name not in scope:
            raise Forbidden(
                f"this token is limited to {', '.join(sorted(scope))}: it cannot run "
                f"{pipeline.name!r}"
            )
        check_run_params(pipeline, params)
        _check_output_nodes(pipeline, output_nodes)
        await self.license.check_run_start(pipeline)
        return await self.runs.submit(
            pipeline,
            params=params,
            files=files,
            keep_outputs=keep_outputs,
            output_nodes=output_nodes,
            started_by=started_by,
        )

    async def resolve_run_id(self, run_id: str) -> str:
        """The full id for a run id or any unique prefix of one (as git takes short ids)."""
        if self.runs.is_active(run_id):  # a queued or running run by its full id
            return run_id
        try:
            return await records.resolve_run_id(self.store, run_id)
        except NotFound:
            active = self.runs.active_ids(run_id)
            if len(active) == 1:
                return active[0]
            raise

    async def get_run(self, run_id: str, *, with_outputs: bool) -> RunRecord:
        """One run as stored; NotFound when there is no such run."""
        full = await self.resolve_run_id(run_id)
        run = await records.get_run(self.store, full, with_outputs=False)
        if not with_outputs:
            return run
        limit = reply_limit_bytes(self.config) - MIB
        _check_fits(run.run_id, sum(node.output_bytes or 0 for node in run.nodes), limit)
        run = await records.get_run(self.store, full, with_outputs=True)
        size = sum(len(node.output_json.encode()) for node in run.nodes if node.output_json)
        _check_fits(run.run_id, size, limit)
        return run

    async def read_outputs(
        self, run_id: str, node_ids: Sequence[str], chunk_bytes: int = OUTPUT_CHUNK_BYTES
    ) -> AsyncIterator[tuple[str, bytes, bool, int]]:
        """(node, part of its JSON output, whether it is the last part, the whole output's
        size) for each kept output (of `node_ids`, when given), one node after another;
        NotFound for a named node that is not in the run or whose output was not kept."""
        full = await self.resolve_run_id(run_id)
        names = list(node_ids) or await records.kept_outputs(self.store, full)
        for node_id in names:
            output = await records.kept_output(self.store, full, node_id)
            if output is None:
                raise NotFound(
                    f"run {full} has no kept output for node {node_id!r} (a run keeps the "
                    "outputs its client asked for: omnix run --json keeps every node's)"
                )
            sent = 0
            async for part in records.output_chunks(self.store, output, chunk_bytes):
                sent += len(part)
                yield node_id, part, sent >= output.size, output.size

    async def list_runs(
        self, pipeline: str, limit: int, scope: RunScope | None = None
    ) -> list[RunRecord]:
        """The newest `limit` runs (of one pipeline, when named; within `scope`, when
        given), newest first."""
        return await records.list_runs(self.store, pipeline, limit, scope)

    async def cancel_run(self, run_id: str) -> RunRecord:
        """Cancel a queued or running run; its record once it has ended."""
        return await self.runs.cancel(await self.resolve_run_id(run_id))

    async def watch_run(self, run_id: str, *, follow: bool) -> AsyncIterator[SequencedEvent]:
        """A run's events from its start; live until it ends when `follow`."""
        full = await self.resolve_run_id(run_id)
        async for event in self.runs.watch(full, follow=follow):
            yield event

    # -- schedules -------------------------------------------------------------------------

    def is_scheduled(self, name: str) -> bool:
        """Whether the pipeline is deployed with a schedule."""
        return any(s.pipeline == name for s in self._scheduler.schedules())

    async def unfired_fires(self, pipeline: str, limit: int) -> list[UnfiredFire]:
        """Fire times that started no run (missed or refused), newest first."""
        return await catalog.unfired_fires(self.store, pipeline, limit)

    async def backfill(
        self, name: str, start: datetime, end: datetime, *, started_by: str = ""
    ) -> tuple[list[RunRecord], int]:
        """Queue a run (trigger "backfill") for each fire time of `name`'s schedule from
        `start` to `end`, both included, that has no run yet: (the runs, how many skipped).
        Each run is checked against the license like any other."""
        self.schedule(name)  # NotScheduled: only a scheduled pipeline has fire times
        if end < start:
            raise BadRequest("the range ends before it starts: give --from before --to")
        times = self._scheduler.fire_times_between(name, start, end)
        if len(times) > MAX_BACKFILL:
            raise BadRequest(
                f"{len(times):,} fire times fall in that range, more than {MAX_BACKFILL:,} "
                "in one backfill: split the range"
            )
        done = await records.scheduled_fires_with_runs(
            self.store, name, start.timestamp(), end.timestamp()
        )
        runs = []
        for at in times:
            if at.timestamp() in done:
                continue
            runs.append(
                await self.start_deployed(
                    name,
                    0,
                    {},
                    trigger="backfill",
                    scheduled_for=at.timestamp(),
                    started_by=started_by,
                )
            )
        return runs, len(times) - len(runs)

    def schedules(self) -> list[ScheduledPipeline]:
        """Every schedule with its next fire time (None while paused), by pipeline name."""
        return self._scheduler.schedules()

    def schedule(self, name: str) -> ScheduledPipeline:
        """One pipeline's schedule; NotScheduled (a NotFound) when it has none."""
        for scheduled in self._scheduler.schedules():
            if scheduled.pipeline == name:
                return scheduled
        raise NotScheduled(name)

    def preview_schedule(self, name: str, count: int) -> list[FireTime]:
        """The next `count` fire times with the DST shift of each; none while paused."""
        if self.schedule(name).paused:
            return []
        return self._scheduler.preview(name, count)

    async def set_schedule_paused(self, name: str, paused: bool) -> ScheduledPipeline:
        """Pause or resume a pipeline's schedule, durably; missed fires on resume follow the
        schedule's catchup."""
        self.schedule(name)  # NotScheduled before anything changes
        await self.store.write(*catalog.pause_schedule_ops(name, paused))
        if paused:
            self._scheduler.pause(name)
        else:
            await self._scheduler.resume(name)
        return self.schedule(name)

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
            self._scheduler.run_finished(pipeline_name)
            return
        await self.store.write(
            *catalog.fire_ops(pipeline_name, scheduled_for.timestamp(), "fired", run.run_id)
        )

    async def _missed(self, pipeline_name: str, scheduled_for: datetime, reason: str) -> None:
        await self.store.write(
            *catalog.fire_ops(pipeline_name, scheduled_for.timestamp(), "missed", None, reason)
        )

    def _run_finished(self, pipeline_name: str, trigger: str) -> None:
        self._license_stale.set()
        if self._alerts is not None:
            self._alerts.poke()
        if trigger == "schedule":
            self._scheduler.run_finished(pipeline_name)

    # -- license ---------------------------------------------------------------------------

    async def license_report(self) -> LicenseReport:
        """The license in force, its features and limits, and today's usage."""
        # Loaded on use: licensing pulls in cryptography, which an idle agent does without.
        from omnix.agent.licensing.keyfile import LICENSE_FILE
        from omnix.agent.licensing.report import license_report

        entitlements = await self.license.entitlements()
        return license_report(
            entitlements, self.state_dir / LICENSE_FILE, await self.license.usage()
        )

    async def install_license(self, key: str) -> tuple[LicenseStatus, LicenseStatus | None]:
        """Verify and store `key`, in force at once: (the new status, the previous one).
        Raises `InvalidLicenseKey` or `LicenseNotInstallable`."""
        return await self.license.install(key)

    # -- alerts ----------------------------------------------------------------------------

    async def _alert_facts(self) -> Facts:
        """What license rules are judged with. The license is read only once a run was
        counted today: an idle agent never loads the licensing code for it."""
        used = (await self.license.usage())[Limit.EXECUTIONS_PER_DAY]
        limit = None
        if used:
            limit = (await self.license.entitlements()).limit(Limit.EXECUTIONS_PER_DAY)
        return Facts(used, limit, self.config.price_table())

    async def alerts(self) -> list[Incident]:
        """The alerts firing now, oldest first."""
        return await self._alerts.firing() if self._alerts is not None else []

    async def check_alerts(self) -> list[Incident]:
        """Judge the alert rules now; the alerts firing after it."""
        return await self._alerts.check() if self._alerts is not None else []

    # -- usage -----------------------------------------------------------------------------

    async def usage(
        self,
        by: Grouping,
        since: float | None,
        until: float | None,
        pipelines: frozenset[str] | None = None,
    ) -> list[UsageTotal]:
        """The usage records (of `pipelines`, when given) summed per `by` over
        [since, until)."""
        return await metering.usage_totals(self.store, by, since, until, pipelines)

    # -- retention -------------------------------------------------------------------------

    async def prune(self) -> int:
        """Remove the finished runs the retention settings no longer keep; how many."""
        return await prune_store(self.store, self.config)

    async def _keep_pruning(self) -> None:
        while True:
            try:
                removed = await self.prune()
            except Exception as exc:  # Retention must never take the agent down.
                log.warning("pruning old runs failed: %s", exc)
            else:
                if removed:
                    log.info("removed %d runs past retention", removed)
            await asyncio.sleep(RETENTION_INTERVAL_S)

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
            metrics_url=self.metrics_url or "",
            alerts=await self.alerts(),
            languages=await self.languages(),
        )

    async def languages(self) -> list[LanguageStatus]:
        """Which languages this agent runs: each runtime's version (probed at most every
        `LANGUAGE_PROBE_TTL_S`, concurrently) and whether the license includes it."""
        probe = getattr(self._engine, "languages", None)
        if probe is None:
            return []
        now = time.monotonic()
        if self._language_probe is None or now - self._language_probe[0] > LANGUAGE_PROBE_TTL_S:
            self._language_probe = (now, asyncio.ensure_future(probe()))
        found: list[LanguageSupport] = await asyncio.shield(self._language_probe[1])
        entitlements = await self.license.entitlements()
        statuses = []
        for support in found:
            licensed = entitlements.allows_language(support.language)
            needed = None if licensed else cheapest_tier_for_language(support.language)
            statuses.append(
                LanguageStatus(
                    support.language,
                    support.version,
                    support.problem,
                    licensed,
                    needed.value if needed is not None else "",
                )
            )
        return statuses


async def prune_store(store: Store, config: AgentConfig, now: datetime | None = None) -> int:
    """Remove the finished runs `config`'s retention no longer keeps (never today's)."""
    moment = now or datetime.now(UTC)
    days, keep = config.keep_runs_days, config.keep_runs_per_pipeline
    doomed = await records.prunable_runs(
        store,
        older_than=(moment - timedelta(days=days)).timestamp() if days > 0 else None,
        keep_per_pipeline=keep if keep > 0 else None,
        not_after=utc_midnight(moment).timestamp(),
    )
    await records.delete_runs(store, doomed)
    return len(doomed)


def _check_fits(run_id: str, size: int, limit: int) -> None:
    """TooLarge when outputs of `size` bytes would not fit in one reply of `limit` bytes."""
    if size > limit:
        raise TooLarge(
            f"run {run_id}'s outputs are {size / MIB:,.0f} MiB, more than one reply "
            f"carries ({limit / MIB:,.0f} MiB): read them with ReadOutputs, which streams "
            "them in parts (omnix run --json does)"
        )


def check_run_params(pipeline: Pipeline, overrides: dict[str, Any]) -> None:
    """Every language receives the run's params (defaults and overrides) as JSON, so NaN or
    a non-JSON default is refused here with BadRequest rather than failing the run later;
    so is an override of a parameter the pipeline does not declare (a typo)."""
    for name in overrides:
        if name not in pipeline.params:
            raise BadRequest(unknown_param(name, pipeline.params))
    try:
        check_json_params({**pipeline.params, **overrides})
    except ParamError as exc:
        raise BadRequest(str(exc)) from None


def _check_output_nodes(pipeline: Pipeline, nodes: Sequence[str]) -> None:
    """An output asked for by a node id the pipeline lacks is a typo: refused, naming the
    pipeline's nodes."""
    try:
        check_output_nodes(pipeline, nodes)
    except UnknownNode as exc:
        raise BadRequest(str(exc)) from None
