"""What each built-in language needs installed on the machine that runs its nodes.

One table, read by the agent's adapters (their errors), by `omnix validate` (a warning for a
node whose runtime this machine lacks) and by `omnix-agent status` (which languages the
agent can run).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RuntimeNeed:
    """A language's runtime: the executable that must be on PATH and how to install it."""

    language: str
    executable: str
    install: str


RUNTIME_NEEDS: dict[str, RuntimeNeed] = {
    need.language: need
    for need in (
        RuntimeNeed(
            "javascript", "node", "install Node.js 20 or newer, e.g. apt-get install nodejs"
        ),
        RuntimeNeed(
            "r",
            "Rscript",
            "install R with jsonlite and bit64, e.g. "
            "apt-get install r-base-core r-cran-jsonlite r-cran-bit64",
        ),
        RuntimeNeed("go", "go", "install Go 1.19 or newer, e.g. apt-get install golang-go"),
        RuntimeNeed(
            "scala",
            "scala",
            "install Scala and a JDK, e.g. apt-get install scala default-jre-headless",
        ),
        RuntimeNeed(
            "julia",
            "julia",
            "install Julia 1.6 or newer from https://julialang.org/downloads/ and put `julia` "
            "on PATH (Debian does not package it)",
        ),
    )
}
"""Python and SQL run in the agent's own interpreter, so they need nothing more."""


def install_hint(language: str) -> str:
    """How to install what `language` needs ("" when it needs nothing)."""
    need = RUNTIME_NEEDS.get(language)
    return need.install if need is not None else ""


def missing_runtime(language: str) -> str | None:
    """Why this machine cannot run `language` nodes (its executable is not on PATH), or None."""
    need = RUNTIME_NEEDS.get(language)
    if need is None or shutil.which(need.executable) is not None:
        return None
    return f"{need.executable} is not installed on this machine: {need.install}"
