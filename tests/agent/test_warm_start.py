"""The agent warms the Python adapter's worker at start, in the background, and stays small."""

from __future__ import annotations

import time
from pathlib import Path

from tests.agent.agents import AgentFactory, descendants

IDLE_RSS_LIMIT_KIB = 60 * 1024


def python_workers(pid: int) -> list[int]:
    found = []
    for child in descendants(pid):
        try:
            command = Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"omnix.agent.workers.child" in command:
            found.append(child)
    return found


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError(f"no VmRSS for {pid}")


def wait_for_worker(pid: int, timeout_s: float = 20.0) -> list[int]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if workers := python_workers(pid):
            return workers
        time.sleep(0.05)  # Polling /proc: there is no event for a process appearing.
    raise AssertionError(f"no python worker below the agent after {timeout_s}s")


def test_a_python_worker_is_warm_before_any_run(agent_factory: AgentFactory) -> None:
    agent = agent_factory()
    assert wait_for_worker(agent.process.pid)


def test_the_idle_agent_process_stays_within_60_mib_with_a_warm_worker(
    agent_factory: AgentFactory,
) -> None:
    agent = agent_factory()
    wait_for_worker(agent.process.pid)
    assert rss_kib(agent.process.pid) <= IDLE_RSS_LIMIT_KIB
