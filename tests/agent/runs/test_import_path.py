"""The engine lives in the agent daemon: importing it must not load the data libraries."""

from __future__ import annotations

import subprocess
import sys


def test_importing_the_engine_loads_neither_pandas_pyarrow_nor_duckdb() -> None:
    probe = (
        "import sys, omnix.agent.runs.engine, omnix.agent.cli.run, omnix.agent.adapters.python, "
        "omnix.agent.adapters.sql\n"
        "print(','.join(m for m in ('pandas', 'pyarrow', 'duckdb', 'numpy') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.strip() == ""
