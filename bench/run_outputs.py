"""What keeping outputs costs: a 1M-row table feeding a SQL count, run through an agent with
`omnix run` (final nodes' outputs kept) and `omnix run --json` (every output kept).

    .venv/bin/python bench/run_outputs.py
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.agent.conftest import environment, spawn_agent

PIPELINE = """\
omnix: 1
name: big
nodes:
  - id: big
    lang: python
    code: |
      import pandas as pd
      pd.DataFrame({"n": range(1_000_000), "s": ["x"] * 1_000_000})
  - id: total
    lang: sql
    needs: [big]
    code: SELECT COUNT(*) AS rows FROM big
"""


def peak_rss_mib(pid: int) -> int:
    """The process's peak resident set (VmHWM)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) // 1024
    return -1


def main() -> None:
    """Run each variant once on its own fresh agent and print time and the agent's peak RSS."""
    root = Path(tempfile.mkdtemp(prefix="ox", dir="/tmp"))
    path = root / "big.yaml"
    path.write_text(PIPELINE)
    omnix = Path(sys.executable).parent / "omnix"
    for label, extra in (("omnix run (final outputs)", []), ("omnix run --json (all)", ["--json"])):
        agent = spawn_agent(root / label.split()[2].strip("(-"))
        try:
            started = time.monotonic()
            subprocess.run(
                [str(omnix), "run", str(path), "--agent", agent.address, *extra],
                check=True,
                capture_output=True,
                env=environment(),
            )
            elapsed = time.monotonic() - started
            print(f"{label}: {elapsed:.2f} s, agent peak RSS {peak_rss_mib(agent.process.pid)} MiB")
        finally:
            agent.close()


if __name__ == "__main__":
    main()
