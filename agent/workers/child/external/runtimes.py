"""The runtimes behind the `external` operation: warm interpreters and cached builds.

Both kinds read the request line on stdin and write the reply line on the file descriptor
named by ``OMNIX_REPLY_FD``; their stdout and stderr are the worker's, i.e. the node's log.

- `WarmRuntime` (R, Scala, Julia) starts once and serves request after request. A runtime
  that cannot change its working directory or environment in-process (the JVM) is started
  anew when a node needs different ones (``restart_per``).
- `GoRuntime` builds the node into a binary cached under the code's hash, then runs it
  once per attempt: a node whose code did not change never compiles again.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any, BinaryIO, Protocol


class RuntimeEnded(Exception):
    """The runtime process died (or never started) before it replied."""


class BuildFailed(Exception):
    """The node's code did not compile: `message` names the first error and its line."""

    def __init__(self, message: str, detail: str) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail


class Runtime(Protocol):
    spec: dict[str, Any]

    def call(self, line: str, header: Mapping[str, Any]) -> dict[str, Any]: ...

    def stop(self) -> None: ...


def _read_reply(reader: BinaryIO) -> dict[str, Any] | None:
    raw = reader.readline()
    if not raw:
        return None
    reply: dict[str, Any] = json.loads(raw)
    return reply


class WarmRuntime:
    """A long-lived runtime process; one request at a time."""

    def __init__(self, spec: dict[str, Any], base_env: Mapping[str, str]) -> None:
        self.spec = spec
        self._base_env = dict(base_env)
        self._process: subprocess.Popen[bytes] | None = None
        self._replies: BinaryIO | None = None
        self._key: tuple[Any, ...] = ()

    def _wanted_key(self, header: Mapping[str, Any]) -> tuple[Any, ...]:
        per = self.spec.get("restart_per") or []
        key: list[Any] = []
        if "workdir" in per:
            key.append(header.get("workdir"))
        if "env" in per:
            key.append(tuple(sorted((header.get("env") or {}).items())))
        return tuple(key)

    def _start(self, header: Mapping[str, Any]) -> None:
        read_fd, write_fd = os.pipe()
        per = self.spec.get("restart_per") or []
        env = dict(self._base_env)
        if "env" in per:
            env.update(header.get("env") or {})
        env["OMNIX_REPLY_FD"] = str(write_fd)
        cwd = header.get("workdir") if "workdir" in per and header.get("workdir") else None
        try:
            self._process = subprocess.Popen(
                list(self.spec["command"]),
                stdin=subprocess.PIPE,
                pass_fds=(write_fd,),
                env=env,
                cwd=cwd,
            )
        except OSError as exc:
            os.close(read_fd)
            raise RuntimeEnded(
                f"the {self.spec['language']} runtime did not start: {exc}"
            ) from None
        finally:
            os.close(write_fd)
        self._replies = os.fdopen(read_fd, "rb")
        ready = self._replies.readline()
        if not ready:
            raise self._ended("while starting")
        self._key = self._wanted_key(header)

    def _ended(self, when: str) -> RuntimeEnded:
        code = self._process.wait() if self._process is not None else None
        self.stop()
        return RuntimeEnded(
            f"the {self.spec['language']} runtime ({self.spec['command'][0]}) ended {when} "
            f"with exit code {code}"
        )

    def call(self, line: str, header: Mapping[str, Any]) -> dict[str, Any]:
        if (
            self._process is None
            or self._process.poll() is not None
            or self._key != self._wanted_key(header)
        ):
            self.stop()
            self._start(header)
        assert self._process is not None and self._process.stdin is not None
        assert self._replies is not None
        try:
            self._process.stdin.write(line.encode() + b"\n")
            self._process.stdin.flush()
        except BrokenPipeError:
            raise self._ended("before reading the request") from None
        reply = _read_reply(self._replies)
        if reply is None:
            raise self._ended("while running the node")
        return reply

    def stop(self) -> None:
        if self._process is not None:
            with contextlib.suppress(OSError):
                if self._process.stdin is not None:
                    self._process.stdin.close()
            if self._process.poll() is None:
                self._process.kill()
            self._process.wait()
            self._process = None
        if self._replies is not None:
            self._replies.close()
            self._replies = None


_GO_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_GO_ERROR = re.compile(r"^(?P<file>[^:\s]+\.go):(?P<line>\d+)(?::(?P<col>\d+))?: (?P<text>.*)$")


GO_STANDARD_PACKAGES = {
    name.rsplit("/", 1)[-1]: name
    for name in (
        "bufio",
        "bytes",
        "context",
        "crypto/sha256",
        "encoding/base64",
        "encoding/csv",
        "encoding/hex",
        "encoding/json",
        "errors",
        "fmt",
        "io",
        "math",
        "math/big",
        "math/rand",
        "net/http",
        "net/url",
        "os",
        "os/exec",
        "path/filepath",
        "regexp",
        "slices",
        "sort",
        "strconv",
        "strings",
        "time",
        "unicode",
        "unicode/utf8",
    )
}
"""Standard packages a node may use without importing them: `strings.ToUpper(...)` in
the code imports "strings" (a node may also begin with its own `import` lines)."""
_GO_IMPORT_LINE = re.compile(r'^\s*import\s+(?:\w+\s+)?"[^"]+"\s*$')
_GO_IMPORT_BLOCK = re.compile(r"^\s*import\s*\(\s*$")
_GO_QUALIFIED = re.compile(r"(?<![\w.])([a-z][a-z0-9]*)\.[A-Za-z_]")


def _declares(body: str, name: str) -> bool:
    """Whether the node's code declares a variable `name` (`name :=`, `a, name :=`, `var name`)."""
    pattern = rf"(?<![\w.]){name}\s*(?:,\s*\w+\s*)*:=|,\s*{name}\s*:=|\bvar\s+{name}\b"
    return re.search(pattern, body) is not None


def _hoist_imports(lines: list[str]) -> list[str]:
    """The node's leading import lines (blanked in `lines`, so line numbers hold)."""
    hoisted: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.strip() or line.strip().startswith("//"):
            i += 1
        elif _GO_IMPORT_LINE.match(line):
            hoisted.append(line.strip())
            lines[i] = ""
            i += 1
        elif _GO_IMPORT_BLOCK.match(line):
            end = i
            while end < len(lines) and lines[end].strip() != ")":
                end += 1
            hoisted.append("\n".join(lines[i : end + 1]))
            for k in range(i, min(end + 1, len(lines))):
                lines[k] = ""
            i = end + 1
        else:
            break
    return hoisted


def go_source(node: str, code: str, inputs: list[Mapping[str, Any]]) -> str:
    """The node's `main` package: its body inside `run`, upstream outputs and `params` bound
    to variables, the standard packages it names imported, and a //line directive so errors
    count lines from the node's code."""
    bound = {"params", "in"}
    bindings = ["\tparams := in.Params", "\t_ = params"]
    for item in inputs:
        name = item["name"]
        if not _GO_IDENT.match(name):
            raise ValueError(f"input {name!r} is not a Go identifier")
        getter = "Table" if item["kind"] == "table" else "Value"
        bindings.append(f'\t{name} := in.{getter}("{name}")')
        bindings.append(f"\t_ = {name}")
        bound.add(name)
    lines = code.rstrip("\n").split("\n")
    imports = _hoist_imports(lines)
    body = "\n".join(lines)
    named = " ".join(imports)
    for package in sorted(set(_GO_QUALIFIED.findall(body))):
        path = GO_STANDARD_PACKAGES.get(package)
        if path is None or package in bound or f'"{path}"' in named:
            continue
        if _declares(body, package):
            continue  # a variable of the node's (`url := ...`), not the package
        imports.append(f'import "{path}"')
    return (
        "package main\n\n"
        + "".join(f"{line}\n" for line in imports)
        + "\nfunc run(in Inputs) (any, error) {\n"
        + "\n".join(bindings)
        + f"\n//line {node}.go:1\n"
        + body
        + "\n}\n"
    )


class GoRuntime:
    """Builds each node's code once (cached by hash) and runs the binary per attempt."""

    def __init__(self, spec: dict[str, Any], base_env: Mapping[str, str]) -> None:
        self.spec = spec
        self._base_env = dict(base_env)
        self._support = Path(spec["support"]).read_text()

    def _cache(self) -> Path:
        return Path(self.spec["cache"]) / "go"

    def _build_env(self) -> dict[str, str]:
        cache = self._cache()
        return {
            **self._base_env,
            "GOCACHE": str(cache / "gocache"),
            "GOPATH": str(cache / "gopath"),
            "GOFLAGS": "-mod=mod",
            "GO111MODULE": "on",
            "GOTOOLCHAIN": "local",
            "GOPROXY": "off",
            "CGO_ENABLED": "0",
        }

    def binary(self, header: Mapping[str, Any]) -> Path:
        """The node's binary, built now unless this exact code was built before."""
        node = str(header.get("node"))
        source = go_source(node, str(header.get("code") or ""), list(header.get("inputs") or []))
        digest = hashlib.sha256(
            "\0".join([self.spec.get("version", ""), self._support, source]).encode()
        ).hexdigest()[:32]
        target = self._cache() / "bin" / digest
        if target.exists():
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=target.parent, prefix=".build-") as build:
            folder = Path(build)
            (folder / "go.mod").write_text("module omnixnode\n\ngo 1.19\n")
            (folder / "omnix.go").write_text(self._support)
            (folder / "node.go").write_text(source)
            done = subprocess.run(
                [self.spec["go"], "build", "-trimpath", "-o", str(folder / "node"), "."],
                cwd=folder,
                env=self._build_env(),
                capture_output=True,
                text=True,
            )
            if done.returncode != 0:
                raise _compile_error(node, done.stderr or done.stdout)
            os.replace(folder / "node", target)
        return target

    def call(self, line: str, header: Mapping[str, Any]) -> dict[str, Any]:
        binary = self.binary(header)
        read_fd, write_fd = os.pipe()
        env = {**os.environ, "OMNIX_REPLY_FD": str(write_fd)}  # the node's env is applied
        try:
            process = subprocess.Popen(
                [str(binary)], stdin=subprocess.PIPE, pass_fds=(write_fd,), env=env
            )
        finally:
            os.close(write_fd)
        with os.fdopen(read_fd, "rb") as replies:
            assert process.stdin is not None
            with contextlib.suppress(BrokenPipeError):
                process.stdin.write(line.encode())
                process.stdin.close()
            reply = _read_reply(replies)
        code = process.wait()
        if reply is None:
            raise RuntimeEnded(f"the Go node's process ended with exit code {code} before replying")
        return reply

    def stop(self) -> None:
        """Nothing stays running between attempts."""


def _compile_error(node: str, output: str) -> BuildFailed:
    lines = [line for line in output.splitlines() if line and not line.startswith("#")]
    own = f"{node}.go"
    for line in lines:
        match = _GO_ERROR.match(line)
        if match and match["file"].endswith(own):
            text = match["text"]
            return BuildFailed(f"GoCompileError: line {match['line']}: {text}", "\n".join(lines))
    first = lines[0] if lines else "go build failed"
    return BuildFailed(f"GoCompileError: {first}", "\n".join(lines))


def runtime_for(spec: dict[str, Any], base_env: Mapping[str, str]) -> Runtime:
    """The runtime a header's `runtime` describes."""
    if spec.get("kind") == "go":
        if shutil.which(spec["go"]) is None and not Path(spec["go"]).exists():
            raise RuntimeEnded(f"the Go toolchain ({spec['go']}) is not installed")
        return GoRuntime(spec, base_env)
    return WarmRuntime(spec, base_env)
