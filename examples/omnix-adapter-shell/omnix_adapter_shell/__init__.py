"""`lang: shell` for Omnix: node code runs with /bin/sh (see README.md for the contract)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
from collections import deque
from typing import Any

from omnix.agent.adapters.base import LogSink, NodeFailure, NodeTask, Value

__all__ = ["ShellAdapter"]

BASE_ENV = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}


def _environment(task: NodeTask) -> dict[str, str] | NodeFailure:
    """The script's environment: upstream values, params and the node's own env."""
    env = dict(BASE_ENV)
    env.update(task.env)
    env["params"] = json.dumps(dict(task.params))
    for name, value in task.params.items():
        if isinstance(value, str | int | float | bool):
            env[f"params_{name}"] = str(value).lower() if isinstance(value, bool) else str(value)
    for upstream, value in task.inputs.items():
        if value.kind != "json":
            return NodeFailure(
                f"shell node '{task.node.id}' reads JSON values only, but '{upstream}' produced a table; "
                "convert it first (e.g. a python node returning df.to_dict('records'))"
            )
        env[upstream] = value.data.decode("utf-8")
    return env


def _output(stdout: bytes) -> Value:
    """stdout as the node's value: JSON when it parses, else the text as a JSON string."""
    text = stdout.decode("utf-8", errors="replace")
    text = text[:-1] if text.endswith("\n") else text
    try:
        parsed: Any = json.loads(text)
    except ValueError:
        parsed = text
    return Value("json", json.dumps(parsed).encode())


class ShellAdapter:
    """Runs each shell node as a fresh `/bin/sh` process in its own process group."""

    language = "shell"

    def __init__(self, shell: str = "/bin/sh") -> None:
        self.shell = shell

    async def start(self) -> None:
        """Nothing to warm up: a shell starts in about a millisecond."""

    async def close(self) -> None:
        """Nothing stays running between nodes."""

    async def execute(self, task: NodeTask, log: LogSink) -> Value | NodeFailure:
        """Run the node's script; stream its stderr to `log`."""
        env = _environment(task)
        if isinstance(env, NodeFailure):
            return env
        proc = await asyncio.create_subprocess_exec(
            self.shell,
            "-c",
            task.node.code,
            task.node.id,  # $0: sh names it in error messages ("id: 3: ...")
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=env,
            start_new_session=True,
        )
        assert proc.stdout is not None and proc.stderr is not None
        tail: deque[str] = deque(maxlen=20)

        async def stream_stderr(stderr: asyncio.StreamReader) -> None:
            async for raw in stderr:
                line = raw.decode("utf-8", errors="replace").rstrip("\n")
                tail.append(line)
                log("stderr", line)

        try:
            async with asyncio.timeout(task.node.timeout):
                stdout, _ = await asyncio.gather(proc.stdout.read(), stream_stderr(proc.stderr))
                status = await proc.wait()
        except (TimeoutError, asyncio.CancelledError) as exc:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            await proc.wait()
            if isinstance(exc, asyncio.CancelledError):
                raise
            return NodeFailure(
                f"shell node '{task.node.id}' timed out after {task.node.timeout:g} s"
            )
        if status != 0:
            return NodeFailure(
                f"shell node '{task.node.id}' exited with status {status}", "\n".join(tail)
            )
        return _output(stdout)
