"""`lang: scala` nodes (ARCHITECTURE §3): tables are ``Seq[Map[String, Any]]``, the last
expression is the output.

Each worker keeps one warm JVM running ``Worker.scala`` with the Scala compiler loaded. A
node's code is compiled once into classes cached on disk under the hash of its code and
inputs; an unchanged node is loaded, not compiled, even by a new JVM. The JVM cannot change
its working directory or environment, so a node whose folder or `env` differs from the
previous one's gets a fresh JVM (compiled classes stay cached).

``Worker.scala`` itself is compiled by ``scalac`` on first use, into the cache directory.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
from pathlib import Path
from typing import Any

from omnix.agent.adapters.base import AdapterUnavailable
from omnix.agent.adapters.external import ExternalAdapter, Runtime, probe
from omnix.agent.workers.env import minimal_env
from omnix.shared.paths import default_cache_dir
from omnix.shared.runtimes import install_hint

WORKER_SOURCE = Path(__file__).resolve().parent / "Worker.scala"
INSTALL_HINT = install_hint("scala")
JARS = ("scala-library.jar", "scala-reflect.jar", "scala-compiler.jar")
COMPILE_TIMEOUT_S = 300.0


class ScalaAdapter(ExternalAdapter):
    """Runs `lang: scala` nodes in warm JVMs."""

    language = "scala"
    install_hint = INSTALL_HINT
    start_timeout_s = 120.0

    def __init__(self, scala: str | None = None, *, cache_dir: Path | None = None) -> None:
        super().__init__(scala)
        self._cache_dir = cache_dir
        self._classpath = ""
        self._java = ""

    def _cache(self) -> Path:
        return (self._cache_dir or default_cache_dir()) / "scala"

    async def _probe(self, executable: str | None) -> tuple[Runtime, str]:
        """`scala -version` and the `java` that runs the worker."""
        runtime = await probe(
            "Scala", executable or "scala", ["-version"], r"version (\d+\.\d+\.\d+)", INSTALL_HINT
        )
        java = shutil.which("java")
        if java is None:
            raise AdapterUnavailable(f"java not found: Scala nodes run on a JVM; {INSTALL_HINT}")
        return runtime, java

    async def locate(self, executable: str | None) -> Runtime:
        """`scala -version`, `java`, the jars and scalac beside scala, and Worker.scala
        compiled (once per installation)."""
        runtime, java = await self._probe(executable)
        bin_dir = Path(os.path.realpath(runtime.path)).parent
        jars = [bin_dir.parent / "lib" / jar for jar in JARS]
        scalac = bin_dir / "scalac"
        missing = [str(path) for path in (*jars, scalac) if not path.exists()]
        if missing:
            raise AdapterUnavailable(
                f"the Scala installation at {bin_dir.parent} lacks {', '.join(missing)}; "
                f"{INSTALL_HINT}"
            )
        digest = hashlib.sha256(WORKER_SOURCE.read_bytes() + runtime.version.encode())
        classes = self._cache() / f"worker-{digest.hexdigest()[:16]}"
        if not (classes / ".done").exists():
            await self._compile_worker(scalac, jars, classes)
        self._java = java
        self._classpath = os.pathsep.join([*map(str, jars), str(classes)])
        return runtime

    async def version(self) -> str:
        """`scala -version` alone: the worker is compiled when the first node needs it."""
        if self._runtime is not None:
            return self._runtime.version
        return (await self._probe(self._executable))[0].version

    async def _compile_worker(self, scalac: Path, jars: list[Path], classes: Path) -> None:
        building = classes.with_name(classes.name + f".{os.getpid()}")
        shutil.rmtree(building, ignore_errors=True)
        building.mkdir(parents=True)
        proc = await asyncio.create_subprocess_exec(
            str(scalac),
            "-nowarn",
            "-d",
            str(building),
            "-cp",
            os.pathsep.join(map(str, jars)),
            str(WORKER_SOURCE),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            env=minimal_env(),
        )
        try:
            out, _ = await asyncio.wait_for(proc.communicate(), COMPILE_TIMEOUT_S)
        except TimeoutError:
            proc.kill()
            raise AdapterUnavailable("scalac did not compile the Scala worker in time") from None
        if proc.returncode != 0:
            raise AdapterUnavailable(
                f"scalac could not compile the Scala worker ({WORKER_SOURCE}): "
                f"{out.decode(errors='replace').strip()[:2000]}"
            )
        (building / ".done").touch()
        if classes.exists():
            shutil.rmtree(building, ignore_errors=True)
        else:
            os.replace(building, classes)

    def runtime_spec(self, runtime: Runtime) -> dict[str, Any]:
        """A JVM running the compiled worker, restarted for another folder or environment."""
        command = [
            self._java,
            "-Xss16m",
            "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1",
            "-cp",
            self._classpath,
            "omnix.scalanode.Worker",
            str(self._cache() / "nodes"),
        ]
        return {
            "language": "scala",
            "kind": "warm",
            "command": command,
            "restart_per": ["workdir", "env"],
        }
