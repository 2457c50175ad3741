"""Workers after big nodes: swapped for fresh ones in the background, never left behind."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable

import numpy as np
import pyarrow as pa
import pytest
from omnix.agent.adapters.base import Value
from omnix.agent.adapters.javascript.adapter import BIG_NODE_BYTES, JavaScriptAdapter

from .conftest import run_on, table_value


async def until(condition: Callable[[], bool], seconds: float = 10.0) -> bool:
    """Poll `condition` (another process's start or death announces nothing) for a bounded time."""
    deadline = asyncio.get_running_loop().time() + seconds
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            return False
        await asyncio.sleep(0.02)
    return True


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A killed worker not yet reaped is a zombie: dead for this purpose.
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().rsplit(")", 1)[1].split()[0] != "Z"


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


async def test_worker_of_a_big_table_is_replaced_by_a_fresh_one_in_the_background(
    adapter_factory: Callable[[int], Awaitable[JavaScriptAdapter]],
) -> None:
    rows = 1_500_000
    table = pa.table({"a": np.arange(rows), "b": np.arange(rows) * 0.5, "c": np.arange(rows)})
    data = table_value(table)
    assert 2 * len(data.data) >= BIG_NODE_BYTES  # in and out
    adapter = await adapter_factory(16384)
    try:
        [old] = adapter.worker_pids
        out = await run_on(adapter, "t", {"t": data})
        assert isinstance(out.result, Value) and out.result.kind == "table"
        # A fresh worker comes up with no node asking for it; the old one is gone.
        assert await until(lambda: len(adapter.worker_pids) == 1 and old not in adapter.worker_pids)
        [fresh] = adapter.worker_pids
        assert not alive(old)
        assert (await run_on(adapter, "'next'")).result == Value("json", b'"next"')
        assert adapter.worker_pids == [fresh]
    finally:
        await adapter.close()


async def test_small_node_keeps_its_warm_worker(
    adapter_factory: Callable[[int], Awaitable[JavaScriptAdapter]],
) -> None:
    adapter = await adapter_factory(512)
    try:
        [pid] = adapter.worker_pids
        small = table_value(pa.table({"a": [1, 2, 3]}))
        assert (await run_on(adapter, "t.length", {"t": small})).result == Value("json", b"3")
        assert adapter.worker_pids == [pid]
    finally:
        await adapter.close()


async def test_close_during_a_replacement_leaves_no_worker(
    adapter_factory: Callable[[int], Awaitable[JavaScriptAdapter]],
) -> None:
    adapter = await adapter_factory(1)  # any worker is bigger than 1 MiB: always replaced
    [old] = adapter.worker_pids
    assert (await run_on(adapter, "1")).result == Value("json", b"1")
    await adapter.close()  # while the replacement starts
    assert adapter.worker_pids == []
    assert not alive(old)
    children = [
        int(entry)
        for entry in os.listdir("/proc")
        if entry.isdigit() and _parent(int(entry)) == os.getpid()
    ]
    assert all(not _is_node(pid) or not alive(pid) for pid in children)


def _parent(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return int(stat.read().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError):
        return 0


def _is_node(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            return b"worker.mjs" in cmdline.read()
    except OSError:
        return False
