"""Warm workers and their pool: the protocol, output markers, and replacing dead workers."""

from __future__ import annotations

import asyncio
import io
import sys

from omnix.agent.workers.env import minimal_env
from omnix.agent.workers.frames import frame_parts, read_frame
from omnix.agent.workers.pool import WorkerPool
from omnix.agent.workers.process import MarkedStream, WorkerProcess

ARGV = [sys.executable, "-m", "omnix.agent.workers.child"]


async def spawn() -> WorkerProcess:
    return await WorkerProcess.spawn("test", ARGV, env=minimal_env())


async def test_a_large_blob_crosses_the_pipes_intact() -> None:
    worker = await spawn()
    try:
        blob = bytes(range(256)) * 40_000  # 10 MB, more than any pipe buffer
        reply, blobs = await worker.request({"op": "echo"}, [blob, b"tail"])
        assert reply["ok"] and blobs == [blob, b"tail"]
    finally:
        await worker.close()


async def test_a_killed_worker_is_never_handed_out_again() -> None:
    pool = WorkerPool(spawn, max_size=1)
    try:
        async with pool.acquire() as first:
            first.kill()
            assert not first.alive  # at once, before the process has even exited
        async with pool.acquire() as second:
            assert second is not first
            reply, _ = await second.request({"op": "ping"})
            assert reply["pid"] == second.pid
    finally:
        await pool.close()


async def test_close_ends_every_worker_process() -> None:
    pool = WorkerPool(spawn, max_size=2)
    async with pool.acquire(), pool.acquire():
        pass
    workers = pool.workers
    await pool.close()
    assert len(workers) == 2 and all(w.returncode is not None for w in workers)


def test_output_markers_split_across_reads_are_still_found() -> None:
    marker = b"\x1eabc\x1e"
    output = MarkedStream("stdout", marker)
    seen: list[str] = []
    chunks = [b"hello \x1e", b"ab", b"c\x1eafter", b" all\n"]
    found = sum(output.feed(chunk, lambda _s, text: seen.append(text)) for chunk in chunks)
    assert found == 1
    assert seen == ["hello ", "after all\n"]


async def test_workers_idle_past_the_timeout_stop_but_one_stays_warm() -> None:
    pool = WorkerPool(spawn, max_size=3, idle_timeout=60)
    try:
        async with pool.acquire(), pool.acquire(), pool.acquire():
            pass
        assert len(pool.pids) == 3
        assert pool.reap_idle() == 0  # not idle long enough yet
        later = asyncio.get_running_loop().time() + 61
        assert pool.reap_idle(now=later) == 2
        assert len(pool.pids) == 1
        async with pool.acquire() as worker:
            reply, _ = await worker.request({"op": "ping"})
            assert reply["ok"]
    finally:
        await pool.close()


def test_frames_round_trip_with_the_first_blob_8_byte_aligned() -> None:
    parts = frame_parts({"op": "javascript", "node": "n"}, [b"\x01\x02\x03", b"{}"])
    assert len(parts[0]) % 8 == 0  # prefix and header: Arrow views the first blob in place
    frame = read_frame(io.BytesIO(b"".join(bytes(p) for p in parts)))
    assert frame is not None
    header, blobs = frame
    assert header["node"] == "n" and header["blobs"] == [3, 2]
    assert [bytes(b) for b in blobs] == [b"\x01\x02\x03", b"{}"]
