"""`lang: go` nodes (ARCHITECTURE §3): the body of ``func run(in Inputs) (any, error)``.

Each node is compiled into a static binary together with ``omnix.go`` (the exchange and the
`Inputs` type) and cached under the hash of its code, the support code and the Go version,
in the agent's cache directory: a re-run, or another node with the same code, does not
compile again. A `//line` directive makes compile errors and panics name the node's own
line numbers. Each attempt runs the cached binary once, in the node's folder, with the
node's environment.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from omnix.agent.adapters.external import ExternalAdapter, Runtime, probe
from omnix.shared.paths import default_cache_dir
from omnix.shared.runtimes import install_hint

SUPPORT = Path(__file__).resolve().parent / "omnix.go"
INSTALL_HINT = install_hint("go")


class GoAdapter(ExternalAdapter):
    """Runs `lang: go` nodes; values cross as docs/languages.md says."""

    language = "go"
    install_hint = INSTALL_HINT

    def __init__(self, go: str | None = None, *, cache_dir: Path | None = None) -> None:
        super().__init__(go)
        self._cache_dir = cache_dir

    async def locate(self, executable: str | None) -> Runtime:
        """`go version` of the Go toolchain on PATH (or the one given)."""
        return await probe(
            "Go", executable or "go", ["version"], r"go version go(\S+)", INSTALL_HINT
        )

    def runtime_spec(self, runtime: Runtime) -> dict[str, Any]:
        """The toolchain, the support file and the cache the binaries go to."""
        return {
            "language": "go",
            "kind": "go",
            "go": runtime.path,
            "version": runtime.version,
            "support": str(SUPPORT),
            "cache": str(self._cache_dir or default_cache_dir()),
        }
