"""Fixtures for the JavaScript adapter tests: one real Node.js worker per test module."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pytest
import pytest_asyncio
from omnix.agent.adapters.base import NodeFailure, NodeTask, Value
from omnix.agent.adapters.javascript.adapter import JavaScriptAdapter
from omnix.shared.pipeline import Node


def arrow_bytes(table: pa.Table) -> bytes:
    """A table as Arrow IPC stream bytes, as the engine hands them to adapters."""
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return bytes(sink.getvalue().to_pybytes())


def read_arrow(data: bytes) -> pa.Table:
    return pa.ipc.open_stream(data).read_all()


def table_value(table: pa.Table) -> Value:
    return Value("table", arrow_bytes(table))


@dataclass
class Outcome:
    """What one node run produced: its result and its log lines."""

    result: Value | NodeFailure
    logs: list[tuple[str, str]] = field(default_factory=list)

    @property
    def table(self) -> pa.Table:
        assert isinstance(self.result, Value), f"node failed: {self.result}"
        assert self.result.kind == "table", f"expected a table, got JSON {self.result.data!r}"
        return read_arrow(self.result.data)

    @property
    def json(self) -> bytes:
        assert isinstance(self.result, Value), f"node failed: {self.result}"
        assert self.result.kind == "json", "expected JSON, got a table"
        return self.result.data

    @property
    def failure(self) -> NodeFailure:
        assert isinstance(self.result, NodeFailure), f"expected a failure, got {self.result}"
        return self.result


Run = Callable[..., Awaitable[Outcome]]


def make_task(
    code: str,
    inputs: Mapping[str, Value] | None = None,
    params: Mapping[str, Any] | None = None,
    *,
    node_id: str = "report",
    timeout: float | None = None,
    env: Mapping[str, str] | None = None,
) -> NodeTask:
    inputs = dict(inputs or {})
    node = Node(id=node_id, lang="javascript", code=code, needs=tuple(inputs), timeout=timeout)
    return NodeTask(
        run_id="r1", node=node, inputs=inputs, params=dict(params or {}), env=dict(env or {})
    )


async def run_on(
    adapter: JavaScriptAdapter, code: str, inputs: Mapping[str, Value] | None = None, **kw: Any
) -> Outcome:
    params = kw.pop("params", None)
    logs: list[tuple[str, str]] = []
    result = await adapter.execute(
        make_task(code, inputs, params, **kw), lambda s, t: logs.append((s, t))
    )
    return Outcome(result, logs)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def module_adapter() -> AsyncIterator[JavaScriptAdapter | None]:
    if shutil.which("node") is None:
        yield None  # the `js` fixture skips (or fails in CI) through require_binary
        return
    adapter = JavaScriptAdapter()
    await adapter.start()
    yield adapter
    await adapter.close()


@pytest.fixture
def js(
    require_binary: Callable[[str, str], str], module_adapter: JavaScriptAdapter | None
) -> JavaScriptAdapter:
    """A started adapter with a real Node.js worker, shared by the tests of one module."""
    require_binary("node", "apt-get install nodejs")
    assert module_adapter is not None
    return module_adapter


@pytest.fixture
def run(js: JavaScriptAdapter) -> Run:
    """`await run(code, {"up": value}, params={...})` runs one node and returns its Outcome."""

    async def _run(code: str, inputs: Mapping[str, Value] | None = None, **kw: Any) -> Outcome:
        return await run_on(js, code, inputs, **kw)

    return _run
