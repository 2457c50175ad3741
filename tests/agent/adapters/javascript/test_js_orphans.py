"""A JavaScript worker never outlives the agent process that started it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ORPHAN_PROBE = """
import asyncio, sys
from omnix.agent.adapters.javascript.adapter import JavaScriptAdapter
from omnix.agent.adapters.base import NodeTask
from omnix.shared.pipeline import Node

async def main():
    adapter = JavaScriptAdapter()
    await adapter.start()
    print(adapter.worker_pids[0], flush=True)
    task = NodeTask("r", Node(id="spin", lang="javascript", code="while (true) {}"), {}, {})
    await adapter.execute(task, lambda s, t: None)

asyncio.run(main())
"""


def test_worker_dies_with_a_killed_agent(require_binary: Callable[[str, str], str]) -> None:
    require_binary("node", "apt-get install nodejs")
    agent = subprocess.Popen(
        [sys.executable, "-c", ORPHAN_PROBE], stdout=subprocess.PIPE, text=True
    )
    worker_pid = 0
    try:
        assert agent.stdout is not None
        worker_pid = int(agent.stdout.readline())
        os.kill(agent.pid, signal.SIGKILL)
        agent.wait(timeout=10)
        deadline = time.monotonic() + 5
        # No event announces another process's death: poll /proc, bounded.
        while Path(f"/proc/{worker_pid}").exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert not Path(f"/proc/{worker_pid}").exists()
    finally:
        agent.kill()
        agent.wait(timeout=10)
        if worker_pid and Path(f"/proc/{worker_pid}").exists():
            os.kill(worker_pid, signal.SIGKILL)  # the test failed: leave no spinning orphan
