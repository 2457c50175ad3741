"""Calls to an agent through an `ssh://` address against the same calls on its unix socket.

    .venv/bin/python bench/ssh_tunnel.py [--calls 500]

Starts a real sshd on a loopback port (as the tests do) and an agent; times GetStatus
(unary) through a direct `unix:` client and through an `ssh://` client (p50 and p95),
the SSH connection's set-up, and `omnix runs` end to end both ways.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from grpc_health.v1 import health_pb2
from omnix.shared.client import AgentAddress, AgentClient

from tests.agent.agents import environment, spawn_agent
from tests.agent.remote.conftest import start_sshd


def timed_calls(client: AgentClient, calls: int) -> list[float]:
    request = health_pb2.HealthCheckRequest(service="")
    client._health.Check(request, timeout=10)  # connect first
    times = []
    for _ in range(calls):
        started = time.perf_counter()
        client._health.Check(request, timeout=10)
        times.append((time.perf_counter() - started) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=500)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="ox", dir="/tmp"))
    agent = spawn_agent(root / "agent")
    home = root / "home"
    try:
        with start_sshd() as server:
            (home / ".ssh").mkdir(parents=True, mode=0o700)
            shutil.copy(server.client_key, home / ".ssh" / "id_ed25519")
            os.chmod(home / ".ssh" / "id_ed25519", 0o600)
            (home / ".ssh" / "known_hosts").write_text(server.known_hosts_line())
            os.environ["HOME"] = str(home)
            command = Path(sys.executable).with_name("omnix-agent")
            socket = str(agent.address).removeprefix("unix:")
            ssh = f"ssh://{server.user}@127.0.0.1:{server.port}{socket}?command={command}"
            direct = timed_calls(AgentClient(AgentAddress(agent.address)), args.calls)
            started = time.perf_counter()
            tunnelled_client = AgentClient(AgentAddress(ssh))
            setup_ms = (time.perf_counter() - started) * 1000
            tunnelled = timed_calls(tunnelled_client, args.calls)
            omnix = str(Path(sys.executable).with_name("omnix"))
            env = environment(HOME=str(home))

            def run_ms(address: str) -> float:
                times = []
                for _ in range(5):
                    started = time.perf_counter()
                    subprocess.run(
                        [omnix, "runs", "--agent", address],
                        check=True,
                        capture_output=True,
                        env=env,
                    )
                    times.append((time.perf_counter() - started) * 1000)
                return statistics.median(times)

            direct_cli, ssh_cli = run_ms(agent.address), run_ms(ssh)
            tunnelled_client.close()
        q = lambda xs, p: statistics.quantiles(xs, n=100)[p - 1]  # noqa: E731
        print(f"machine: {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")
        print("| call | p50 | p95 |")
        print("|---|---:|---:|")
        print(
            f"| health check, unix socket | {statistics.median(direct):.3f} ms | {q(direct, 95):.3f} ms |"
        )
        print(
            f"| health check, ssh:// | {statistics.median(tunnelled):.3f} ms | {q(tunnelled, 95):.3f} ms |"
        )
        print(
            f"| added by the tunnel | {statistics.median(tunnelled) - statistics.median(direct):+.3f} ms | |"
        )
        print(f"| SSH connection set-up (connect, host key, auth) | {setup_ms:.0f} ms | |")
        print(f"| `omnix runs`, unix socket / ssh:// | {direct_cli:.0f} / {ssh_cli:.0f} ms | |")
    finally:
        agent.close()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
