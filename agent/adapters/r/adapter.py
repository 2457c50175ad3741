"""`lang: r` nodes (ARCHITECTURE §3): tables are data.frames, the last expression is the output.

Each worker keeps one warm ``Rscript worker.R`` (jsonlite and bit64 loaded once), which
evaluates node after node, each in a fresh environment. Values cross as the typed exchange
(docs/languages.md): an int64 column arrives as `integer` when every value fits R's 32
bits and as `bit64::integer64` otherwise, so no integer is ever rounded to a double.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from omnix.agent.adapters.base import AdapterUnavailable
from omnix.agent.adapters.external import ExternalAdapter, Runtime, probe
from omnix.shared.runtimes import install_hint

WORKER_SCRIPT = Path(__file__).resolve().parent / "worker.R"
INSTALL_HINT = install_hint("r")
PACKAGES = ("jsonlite", "bit64")


class RAdapter(ExternalAdapter):
    """Runs `lang: r` nodes in warm Rscript processes."""

    language = "r"
    install_hint = INSTALL_HINT
    start_timeout_s = 60.0

    async def locate(self, executable: str | None) -> Runtime:
        """Rscript's version, and a check that the packages the worker loads are installed."""
        runtime = await probe(
            "R", executable or "Rscript", ["--version"], r"version (\d+\.\d+\.\d+)", INSTALL_HINT
        )
        check = "; ".join(f"library({p})" for p in PACKAGES)
        try:
            await probe(
                "R", runtime.path, ["-e", f"{check}; cat('ok', '\\n')"], r"(ok)", INSTALL_HINT
            )
        except AdapterUnavailable:
            raise AdapterUnavailable(
                f"R at {runtime.path} lacks a package R nodes need ({', '.join(PACKAGES)}); "
                f"{INSTALL_HINT}"
            ) from None
        return runtime

    def runtime_spec(self, runtime: Runtime) -> dict[str, Any]:
        """A line-buffered Rscript running worker.R (stdbuf, so print() reaches the log as written)."""
        command = [runtime.path, "--no-save", "--no-restore", str(WORKER_SCRIPT)]
        stdbuf = shutil.which("stdbuf")
        if stdbuf is not None:
            command = [stdbuf, "-oL", "-eL", *command]
        return {"language": "r", "kind": "warm", "command": command, "json_as_text": True}
