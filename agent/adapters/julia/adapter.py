"""`lang: julia` nodes (ARCHITECTURE §3): tables are vectors of `Dict{String,Any}` rows, the
last expression is the output.

Each worker keeps one warm ``julia worker.jl`` (standard library only, no packages to
install), which evaluates node after node, each in a fresh module. Values cross as the
typed exchange (docs/languages.md): int64 columns are `Int64`, dates `Dates.Date`,
timestamps `Dates.DateTime` (millisecond precision: finer values are refused, never
truncated), null is `nothing`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from omnix.agent.adapters.external import ExternalAdapter, Runtime, probe
from omnix.shared.runtimes import install_hint

WORKER_SCRIPT = Path(__file__).resolve().parent / "worker.jl"
INSTALL_HINT = install_hint("julia")


class JuliaAdapter(ExternalAdapter):
    """Runs `lang: julia` nodes in warm julia processes (`julia` from PATH, or the path given)."""

    language = "julia"
    install_hint = INSTALL_HINT
    start_timeout_s = 120.0

    async def locate(self, executable: str | None) -> Runtime:
        """`julia --version`."""
        return await probe(
            "Julia",
            executable or "julia",
            ["--version"],
            r"julia version (\d+\.\d+\.\d+)",
            INSTALL_HINT,
        )

    def runtime_spec(self, runtime: Runtime) -> dict[str, Any]:
        """julia without the user's startup file, running worker.jl."""
        command = [runtime.path, "--startup-file=no", "--history-file=no", str(WORKER_SCRIPT)]
        return {"language": "julia", "kind": "warm", "command": command}
