"""How a run moves: failures downstream, parallelism, retries, timeouts and cancellation."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from omnix.agent.adapters.python import PythonAdapter
from omnix.agent.runs.engine import Engine
from omnix.agent.store.metering import NodeUsage
from omnix.shared.events import NodeLog, NodeStateChanged, RunEvent, RunStateChanged
from omnix.shared.pipeline import Pipeline
from omnix.shared.status import NodeStatus, RunStatus

pytestmark = pytest.mark.asyncio(loop_scope="module")
Make = Callable[[str], Pipeline]
WaitGone = Callable[[int], bool]

# A node that starts a grandchild process, reports both pids, then blocks.
SPAWNER = """
            import os, subprocess, time
            child = subprocess.Popen(["sleep", "60"])
            open({pids!r}, "w").write(f"{{os.getpid()}} {{child.pid}}")
            print("started", flush=True)
            time.sleep(60)
"""


async def test_a_failure_marks_downstream_upstream_failed_and_independent_branches_finish(
    engine: Engine, make_pipeline: Make
) -> None:
    pipeline = make_pipeline("""
        omnix: 1
        name: branches
        nodes:
          - {id: bad, lang: python, code: "raise ValueError('no data')"}
          - {id: child, lang: python, needs: [bad], code: "1"}
          - {id: grandchild, lang: python, needs: [child], code: "2"}
          - {id: good, lang: python, code: "'fine'"}
          - {id: after_good, lang: python, needs: [good], code: "good + '!'"}
    """)
    document = await engine.run(pipeline)
    statuses = {node_id: result.status for node_id, result in document.nodes.items()}
    assert statuses == {
        "bad": NodeStatus.FAILED,
        "child": NodeStatus.UPSTREAM_FAILED,
        "grandchild": NodeStatus.UPSTREAM_FAILED,
        "good": NodeStatus.SUCCEEDED,
        "after_good": NodeStatus.SUCCEEDED,
    }
    assert document.status is RunStatus.FAILED
    assert document.nodes["after_good"].output == "fine!"
    assert document.nodes["bad"].error is not None
    assert document.nodes["bad"].error.endswith("ValueError: no data")


async def test_independent_nodes_run_at_the_same_time(
    engine: Engine, make_pipeline: Make, tmp_path: Path
) -> None:
    # Each node waits for the other's file: run one after the other, they would time out.
    node = """
          - id: {me}
            lang: python
            timeout: 20
            code: |
              import os, time
              open({mine!r}, "w").close()
              while not os.path.exists({theirs!r}):
                  time.sleep(0.01)
              "met"
    """
    a, b = str(tmp_path / "a"), str(tmp_path / "b")
    pipeline = make_pipeline(
        "omnix: 1\nname: together\nnodes:\n"
        + node.format(me="left", mine=a, theirs=b)
        + node.format(me="right", mine=b, theirs=a)
    )
    document = await engine.run(pipeline)
    assert [r.output for r in document.nodes.values()] == ["met", "met"]


async def test_parallelism_is_bounded_by_max_parallel(make_pipeline: Make) -> None:
    pipeline = make_pipeline(
        "omnix: 1\nname: bounded\nnodes:\n"
        + "".join(f"  - {{id: n{i}, lang: python, code: '{i}'}}\n" for i in range(6))
    )
    running: set[str] = set()
    most = 0

    def on_event(event: RunEvent) -> None:
        nonlocal most
        if isinstance(event, NodeStateChanged):
            if event.status is NodeStatus.RUNNING:
                running.add(event.node_id)
            else:
                running.discard(event.node_id)
            most = max(most, len(running))

    async with Engine(max_parallel=2) as engine:
        document = await engine.run(pipeline, on_event=on_event)
    assert document.status is RunStatus.SUCCEEDED
    assert most == 2


async def test_a_failing_node_is_retried_with_backoff_until_it_succeeds(
    engine: Engine, make_pipeline: Make, tmp_path: Path
) -> None:
    counter = tmp_path / "attempts"
    pipeline = make_pipeline(f"""
        omnix: 1
        name: flaky
        nodes:
          - id: flaky
            lang: python
            retries: 2
            retry_backoff: 0.1
            code: |
              from pathlib import Path
              counter = Path({str(counter)!r})
              n = int(counter.read_text()) + 1 if counter.exists() else 1
              counter.write_text(str(n))
              if n < 3:
                  raise RuntimeError(f"attempt {{n}} fails")
              n
    """)
    starts: list[float] = []
    logs: list[str] = []

    def on_event(event: RunEvent) -> None:
        if isinstance(event, NodeStateChanged) and event.status is NodeStatus.RUNNING:
            starts.append(time.monotonic())
        elif isinstance(event, NodeLog):
            logs.append(event.text)

    document = await engine.run(pipeline, on_event=on_event)
    result = document.nodes["flaky"]
    assert (result.status, result.attempts, result.output) == (NodeStatus.SUCCEEDED, 3, 3)
    # Equal jitter: the waits are at least half of 0.1 s and 0.2 s.
    assert starts[1] - starts[0] >= 0.05 and starts[2] - starts[1] >= 0.1
    assert any("attempt 1 failed (RuntimeError: attempt 1 fails); retrying in" in t for t in logs)


async def test_a_timeout_kills_the_whole_process_tree_and_fails_the_attempt(
    engine: Engine, make_pipeline: Make, tmp_path: Path, wait_gone: WaitGone
) -> None:
    pids = tmp_path / "pids"
    pipeline = make_pipeline(
        "omnix: 1\nname: slow\nnodes:\n  - id: slow\n    lang: python\n    timeout: 1\n"
        "    code: |" + SPAWNER.format(pids=str(pids))
    )
    document = await engine.run(pipeline)
    result = document.nodes["slow"]
    assert result.status is NodeStatus.FAILED
    assert "longer than its timeout of 1s" in (result.error or "")
    worker, grandchild = map(int, pids.read_text().split())
    assert wait_gone(worker) and wait_gone(grandchild)
    follow_up = make_pipeline(
        "omnix: 1\nname: next\nnodes:\n  - {id: n, lang: python, code: '1'}\n"
    )
    assert (await engine.run(follow_up)).status is RunStatus.SUCCEEDED


async def test_setting_cancel_kills_running_nodes_and_cancels_the_rest(
    engine: Engine, make_pipeline: Make, tmp_path: Path, wait_gone: WaitGone
) -> None:
    pids = tmp_path / "pids"
    pipeline = make_pipeline(
        "omnix: 1\nname: cancel\nnodes:\n  - id: slow\n    lang: python\n"
        "    code: |"
        + SPAWNER.format(pids=str(pids))
        + "  - {id: after, lang: python, needs: [slow], code: '1'}\n"
    )
    cancel = asyncio.Event()
    run_events: list[RunStatus] = []

    def on_event(event: RunEvent) -> None:
        if isinstance(event, NodeLog) and "started" in event.text:
            cancel.set()
        elif isinstance(event, RunStateChanged):
            run_events.append(event.status)

    document = await asyncio.wait_for(engine.run(pipeline, on_event=on_event, cancel=cancel), 20)
    assert document.status is RunStatus.CANCELLED
    assert run_events[-1] is RunStatus.CANCELLED
    assert document.nodes["slow"].status is NodeStatus.CANCELLED
    assert document.nodes["after"].status is NodeStatus.CANCELLED
    worker, grandchild = map(int, pids.read_text().split())
    assert wait_gone(worker) and wait_gone(grandchild)


async def test_cancelling_the_run_task_leaves_no_process_behind(
    engine: Engine, make_pipeline: Make, tmp_path: Path, wait_gone: WaitGone
) -> None:
    pids = tmp_path / "pids"
    pipeline = make_pipeline(
        "omnix: 1\nname: abandon\nnodes:\n  - id: slow\n    lang: python\n"
        "    code: |" + SPAWNER.format(pids=str(pids))
    )
    started = asyncio.Event()

    def on_event(event: RunEvent) -> None:
        if isinstance(event, NodeLog) and "started" in event.text:
            started.set()

    task = asyncio.create_task(engine.run(pipeline, on_event=on_event))
    await asyncio.wait_for(started.wait(), 20)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    worker, grandchild = map(int, pids.read_text().split())
    assert wait_gone(worker) and wait_gone(grandchild)


async def test_an_event_callback_that_raises_stops_the_run_without_leaving_processes(
    engine: Engine, make_pipeline: Make, tmp_path: Path, wait_gone: WaitGone
) -> None:
    pids = tmp_path / "pids"
    pipeline = make_pipeline(
        "omnix: 1\nname: callback\nnodes:\n  - id: slow\n    lang: python\n"
        "    code: |" + SPAWNER.format(pids=str(pids))
    )

    def on_event(event: RunEvent) -> None:
        if isinstance(event, NodeLog) and "started" in event.text:
            raise RuntimeError("the consumer broke")

    with pytest.raises(RuntimeError, match="the consumer broke"):
        await asyncio.wait_for(engine.run(pipeline, on_event=on_event), 20)
    worker, grandchild = map(int, pids.read_text().split())
    assert wait_gone(worker) and wait_gone(grandchild)


async def test_runs_of_one_engine_can_overlap(engine: Engine, make_pipeline: Make) -> None:
    pipeline = make_pipeline("""
        omnix: 1
        name: overlap
        params: {n: 0}
        nodes:
          - {id: first, lang: python, code: "params['n'] * 10"}
          - {id: second, lang: sql, needs: [first], code: "SELECT $n + 1 AS next"}
    """)
    documents = await asyncio.gather(*(engine.run(pipeline, params={"n": n}) for n in range(4)))
    assert [d.nodes["first"].output for d in documents] == [0, 10, 20, 30]
    assert [d.nodes["second"].output for d in documents] == [[{"next": n + 1}] for n in range(4)]
    assert len({d.run_id for d in documents}) == 4


@pytest.mark.asyncio(loop_scope="module")
async def test_a_nodes_duration_leaves_out_the_wait_for_a_worker_slot(
    make_pipeline: Callable[[str], Pipeline],
) -> None:
    pipeline = make_pipeline("""
        omnix: 1
        name: slots
        nodes:
          - {id: first, lang: python, code: "import time; time.sleep(0.4)"}
          - {id: second, lang: python, code: "import time; time.sleep(0.4)"}
    """)
    async with Engine(max_parallel=1) as one_slot:
        document = await one_slot.run(pipeline)
    assert document.status is RunStatus.SUCCEEDED, document.dumps()
    durations = sorted(node.duration_s or 0.0 for node in document.nodes.values())
    # The second node waited ~0.4 s for the only slot; that wait is not its duration.
    assert all(0.4 <= duration < 0.78 for duration in durations), durations  # not >= 0.8


@pytest.mark.asyncio(loop_scope="module")
async def test_the_wait_for_a_run_slot_is_recorded_as_queue_wait(
    make_pipeline: Callable[[str], Pipeline],
) -> None:
    pipeline = make_pipeline("""
        omnix: 1
        name: slots
        nodes:
          - {id: first, lang: python, code: "import time; time.sleep(0.4)"}
          - {id: second, lang: python, code: "import time; time.sleep(0.4)"}
    """)
    async with Engine(max_parallel=1) as one_slot:
        document = await one_slot.run(pipeline)
    waits = sorted(node.queue_wait_s or 0.0 for node in document.nodes.values())
    assert waits[0] < 0.2 and 0.35 <= waits[1] < 0.78, waits


@pytest.mark.asyncio(loop_scope="module")
async def test_the_wait_for_a_free_worker_is_queue_wait_not_duration(
    make_pipeline: Callable[[str], Pipeline],
) -> None:
    pipeline = make_pipeline("""
        omnix: 1
        name: workers
        nodes:
          - {id: first, lang: python, code: "import time; time.sleep(0.4)"}
          - {id: second, lang: python, code: "import time; time.sleep(0.4)"}
    """)
    # Two slots but one worker: the second node holds a slot and waits for the worker.
    async with Engine(max_parallel=2, adapters={"python": PythonAdapter(max_workers=1)}) as one:
        document = await one.run(pipeline)
    assert document.status is RunStatus.SUCCEEDED, document.dumps()
    nodes = sorted(document.nodes.values(), key=lambda node: node.queue_wait_s or 0.0)
    assert all(0.4 <= (node.duration_s or 0.0) < 0.78 for node in nodes), document.dumps()
    assert 0.35 <= (nodes[1].queue_wait_s or 0.0) < 0.78, document.dumps()


async def test_each_attempt_leaves_a_usage_record_saying_how_it_ended(
    engine: Engine, make_pipeline: Make
) -> None:
    pipeline = make_pipeline("""
        omnix: 1
        name: usage
        nodes:
          - {id: slow, lang: python, timeout: 0.5, code: "import time; time.sleep(30)"}
          - {id: quick, lang: python, code: "print('hi'); 1"}
    """)
    records: list[NodeUsage] = []
    await engine.run(pipeline, on_usage=records.append)
    by_node = {record.node_id: record for record in records}
    assert by_node["slow"].status == "timed_out" and by_node["quick"].status == "succeeded"
    quick = by_node["quick"]
    assert quick.log_bytes == 3 and quick.cpu_ms is not None and quick.peak_rss_bytes
    assert quick.bytes_out > 0 and 0 <= quick.wall_ms < 5000
