"""A session with an agent, in the TUI's terms: summaries, runs as shared events, errors
as one sentence.

Every view of the agent (the editor's run, the pipelines, runs, schedules and agent
screens) talks through `AgentSession`, from worker threads. gRPC failures become
`AgentError` with a message a person can act on. Nothing here knows about Textual.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

import grpc
from omnix.shared.client import (
    AgentClient,
    AgentUnreachable,
    client_config_path,
    connect,
    describe_rpc_error,
)
from omnix.shared.events import RunEvent
from omnix.shared.pipeline import PipelineInvalid, parse_pipeline
from omnix.shared.sessions import Session, credentials_path, remember
from omnix.tui.summaries import (
    AccessSummary,
    AgentError,
    AgentSummary,
    AlertSummary,
    Identity,
    LicenseSummary,
    LimitUsage,
    NodeOutput,
    NodeSummary,
    NotSignedIn,
    PipelineSummary,
    PipelineUsage,
    RunSummary,
    ScheduleSummary,
    node_output,
)
from omnix.tui.wire import (
    event_from_message,
    fire_times,
    node_files,
    node_status,
    run_status,
)
from omnix.v1 import (
    agent_pb2,
    license_pb2,
    pipeline_pb2,
    run_pb2,
    schedule_pb2,
    security_pb2,
    usage_pb2,
)

if TYPE_CHECKING:
    from omnix.shared.cron import DstShift
    from textual.app import App

T = TypeVar("T")

OUTPUT_ROWS = 1000
"""Rows the output view shows of a table."""
OUTPUT_READ_BYTES = 4 * 1024 * 1024
"""How much of an output the view reads: enough for its rows of a wide table."""

__all__ = [
    "AgentError",
    "AgentSession",
    "AgentSummary",
    "LicenseSummary",
    "LimitUsage",
    "NodeSummary",
    "PipelineSummary",
    "RunSummary",
    "ScheduleSummary",
]


def _run_summary(run: run_pb2.Run) -> RunSummary:
    nodes = tuple(
        NodeSummary(
            node.node_id,
            node_status(node.status),
            node.attempts,
            node.duration_s if node.HasField("duration_s") else None,
            node.error,
        )
        for node in run.nodes
    )
    return RunSummary(
        run.run_id,
        run.pipeline,
        run.version,
        run_status(run.status),
        run.reason,
        run.trigger,
        run.created_at,
        run.started_at,
        run.finished_at,
        nodes,
    )


class AgentSession:
    """One connection to the agent; use as a context manager from a worker thread."""

    def __init__(self, agent: str | None = None) -> None:
        self.agent = agent
        self._client: AgentClient | None = None

    def __enter__(self) -> AgentSession:
        try:
            self._client = connect(self.agent)
        except AgentUnreachable as exc:
            raise AgentError(str(exc)) from None
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._client is not None:
            self._client.close()

    @property
    def client(self) -> AgentClient:
        if self._client is None:
            raise RuntimeError("use AgentSession as a context manager")
        return self._client

    def _call(self, method: Callable[..., Any], request: Any) -> Any:
        return _translated(lambda: self.client.call(method, request))

    # -- runs --------------------------------------------------------------------------

    def start_source(self, source: str, path: str, params: Mapping[str, Any] | None = None) -> str:
        """Run pipeline text without deploying it; returns the run id. The files its `file:`
        nodes name (relative to `path`'s folder) travel with it: the agent never reads the
        client's disk."""
        request = run_pb2.StartRunRequest(
            pipeline_source=source,
            source_path=str(Path(path).absolute()),
            params={key: json.dumps(value) for key, value in (params or {}).items()},
            files=_node_files(source, path),
            # Any node's output can be opened from the TUI.
            keep_outputs=run_pb2.KEEP_OUTPUTS_ALL,
        )
        return str(self._call(self.client.runs.StartRun, request).run.run_id)

    def start_deployed(self, name: str) -> str:
        """Run the newest version of a deployed pipeline; returns the run id."""
        request = run_pb2.StartRunRequest(pipeline_name=name, keep_outputs=run_pb2.KEEP_OUTPUTS_ALL)
        return str(self._call(self.client.runs.StartRun, request).run.run_id)

    def events(
        self, run_id: str, on_link: Callable[[str], None] | None = None
    ) -> Iterator[RunEvent]:
        """A run's events from its start until it ends (a finished run's history, then stop).
        `on_link` hears when an SSH link drops and is made again (the watch resumes)."""
        self.client.on_link = on_link
        stream = self.client.watch(run_id)
        while True:
            message = _translated(lambda: next(stream, None))
            if message is None:
                return
            event = event_from_message(message)
            if event is not None:
                yield event

    def cancel(self, run_id: str) -> None:
        """Ask the agent to cancel a run; its state change arrives as an event."""
        self._call(self.client.runs.CancelRun, run_pb2.CancelRunRequest(run_id=run_id))

    def runs(self, pipeline: str = "", limit: int = 100) -> list[RunSummary]:
        """Runs, newest first."""
        request = run_pb2.ListRunsRequest(pipeline_name=pipeline, page_size=limit)
        return [_run_summary(run) for run in self._call(self.client.runs.ListRuns, request).runs]

    def output(self, run_id: str, node_id: str, max_rows: int = OUTPUT_ROWS) -> NodeOutput:
        """A node's kept output, read no further than the view needs: a million-row table
        costs its first parts, not the whole of it."""
        head = _translated(lambda: self.client.read_output_head(run_id, node_id, OUTPUT_READ_BYTES))
        return node_output(
            node_id,
            head.text,
            complete=head.complete,
            total_bytes=head.total_bytes,
            max_rows=max_rows,
        )

    def run(self, run_id: str) -> RunSummary:
        request = run_pb2.GetRunRequest(run_id=run_id)
        return _run_summary(self._call(self.client.runs.GetRun, request).run)

    # -- pipelines, schedules, the agent ----------------------------------------------

    def pipelines(self) -> list[PipelineSummary]:
        reply = self._call(self.client.pipelines.ListPipelines, pipeline_pb2.ListPipelinesRequest())
        return [
            PipelineSummary(p.name, p.description, p.latest_version, p.updated_at, p.scheduled)
            for p in reply.pipelines
        ]

    def pipeline_source(self, name: str, version: int = 0) -> str | None:
        """The deployed text of a version (0: the newest), or None when it is gone."""
        request = pipeline_pb2.GetPipelineRequest(name=name)
        versions = self._call(self.client.pipelines.GetPipeline, request).versions
        for entry in sorted(versions, key=lambda v: v.version, reverse=True):
            if version in (0, entry.version):
                return str(entry.source)
        return None

    def schedules(self) -> list[ScheduleSummary]:
        request = schedule_pb2.ListSchedulesRequest()
        return [
            ScheduleSummary(
                s.pipeline_name, s.cron, s.every_s, s.timezone, s.catchup, s.paused, s.next_fire_at
            )
            for s in self._call(self.client.schedules.ListSchedules, request).schedules
        ]

    def set_paused(self, pipeline: str, paused: bool) -> None:
        """Pause or resume a pipeline's schedule."""
        if paused:
            self._call(
                self.client.schedules.PauseSchedule,
                schedule_pb2.PauseScheduleRequest(pipeline_name=pipeline),
            )
        else:
            self._call(
                self.client.schedules.ResumeSchedule,
                schedule_pb2.ResumeScheduleRequest(pipeline_name=pipeline),
            )

    def preview(self, pipeline: str, count: int = 5) -> list[float]:
        """The next `count` fire times of a pipeline's schedule (Unix seconds)."""
        return [at for at, _ in self.preview_fires(pipeline, count)]

    def preview_fires(self, pipeline: str, count: int = 5) -> list[tuple[float, DstShift | None]]:
        """The next `count` fire times (Unix seconds), each with the DST shift that affected
        it ("spring-forward", "fall-back") or None."""
        request = schedule_pb2.PreviewScheduleRequest(pipeline_name=pipeline, count=count)
        return fire_times(self._call(self.client.schedules.PreviewSchedule, request))

    def status(self) -> AgentSummary:
        reply = self._call(self.client.agent.GetStatus, agent_pb2.GetStatusRequest())
        return AgentSummary(
            reply.version,
            reply.uptime_s,
            tuple(reply.listen_addresses),
            reply.pipelines,
            reply.running_runs,
            reply.queued_runs,
            reply.store.ok,
            reply.store.detail,
            reply.license_tier,
            reply.pid,
            reply.state_dir,
            tuple(
                AlertSummary(a.rule, a.key, a.severity, a.message, a.fired_at) for a in reply.alerts
            ),
        )

    def usage_by_pipeline(self, since: float) -> list[PipelineUsage]:
        """Usage per pipeline since `since`, largest CPU first, priced when the agent can."""
        request = usage_pb2.GetUsageRequest(group_by=usage_pb2.USAGE_GROUPING_PIPELINE, since=since)
        reply = self._call(self.client.usage.GetUsage, request)
        return [
            PipelineUsage(row.key[0], row.runs, row.cpu_ms, row.cost, reply.currency)
            for row in reply.rows
        ]

    def license(self) -> LicenseSummary:
        """The license in force, with today's usage against each limit."""
        reply = self._call(self.client.license.GetLicense, license_pb2.GetLicenseRequest())
        return _license_summary(reply.license)

    # -- who, and who may ---------------------------------------------------------------

    def whoami(self) -> Identity:
        """Who the agent takes these calls for; NotSignedIn when it needs a login."""
        reply = self._call(self.client.security.WhoAmI, security_pb2.WhoAmIRequest())
        return Identity(reply.user, reply.role, reply.via, reply.tier)

    def login(self, user: str, password: str) -> Identity:
        """Log in with a password and keep the session for this agent's address (in
        `credentials.toml`, as `omnix login` does); later sessions send it."""
        request = security_pb2.LoginRequest(user=user, password=password)
        reply = self._call(self.client.security.Login, request)
        target = self.client.address.target
        remember(
            credentials_path(client_config_path()),
            Session(target, reply.user.name, reply.token, reply.session.expires_at),
        )
        return Identity(reply.user.name, reply.user.role, "session", "")

    def access(self, audit_since: float) -> AccessSummary:
        """Users, the caller's tokens, secret names and recent audit rows: each table the
        caller's role allows (the others say why not)."""
        refused: dict[str, str] = {}

        def table(name: str, fetch: Callable[[], list[tuple[str, ...]]]) -> list[tuple[str, ...]]:
            try:
                return fetch()
            except NotSignedIn:
                raise
            except AgentError as exc:
                refused[name] = str(exc)
                return []

        security, secrets = self.client.security, self.client.secrets
        users = table(
            "users",
            lambda: [
                (u.name, u.role, "yes" if u.has_password else "no", u.created_by)
                for u in self._call(security.ListUsers, security_pb2.ListUsersRequest()).users
            ],
        )
        tokens = table(
            "tokens",
            lambda: [
                (
                    t.id,
                    t.name,
                    t.role,
                    ",".join(t.pipelines) or "all",
                    "revoked" if t.revoked_at else "active",
                )
                for t in self._call(security.ListTokens, security_pb2.ListTokensRequest()).tokens
            ],
        )
        names = table(
            "secrets",
            lambda: [
                (s.name, s.updated_by)
                for s in self._call(secrets.ListSecrets, security_pb2.ListSecretsRequest()).secrets
            ],
        )
        audit = table(
            "audit",
            lambda: [
                (str(e.seq), e.actor, e.action, e.target, e.result)
                for e in reversed(
                    self._call(
                        security.ListAudit, security_pb2.ListAuditRequest(since=audit_since)
                    ).entries
                )
            ],
        )
        return AccessSummary(self.whoami(), users, tokens, names, audit, refused)


LICENSE_STATES = {
    license_pb2.LICENSE_STATE_VALID: "valid",
    license_pb2.LICENSE_STATE_EXPIRING: "expiring",
    license_pb2.LICENSE_STATE_EXPIRED: "expired",
    license_pb2.LICENSE_STATE_INVALID: "invalid",
    license_pb2.LICENSE_STATE_ABSENT: "absent",
}


def _license_summary(info: license_pb2.LicenseInfo) -> LicenseSummary:
    return LicenseSummary(
        tier=info.tier,
        state=LICENSE_STATES.get(info.state, "unknown"),
        message=info.message,
        customer=info.customer,
        seats=info.seats,
        issued_at=info.issued_at,
        expires_at=info.expires_at,
        days_left=info.days_left if info.HasField("days_left") else None,
        license_id=info.license_id,
        limits=tuple(
            LimitUsage(
                limit.name,
                limit.allowed if limit.HasField("allowed") else None,
                limit.used if limit.HasField("used") else None,
            )
            for limit in info.limits
        ),
        languages=tuple(info.languages),
        features=tuple((feature.name, feature.included) for feature in info.features),
    )


def _node_files(source: str, path: str) -> dict[str, str]:
    try:
        pipeline = parse_pipeline(source, path=path, base_dir=Path(path).parent)
    except PipelineInvalid:
        return {}  # Sent as it is: the agent's reply lists the problems.
    return node_files(pipeline)


def _translated(call: Callable[[], T]) -> T:
    """Run one gRPC step, turning its failures into `AgentError`."""
    try:
        return call()
    except AgentUnreachable as exc:
        raise AgentError(str(exc)) from None
    except grpc.RpcError as exc:
        if exc.code() == grpc.StatusCode.UNAUTHENTICATED:
            raise NotSignedIn(f"the agent wants a login: {describe_rpc_error(exc)}") from None
        raise AgentError(f"the agent refused: {describe_rpc_error(exc)}") from None


def notify_link(app: App[Any], state: str) -> None:
    """From a worker thread: tell the user the SSH link to the agent dropped or came back
    (`AgentSession.events` resumes the run's events by itself)."""
    severity = "warning" if "lost" in state else "information"
    app.call_from_thread(app.notify, f"agent {state}", severity=severity)
