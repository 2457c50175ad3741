"""One run of one pipeline: walk the DAG, run ready nodes in parallel, record what happens.

A node starts when everything it needs has succeeded. A failed node marks everything
downstream `upstream_failed` while independent branches carry on. Cancelling (the
`cancel` event, or cancelling the task awaiting `execute`) cancels every running
attempt, which makes the adapters kill the nodes' process trees.
"""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import Callable, Collection, Mapping
from pathlib import Path
from typing import Any, Literal

from omnix.agent.adapters.base import Adapter, AdapterUnavailable, NodeFailure, NodeTask, Value
from omnix.agent.runs.attempts import AttemptFailure, run_attempt, run_attempts
from omnix.agent.runs.outputs import TableDecoder, TableOutputError
from omnix.agent.security.masking import Masker
from omnix.agent.store.metering import NodeUsage
from omnix.agent.store.outputs import OutputFiles
from omnix.agent.workers.usage import AttemptCost
from omnix.shared.events import NodeLog, NodeStateChanged, RunEvent, RunStateChanged
from omnix.shared.pipeline import Node, Pipeline
from omnix.shared.rundoc import NodeResult, RunDocument
from omnix.shared.status import NodeStatus, RunStatus

SecretResolver = Callable[[str], str | None]
_CANCELLED = "__cancelled__"
_ABORTED = "__aborted__"
Finished = asyncio.Queue[tuple[str, "asyncio.Task[Any] | None"]]


def pipeline_workdir(pipeline: Pipeline) -> str | None:
    """The folder of the pipeline file: nodes run there, relative paths resolve against it.

    Only an absolute path names a folder: a relative one was relative to a client's working
    directory, which the agent does not know (clients send absolute paths), so it is never
    resolved against the agent's own."""
    path = Path(pipeline.path)
    if not path.is_absolute():
        return None
    folder = path.parent
    return str(folder) if folder.is_dir() else None


AGENT_NAME = socket.gethostname()
"""The agent that ran an attempt, as its usage records name it."""


class RunExecution:
    """The state of one run; `execute` drives it to a final `RunDocument`."""

    def __init__(
        self,
        pipeline: Pipeline,
        *,
        run_id: str,
        params: Mapping[str, Any],
        adapters: Mapping[str, Adapter | AdapterUnavailable],
        slots: asyncio.Semaphore,
        decoder: TableDecoder,
        on_event: Callable[[RunEvent], None] | None,
        secrets: SecretResolver | None,
        include_outputs: bool | Collection[str],
        outputs_as_text: bool = False,
        output_files: OutputFiles | None = None,
        on_usage: Callable[[NodeUsage], None] | None = None,
    ) -> None:
        self.pipeline = pipeline
        self._on_usage = on_usage
        self._outputs_as_text = outputs_as_text
        self._output_files = output_files
        self.run_id = run_id
        self.params = dict(params)
        self._adapters = adapters
        self._slots = slots
        self._decoder = decoder
        self._on_event = on_event
        # Resolved once, when the run starts: every attempt gets the same values, and every
        # log line, error and kept output of the run is masked against them.
        names = sorted({name for node in pipeline.nodes for name in node.secrets})
        self._secret_values = {
            name: value
            for name in names
            if secrets is not None and (value := secrets(name)) is not None
        }
        self._masker = Masker(self._secret_values.values())
        self._include_outputs: Callable[[str], bool] = (
            (lambda node_id: include_outputs)
            if isinstance(include_outputs, bool)
            else frozenset(include_outputs).__contains__
        )
        self._workdir = pipeline_workdir(pipeline)
        self.document = RunDocument(
            run_id, pipeline.name, RunStatus.QUEUED, {n.id: NodeResult() for n in pipeline.nodes}
        )
        self._outputs: dict[str, Value] = {}
        self._finished: Finished = asyncio.Queue()
        self._callback_error: Exception | None = None
        self._decoding: dict[str, asyncio.Task[Any]] = {}
        self._children: dict[str, list[str]] = {n.id: [] for n in pipeline.nodes}
        self._waiting_on: dict[str, int] = {}
        self._unfinished_children: dict[str, int] = {n.id: 0 for n in pipeline.nodes}
        self._nodes = {n.id: n for n in pipeline.nodes}
        for node in pipeline.nodes:
            self._waiting_on[node.id] = len(set(node.needs))
            for upstream in set(node.needs):
                self._children[upstream].append(node.id)
                self._unfinished_children[upstream] += 1

    def emit(self, event: RunEvent) -> None:
        """Hand an event to the caller's callback. A callback that raises (from wherever the
        event came from, even a pipe callback) aborts the run: `execute` re-raises it."""
        if self._on_event is None or self._callback_error is not None:
            return
        try:
            self._on_event(event)
        except Exception as exc:
            self._callback_error = exc
            self._finished.put_nowait((_ABORTED, None))

    def _set_run(self, status: RunStatus, reason: str | None = None) -> None:
        self.document.status = status
        self.emit(RunStateChanged(self.run_id, status, time.time(), reason))

    def _set_node(
        self, node_id: str, status: NodeStatus, *, attempt: int = 0, error: str | None = None
    ) -> None:
        result = self.document.nodes[node_id]
        result.status = status
        if error is not None:
            error = self._masker.mask(error)
            result.error = error
        self.emit(
            NodeStateChanged(
                self.run_id,
                node_id,
                status,
                attempt,
                time.time(),
                result.duration_s,
                error,
                result.queue_wait_s,
            )
        )

    async def execute(self, cancel: asyncio.Event | None) -> RunDocument:
        """Run every node that can run; return the document with its final state."""
        self._set_run(RunStatus.RUNNING)
        finished = self._finished
        active: dict[str, asyncio.Task[None]] = {}
        watcher: asyncio.Task[None] | None = None
        if cancel is not None:
            watcher = asyncio.create_task(self._watch(cancel, finished))

        def launch(node_id: str) -> None:
            task = asyncio.create_task(self._run_node(self._nodes[node_id]))
            active[node_id] = task
            task.add_done_callback(lambda t: finished.put_nowait((node_id, t)))

        cancelled = False
        try:
            for node in self.pipeline.nodes:
                if self._waiting_on[node.id] == 0:
                    launch(node.id)
            while active:
                node_id, task = await finished.get()
                if node_id == _CANCELLED:
                    cancelled = True
                    break
                if node_id == _ABORTED:
                    break
                del active[node_id]
                assert task is not None
                task.result()  # a bug in the engine itself must not pass silently
                self._release_inputs(node_id)
                if self.document.nodes[node_id].status is NodeStatus.SUCCEEDED:
                    for child in self._children[node_id]:
                        self._waiting_on[child] -= 1
                        if self._waiting_on[child] == 0:
                            launch(child)
                else:
                    self._mark_downstream(node_id)
        except asyncio.CancelledError:
            await self._stop(active)
            self._set_run(RunStatus.CANCELLED, "the run was cancelled")
            raise
        except BaseException:
            # Something outside the nodes broke (an event callback raised): stop every node
            # before the error propagates, so no process outlives the run.
            await self._stop(active, report=False)
            raise
        finally:
            if watcher is not None:
                watcher.cancel()
        if self._callback_error is not None:
            await self._stop(active, report=False)
            raise self._callback_error
        if cancelled:
            await self._stop(active)
            self._set_run(RunStatus.CANCELLED, "the run was cancelled")
            return self.document
        await self._collect_outputs()
        failed = [
            node_id
            for node_id, result in self.document.nodes.items()
            if result.status is NodeStatus.FAILED
        ]
        if failed:
            self._set_run(RunStatus.FAILED, f"failed: {', '.join(failed)}")
        else:
            self._set_run(RunStatus.SUCCEEDED)
        if self._callback_error is not None:
            raise self._callback_error
        return self.document

    def _release_inputs(self, finished: str) -> None:
        """Drop outputs every consumer is done with: a run of big tables holds only those
        still needed (the document's JSON copies are separate)."""
        for upstream in set(self._nodes[finished].needs):
            self._unfinished_children[upstream] -= 1
            if self._unfinished_children[upstream] == 0:
                self._outputs.pop(upstream, None)

    @staticmethod
    async def _watch(cancel: asyncio.Event, finished: Finished) -> None:
        await cancel.wait()
        finished.put_nowait((_CANCELLED, None))

    async def _stop(self, active: dict[str, asyncio.Task[None]], *, report: bool = True) -> None:
        """Cancel running attempts (the adapters kill their processes) and mark what is left."""
        for task in active.values():
            task.cancel()
        await asyncio.gather(*active.values(), return_exceptions=True)
        for task in self._decoding.values():
            task.cancel()
        if not report:
            return
        for node_id, result in self.document.nodes.items():
            if not result.status.is_final:
                self._set_node(node_id, NodeStatus.CANCELLED, attempt=result.attempts)

    def _mark_downstream(self, failed: str) -> None:
        stack = list(self._children[failed])
        while stack:
            node_id = stack.pop()
            if self.document.nodes[node_id].status is NodeStatus.PENDING:
                self._set_node(
                    node_id, NodeStatus.UPSTREAM_FAILED, error=f"upstream node '{failed}' failed"
                )
                stack.extend(self._children[node_id])

    async def _run_node(self, node: Node) -> None:
        result = self.document.nodes[node.id]
        adapter = self._adapters.get(node.lang)
        if adapter is None:
            adapter = AdapterUnavailable(f"no adapter for language '{node.lang}' is installed")
        # Each attempt is due when the node is ready (or its retry backoff ends); it waits for
        # one of the run's slots, then for a worker; its code starts when it has both. The
        # wait and the run are recorded apart, for the last attempt.
        due = began = time.perf_counter()
        # What the current attempt costs, for its usage record.
        began_at = time.time()
        log_bytes = 0
        cost: AttemptCost | None = None
        masks = {"stdout": self._masker.stream(), "stderr": self._masker.stream()}

        def log(stream: Literal["stdout", "stderr"], text: str) -> None:
            nonlocal log_bytes
            if self._masker:
                text = masks[stream].feed(text)
                if not text:
                    return
            log_bytes += len(text.encode(errors="replace"))
            self.emit(NodeLog(self.run_id, node.id, stream, text, time.time()))

        def flush_logs() -> None:
            for stream in ("stdout", "stderr"):
                rest = masks[stream].flush()
                if rest:
                    self.emit(NodeLog(self.run_id, node.id, stream, rest, time.time()))

        def measured(attempt_cost: AttemptCost) -> None:
            nonlocal cost
            cost = attempt_cost

        def waiting(attempt: int) -> None:
            nonlocal due
            due = time.perf_counter()

        def starting(attempt: int) -> None:
            nonlocal began, began_at, log_bytes, cost
            began, began_at, log_bytes, cost = time.perf_counter(), time.time(), 0, None
            result.attempts = attempt
            self._set_node(node.id, NodeStatus.RUNNING, attempt=attempt)

        def code_began() -> None:
            nonlocal began, began_at
            began, began_at = time.perf_counter(), time.time()

        def record(attempt: int, status: str) -> None:
            if self._on_usage is None:
                return
            self._on_usage(
                NodeUsage(
                    run_id=self.run_id,
                    pipeline=self.pipeline.name,
                    node_id=node.id,
                    lang=node.lang,
                    attempt=attempt,
                    agent=AGENT_NAME,
                    started_at=began_at,
                    wall_ms=round((time.perf_counter() - began) * 1000),
                    queue_wait_ms=round(max(0.0, began - due) * 1000),
                    cpu_ms=None if cost is None or cost.cpu_s is None else round(cost.cpu_s * 1000),
                    peak_rss_bytes=None if cost is None else cost.peak_rss_bytes,
                    bytes_in=0 if cost is None else cost.bytes_in,
                    bytes_out=0 if cost is None else cost.bytes_out,
                    log_bytes=log_bytes,
                    status=status,
                    rows_in=None if cost is None else cost.rows_in,
                    rows_out=None if cost is None else cost.rows_out,
                )
            )

        async def once(attempt: int) -> Value | AttemptFailure:
            if isinstance(adapter, AdapterUnavailable):
                return AttemptFailure(NodeFailure(f"AdapterUnavailable: {adapter}"), False)
            try:
                outcome = await self._attempt(node, adapter, attempt, log, code_began, measured)
            except asyncio.CancelledError:
                flush_logs()
                record(attempt, "cancelled")
                raise
            flush_logs()
            if isinstance(outcome, Value):
                record(attempt, "succeeded")
            else:
                record(attempt, "timed_out" if outcome.timed_out else "failed")
            return outcome

        outcome = await run_attempts(
            node, once, log, slots=self._slots, waiting=waiting, starting=starting
        )
        ended = time.perf_counter()
        result.duration_s = round(ended - began, 6)
        result.queue_wait_s = round(max(0.0, began - due), 6)
        if isinstance(outcome, Value):
            self._outputs[node.id] = outcome
            if self._include_outputs(node.id):
                self._decode_output(node.id, outcome)
            self._set_node(node.id, NodeStatus.SUCCEEDED, attempt=result.attempts)
        else:
            self._set_node(
                node.id, NodeStatus.FAILED, attempt=result.attempts, error=str(outcome.failure)
            )

    async def _attempt(
        self,
        node: Node,
        adapter: Adapter,
        attempt: int,
        log: Callable[[Literal["stdout", "stderr"], str], None],
        began: Callable[[], None],
        measured: Callable[[AttemptCost], None],
    ) -> Value | AttemptFailure:
        env = dict(node.env)
        for name in node.secrets:
            value = self._secret_values.get(name)
            if value is None:
                return AttemptFailure(
                    NodeFailure(
                        f"the secret {name!r} is not set: `omnix secret set {name}` adds it"
                    ),
                    retryable=False,
                )
            env[name] = value
        task = NodeTask(
            run_id=self.run_id,
            node=node,
            inputs={upstream: self._outputs[upstream] for upstream in node.needs},
            params=self.params,
            attempt=attempt,
            env=env,
            workdir=self._workdir,
            began=began,
            measured=measured,
        )
        return await run_attempt(adapter, task, log, node.timeout)

    def _decode_output(self, node_id: str, value: Value) -> None:
        files = self._output_files
        if files is not None:
            # Written as JSON files of the store (tables by the decoder worker, straight
            # to disk): the agent never holds them. A null output is not kept.
            if value.kind == "json" and bytes(value.data).strip() == b"null":
                return
            path = files.path(self.run_id, node_id)
            files.folder(self.run_id)
            self._decoding[node_id] = asyncio.create_task(
                self._decoder.write_json(value, path, fsync=files.fsync, masker=self._masker)
            )
            return
        if self._outputs_as_text:
            # Kept as JSON text (tables written by a worker while the run goes on): the
            # agent stores and sends it as it is, never holding it as Python objects.
            self._decoding[node_id] = asyncio.create_task(
                self._decoder.to_json_text(value, masker=self._masker)
            )
            return
        if value.kind == "json":
            self.document.nodes[node_id].output = json.loads(
                self._masker.mask_bytes(bytes(value.data))
            )
            return
        # Tables are decoded in a worker while the run goes on.
        self._decoding[node_id] = asyncio.create_task(
            self._decoder.to_json(value, masker=self._masker)
        )

    async def _collect_outputs(self) -> None:
        for node_id, task in self._decoding.items():
            result = self.document.nodes[node_id]
            try:
                if self._output_files is not None:
                    result.output_bytes = await task
                elif self._outputs_as_text:
                    result.output_text = await task
                else:
                    result.output = await task
            except TableOutputError as exc:
                result.error = f"the output cannot be shown as JSON: {exc}"
            except Exception as exc:
                result.error = f"the output could not be decoded: {type(exc).__name__}: {exc}"
