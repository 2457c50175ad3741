"""Warm worker subprocesses of every language: one long-lived process, one request at a time.

A worker is a long-lived subprocess (Python with pandas/DuckDB preloaded, Node.js, or any
other runtime speaking the frame protocol of `omnix.agent.workers.frames`). Requests and
replies travel on two private pipes (its stdin is /dev/null), and its stdout/stderr are the
user's log, handed on in whole lines. After each request the worker writes a random
per-worker marker on stdout and stderr, so a request is complete only when its reply and
every byte of its output have arrived.

Each worker leads its own session (process group): killing it with `kill` takes down
everything the user's code started too. The kernel kills it when the agent dies, even by
SIGKILL, so a worker stuck in a busy loop never outlives the agent.
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import fcntl
import os
import secrets
import shutil
import signal
import subprocess
from collections.abc import Callable, Mapping, Sequence
from typing import Literal

from omnix.agent.workers.frames import FrameReceiver, FrameSender, Header, frame_parts
from omnix.agent.workers.usage import ProcessMeter

Stream = Literal["stdout", "stderr"]
LogSink = Callable[[Stream, str], None]
"""Receives a node's output: the stream and text of one or more whole lines (each ending
in a line feed; the last line of a request may lack it)."""
_STREAMS: dict[int, Stream] = {1: "stdout", 2: "stderr"}
_TAIL_BYTES = 4096


class WorkerCrashed(Exception):
    """The worker process died or broke the protocol; it cannot be used again."""


class MarkedStream:
    """One of the worker's output streams: splits it at end-of-request markers."""

    def __init__(self, stream: Stream, marker: bytes) -> None:
        self.stream = stream
        self.marker = marker
        self.pending = b""
        self.decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self.partial = ""
        self.tail = bytearray()

    def feed(self, data: bytes, sink: LogSink | None) -> int:
        """Forward user output to `sink`; return how many markers were seen."""
        data = self.pending + data
        self.pending = b""
        seen = 0
        while True:
            index = data.find(self.marker)
            if index < 0:
                break
            self._emit(data[:index], sink, final=True)
            data = data[index + len(self.marker) :]
            seen += 1
        # Hold back a suffix that could be the start of a marker split across reads.
        keep = 0
        for size in range(min(len(data), len(self.marker) - 1), 0, -1):
            if self.marker.startswith(data[-size:]):
                keep = size
                break
        if keep:
            self.pending = data[-keep:]
            data = data[:-keep]
        self._emit(data, sink, final=False)
        return seen

    def _emit(self, data: bytes, sink: LogSink | None, *, final: bool) -> None:
        if data:
            self.tail += data
            del self.tail[:-_TAIL_BYTES]
        text = self.partial + self.decoder.decode(data, final=final)
        if not final:
            # Whole lines only: a line written in pieces reaches the log as one line.
            end = text.rfind("\n") + 1
            text, self.partial = text[:end], text[end:]
        else:
            self.partial = ""
        if text and sink is not None:
            sink(self.stream, text)


class _Request:
    """A request in flight: done when the reply and both output markers have arrived."""

    def __init__(self, future: asyncio.Future[tuple[Header, list[bytes]]], log: LogSink | None):
        self.future = future
        self.log = log
        self.reply: tuple[Header, list[bytes]] | None = None
        self.markers = 0

    def maybe_finish(self) -> None:
        if self.reply is not None and self.markers >= 2 and not self.future.done():
            self.future.set_result(self.reply)


class WorkerProcess(asyncio.SubprocessProtocol):
    """One warm worker subprocess; one request at a time."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.pid = 0
        self._meter: ProcessMeter | None = None
        self._marker_token = secrets.token_hex(12)
        marker = f"\x1e{self._marker_token}\x1e".encode()
        self._outputs = {fd: MarkedStream(stream, marker) for fd, stream in _STREAMS.items()}
        self._replies: FrameReceiver | None = None
        self._transport: asyncio.SubprocessTransport | None = None
        self._requests: FrameSender | None = None
        self._request: _Request | None = None
        self._exited: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self.returncode: int | None = None
        self._killed = False
        self._retired = False

    @classmethod
    async def spawn(
        cls,
        name: str,
        argv: Sequence[str],
        *,
        env: Mapping[str, str],
        cwd: str | None = None,
        ready_timeout: float = 60.0,
    ) -> WorkerProcess:
        """Start `argv` (which gets `--request-fd R --reply-fd W --marker TOKEN` appended) and
        wait until it answers a ping."""
        loop = asyncio.get_running_loop()
        worker = cls(name)
        request_read, request_write = os.pipe()
        reply_read, reply_write = os.pipe()
        theirs, ours = (request_read, reply_write), (request_write, reply_read)
        try:
            for fd in ours:
                _grow_pipe(fd)
                os.set_blocking(fd, False)
            transport, _ = await loop.subprocess_exec(
                lambda: worker,
                *_die_with_parent(),
                *argv,
                "--request-fd",
                str(request_read),
                "--reply-fd",
                str(reply_write),
                "--marker",
                worker._marker_token,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                pass_fds=theirs,
                start_new_session=True,
                env=dict(env),
                cwd=cwd,
            )
        except BaseException:
            for fd in ours:
                os.close(fd)
            raise
        finally:
            for fd in theirs:
                os.close(fd)
        worker._transport = transport
        worker.pid = transport.get_pid()
        worker._requests = FrameSender(request_write)
        worker._replies = FrameReceiver(reply_read)
        loop.add_reader(reply_read, worker._replies_ready)
        try:
            await asyncio.wait_for(worker.request({"op": "ping"}), ready_timeout)
        except BaseException:
            worker.kill()
            raise
        return worker

    # -- asyncio.SubprocessProtocol -------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.SubprocessTransport)
        self._transport = transport

    def pipe_data_received(self, fd: int, data: bytes) -> None:
        output = self._outputs.get(fd)
        if output is None:
            return
        request = self._request
        seen = output.feed(data, request.log if request else None)
        if seen and request is not None:
            request.markers += seen
            request.maybe_finish()

    @property
    def meter(self) -> ProcessMeter:
        """CPU and peak memory of this worker, per attempt (its /proc files kept open)."""
        if self._meter is None:
            self._meter = ProcessMeter(self.pid)
        return self._meter

    def process_exited(self) -> None:
        if self._meter is not None:
            self._meter.close()
            self._meter = None
        self.returncode = self._transport.get_returncode() if self._transport else -1
        if not self._exited.done():
            self._exited.set_result(self.returncode or 0)
        self._fail(self._crash_message())

    # -- protocol ---------------------------------------------------------------------------

    def _replies_ready(self) -> None:
        assert self._replies is not None
        frames, ended = self._replies.read_available()
        for frame in frames:
            request = self._request
            if request is None:
                continue
            request.reply = frame
            request.maybe_finish()
        if ended:
            self._close_replies()
            self._reply_closed()

    def _close_requests(self) -> None:
        if self._requests is not None:
            asyncio.get_running_loop().remove_writer(self._requests.fd)
            os.close(self._requests.fd)
            self._requests = None

    def _close_replies(self) -> None:
        if self._replies is not None:
            asyncio.get_running_loop().remove_reader(self._replies.fd)
            os.close(self._replies.fd)
            self._replies = None

    def _reply_closed(self) -> None:
        if self.returncode is None:
            # Usually the process is exiting and `process_exited` follows with its status;
            # one that closed its reply pipe but lives on cannot answer any more.
            asyncio.get_running_loop().call_later(1.0, self._kill_if_alive)

    def _kill_if_alive(self) -> None:
        if self.alive:
            self.kill()

    @property
    def alive(self) -> bool:
        """Running and usable: False from the moment it is killed or retired, before it has
        exited."""
        return (
            self.returncode is None
            and not self._killed
            and not self._retired
            and not self._exited.done()
        )

    def retire(self) -> None:
        """Serve no more requests: its pool stops it and starts a fresh one in its place."""
        self._retired = True

    def rss_bytes(self) -> int:
        """The worker's resident memory (0 when it cannot be read)."""
        try:
            with open(f"/proc/{self.pid}/statm") as statm:
                return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, ValueError, IndexError):
            return 0

    @property
    def stderr_tail(self) -> str:
        return bytes(self._outputs[2].tail).decode("utf-8", "replace")

    async def request(
        self, header: Header, blobs: Sequence[bytes] = (), log: LogSink | None = None
    ) -> tuple[Header, list[bytes]]:
        """Send one request and wait for its reply; user output streams to `log` meanwhile."""
        if not self.alive or self._requests is None:
            raise WorkerCrashed(self._crash_message())
        if self._request is not None:
            raise RuntimeError(f"{self.name} worker is busy")
        future: asyncio.Future[tuple[Header, list[bytes]]] = (
            asyncio.get_running_loop().create_future()
        )
        self._request = _Request(future, log)
        try:
            self._requests.add(frame_parts(header, tuple(blobs)))
            self._send_requests()
            return await future
        finally:
            self._request = None

    def _send_requests(self) -> None:
        sender = self._requests
        if sender is None:
            return
        loop = asyncio.get_running_loop()
        try:
            done = sender.write_available()
        except OSError:  # the worker is gone; `process_exited` reports how
            done = True
        loop.remove_writer(sender.fd)
        if not done:
            loop.add_writer(sender.fd, self._send_requests)

    def kill(self) -> None:
        """SIGKILL the worker's whole process group (it and everything the user's code started)."""
        self._killed = True
        if self.pid:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.pid, signal.SIGKILL)
        self._fail(f"the {self.name} worker was killed")

    async def wait(self) -> int:
        """Wait for the process to exit; its exit status."""
        return await asyncio.shield(self._exited)

    async def close(self, grace: float = 2.0) -> None:
        """Ask the worker to exit (end of input), kill it if it does not within `grace` seconds."""
        if self._request is not None:
            self.kill()  # busy: the request in flight fails now rather than after the grace
        if self.returncode is None and not self._killed and self._requests is not None:
            self._close_requests()
            try:
                await asyncio.wait_for(self.wait(), grace)
            except TimeoutError:
                self.kill()
        if self.alive:
            self.kill()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.wait(), grace)
        # Kill leftovers the user's code may have started in the worker's process group.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            if self.pid:
                os.killpg(self.pid, signal.SIGKILL)
        if self._transport is not None:
            self._transport.close()
        self._close_replies()
        self._close_requests()

    def _fail(self, message: str) -> None:
        request = self._request
        if request is not None and not request.future.done():
            request.future.set_exception(WorkerCrashed(message))

    def _crash_message(self) -> str:
        code = self.returncode
        status = (
            f"was killed by signal {-code}"
            if code is not None and code < 0
            else f"exited with status {code}"
        )
        tail = self.stderr_tail.strip()
        return f"the {self.name} worker {status}" + (f":\n{tail}" if tail else "")


def _die_with_parent() -> list[str]:
    """A prefix that makes the kernel kill the worker when the agent dies (even by SIGKILL):
    a worker stuck in a busy loop never reads the end of its request pipe, so it would
    outlive the agent otherwise. util-linux's setpriv is on every Debian system; without it
    the worker still exits when its request pipe closes. (The signal follows the thread that
    spawned the worker, so workers must be spawned on a long-lived event loop thread, as the
    agent's.)"""
    setpriv = shutil.which("setpriv", path="/usr/bin:/bin")
    return [setpriv, "--pdeathsig", "KILL", "--"] if setpriv else []


def _grow_pipe(fd: int) -> None:
    """Raise a pipe's buffer to 1 MiB (the unprivileged maximum): big tables then cross
    in 16x fewer wake-ups. Best effort; the default 64 KiB still works."""
    with contextlib.suppress(OSError, AttributeError):
        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, 1 << 20)
