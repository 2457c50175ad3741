"""A worker's memory after big nodes: collected while idle, capped, and warm workers kept."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import numpy as np
import pyarrow as pa
import pytest
from omnix.agent.adapters.base import Value
from omnix.agent.adapters.javascript import JavaScriptAdapter

from .conftest import run_on, table_value

MIB = 1024 * 1024
CAP_MIB = 300


async def until(condition: Callable[[], bool], seconds: float = 10.0) -> bool:
    """Poll `condition` (another process's memory announces nothing) for a bounded time."""
    deadline = asyncio.get_running_loop().time() + seconds
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            return False
        await asyncio.sleep(0.05)
    return True


@pytest.fixture
def adapter_factory(
    require_binary: Callable[[str, str], str],
) -> Callable[[int], Awaitable[JavaScriptAdapter]]:
    require_binary("node", "apt-get install nodejs")

    async def make(cap_mib: int) -> JavaScriptAdapter:
        adapter = JavaScriptAdapter(max_worker_rss_mib=cap_mib)
        await adapter.start()
        return adapter

    return make


def rss_of(pid: int) -> int:
    with open(f"/proc/{pid}/statm") as statm:
        return int(statm.read().split()[1]) * 4096


async def test_big_node_garbage_is_freed_so_the_warm_worker_is_kept(
    adapter_factory: Callable[[int], Awaitable[JavaScriptAdapter]],
) -> None:
    rows = 1_000_000
    table = pa.table(
        {"id": np.arange(rows), "x": np.arange(rows) * 0.5, "s": np.arange(rows).astype(str)}
    )
    adapter = await adapter_factory(CAP_MIB)
    try:
        [pid] = adapter.worker_pids()
        out = await run_on(adapter, "t.map(r => ({...r, x: r.x + 1}))", {"t": table_value(table)})
        assert isinstance(out.result, Value) and out.result.kind == "table"
        # A million rows twice over leave the heap far above the cap until collected.
        assert await until(lambda: rss_of(pid) < CAP_MIB * MIB)
        assert (await run_on(adapter, "'again'")).result == Value("json", b'"again"')
        assert adapter.worker_pids() == [pid]
    finally:
        await adapter.close()


async def test_idle_worker_over_its_cap_is_replaced_without_waiting_for_a_node(
    adapter_factory: Callable[[int], Awaitable[JavaScriptAdapter]],
) -> None:
    adapter = await adapter_factory(1)  # any worker is bigger than 1 MiB
    try:
        assert (await run_on(adapter, "1")).result == Value("json", b"1")
        assert await until(lambda: adapter.worker_pids() == [])
    finally:
        await adapter.close()
