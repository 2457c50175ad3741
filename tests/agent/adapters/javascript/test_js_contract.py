"""The JavaScript node contract (ARCHITECTURE §3), against a real Node.js worker."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pytest
from omnix.agent.adapters.base import Adapter, AdapterUnavailable, NodeFailure, Value
from omnix.agent.adapters.javascript.adapter import JavaScriptAdapter
from omnix.agent.runs.attempts import AttemptFailure, run_attempt
from omnix.agent.workers.env import minimal_env

from .conftest import Run, make_task, run_on, table_value

pytestmark = pytest.mark.asyncio(loop_scope="module")

SALES = pa.table({"region": ["north", "south", "north"], "amount": [10, 20, 5]})


async def test_adapter_satisfies_the_adapter_protocol() -> None:
    assert isinstance(JavaScriptAdapter(), Adapter)
    assert JavaScriptAdapter.language == "javascript"


async def test_upstream_table_is_an_array_of_plain_row_objects(run: Run) -> None:
    out = await run(
        "[Array.isArray(sales), Object.getPrototypeOf(sales[0]) === Object.prototype, sales[1]]",
        {"sales": table_value(SALES)},
    )
    assert json.loads(out.json) == [True, True, {"region": "south", "amount": 20}]


async def test_params_are_in_scope(run: Run) -> None:
    out = await run(
        "params.min_amount * 2 + params.label.length", params={"min_amount": 5, "label": "abc"}
    )
    assert json.loads(out.json) == 13


async def test_completion_value_is_the_output(run: Run) -> None:
    out = await run(
        "const total = sales.reduce((s, r) => s + r.amount, 0);\ntotal",
        {"sales": table_value(SALES)},
    )
    assert json.loads(out.json) == 35


async def test_rows_returned_become_a_table(run: Run) -> None:
    out = await run("sales.filter(r => r.amount >= 10)", {"sales": table_value(SALES)})
    assert out.table.equals(SALES.slice(0, 2))


async def test_promise_completion_value_is_awaited(run: Run) -> None:
    code = "(async () => { await new Promise(r => setTimeout(r, 5)); return params.x + 1; })()"
    out = await run(code, params={"x": 41})
    assert json.loads(out.json) == 42


async def test_rejected_promise_fails_the_node(run: Run) -> None:
    out = await run("Promise.reject(new RangeError('no such region'))")
    assert out.failure.message == "RangeError: no such region"


async def test_console_output_becomes_log_lines_per_stream(run: Run) -> None:
    out = await run("console.log('rows', 3);\nconsole.error('careful');\nconsole.info({a: 1});\n7")
    # Each stream keeps its order; lines keep their line ends (the two streams are two pipes).
    assert "".join(text for stream, text in out.logs if stream == "stdout") == "rows 3\n{ a: 1 }\n"
    assert "".join(text for stream, text in out.logs if stream == "stderr") == "careful\n"
    assert all(text.endswith("\n") for _, text in out.logs)


async def test_log_lines_arrive_while_the_node_is_still_running(js: JavaScriptAdapter) -> None:
    first_line = asyncio.Event()
    task = asyncio.create_task(
        js.execute(
            make_task(
                "console.log('working');\nnew Promise(r => setTimeout(() => r('done'), 1500))"
            ),
            lambda _s, _t: first_line.set(),
        )
    )
    await asyncio.wait_for(first_line.wait(), 5)
    assert not task.done()
    result = await asyncio.wait_for(task, 10)
    assert result == Value("json", b'"done"')


async def test_error_reports_message_and_line_relative_to_node_code(run: Run) -> None:
    code = (
        "const a = 1;\nfunction check(r) {\n  throw new TypeError(`bad row ${r}`);\n}\ncheck(a);\n"
    )
    failure = (await run(code)).failure
    assert failure.message == "TypeError: bad row 1"
    assert "at check (<report>:3:9)" in failure.traceback
    assert "at <report>:5:1" in failure.traceback
    assert "javascript_worker" not in failure.traceback


async def test_syntax_error_names_the_line(run: Run) -> None:
    failure = (await run("const a = 1;\nconst b = a +* 2;\n")).failure
    assert failure.message.startswith("SyntaxError: Unexpected token '*'")
    assert failure.traceback.startswith("<report>:2\nconst b = a +* 2;")


async def test_error_thrown_in_a_timer_fails_the_running_node(run: Run) -> None:
    code = "new Promise(() => setTimeout(() => { throw new Error('late'); }, 1))"
    assert (await run(code)).failure.message == "Error: late"


async def test_non_error_throw_is_reported(run: Run) -> None:
    assert (await run("throw {code: 7}")).failure.message == "Uncaught { code: 7 }"


async def test_user_code_has_no_require_or_real_process(run: Run) -> None:
    out = await run("[typeof require, typeof module, Object.keys(process)]")
    assert json.loads(out.json) == ["undefined", "undefined", ["env"]]


async def test_node_env_holds_only_the_node_env_and_secrets(run: Run) -> None:
    out = await run("process.env", env={"API_TOKEN": "s3cret"})
    assert json.loads(out.json) == {"API_TOKEN": "s3cret"}


# vm is no security boundary (an object from the worker's realm leads back to `process`);
# Node's permission model is. These escape the vm on purpose and must still be denied.
ESCAPE = "const realProcess = console.log.constructor('return process')();\n"


def builtin(name: str) -> str:
    """Code reaching a Node built-in module from inside the node, past the vm context."""
    return ESCAPE + f"const mod = realProcess.getBuiltinModule('node:{name}');\n"


async def test_file_write_is_denied_even_after_escaping_the_context(
    run: Run, tmp_path: Path
) -> None:
    target = tmp_path / "written.txt"
    code = builtin("fs") + f"mod.writeFileSync({json.dumps(str(target))}, 'x')"
    failure = (await run(code)).failure
    assert "ERR_ACCESS_DENIED" in failure.message or "restricted" in failure.message
    assert not target.exists()


async def test_child_process_is_denied(run: Run) -> None:
    code = builtin("child_process") + "mod.execFileSync('/bin/true')"
    failure = (await run(code)).failure
    assert "ERR_ACCESS_DENIED" in failure.message or "restricted" in failure.message


async def test_worker_threads_are_denied(run: Run) -> None:
    code = builtin("worker_threads") + "new mod.Worker('1', {eval: true})"
    failure = (await run(code)).failure
    assert "ERR_ACCESS_DENIED" in failure.message or "restricted" in failure.message


async def test_reading_files_outside_the_worker_is_denied(run: Run) -> None:
    code = builtin("fs") + "mod.readFileSync('/etc/hostname', 'utf8')"
    failure = (await run(code)).failure
    assert "ERR_ACCESS_DENIED" in failure.message or "restricted" in failure.message


async def test_worker_process_has_a_minimal_environment(run: Run) -> None:
    # The same policy as every worker: the agent's own variables never reach user code.
    out = await run(ESCAPE + "Object.keys(realProcess.env).sort()")
    assert json.loads(out.json) == sorted(minimal_env({"TZ": "UTC"}))


async def test_globals_do_not_leak_between_nodes(run: Run) -> None:
    await run("globalThis.leaked = 1; var alsoLeaked = 2; Array.prototype.extra = 3; 0")
    out = await run("[typeof leaked, typeof alsoLeaked, typeof [].extra]")
    assert json.loads(out.json) == ["undefined", "undefined", "undefined"]


async def test_timers_of_a_finished_node_are_cleared(run: Run) -> None:
    await run("setInterval(() => console.log('still here'), 1); 0")
    out = await run("new Promise(r => setTimeout(() => r(1), 30))")
    assert json.loads(out.json) == 1
    assert out.logs == []


async def test_worker_is_reused_across_nodes(js: JavaScriptAdapter) -> None:
    await run_on(js, "0")
    pids = js.worker_pids
    await run_on(js, "1")
    assert len(pids) == 1 and js.worker_pids == pids


async def test_parallel_nodes_run_in_separate_workers(
    require_binary: Callable[[str, str], str],
) -> None:
    require_binary("node", "apt-get install nodejs")
    adapter = JavaScriptAdapter(workers=2)
    await adapter.start()
    try:
        both_running = asyncio.Event()
        running: set[str] = set()

        def log(node: str) -> Callable[[str, str], None]:
            def sink(_stream: str, _text: str) -> None:
                running.add(node)
                if len(running) == 2:
                    both_running.set()

            return sink

        # Each node logs, then waits 2 s: both logs before either ends means they overlap.
        code = "console.log('in'); new Promise(r => setTimeout(() => r(1), 2000))"
        tasks = [
            asyncio.create_task(adapter.execute(make_task(code, node_id=n), log(n)))
            for n in ("a", "b")
        ]
        await asyncio.wait_for(both_running.wait(), 5)
        assert not any(t.done() for t in tasks)
        assert len(adapter.worker_pids) == 2
        assert [await t for t in tasks] == [Value("json", b"1")] * 2
    finally:
        await adapter.close()


async def test_nodes_beyond_the_worker_count_wait_their_turn(
    require_binary: Callable[[str, str], str],
) -> None:
    require_binary("node", "apt-get install nodejs")
    adapter = JavaScriptAdapter(workers=1)
    try:
        results = await asyncio.gather(*(run_on(adapter, f"{i} * 2") for i in range(4)))
        assert [r.result for r in results] == [Value("json", str(i * 2).encode()) for i in range(4)]
        assert len(adapter.worker_pids) == 1
    finally:
        await adapter.close()


async def test_timeout_kills_the_worker_and_the_next_node_runs(
    require_binary: Callable[[str, str], str],
) -> None:
    require_binary("node", "apt-get install nodejs")
    adapter = JavaScriptAdapter()
    await adapter.start()
    try:
        [old_pid] = adapter.worker_pids
        # The engine's attempt applies every adapter's timeout the same way.
        outcome = await run_attempt(adapter, make_task("while (true) {}"), lambda *_: None, 0.5)
        assert isinstance(outcome, AttemptFailure)
        assert "longer than its timeout of 0.5s" in outcome.failure.message
        with pytest.raises(ProcessLookupError):
            os.kill(old_pid, 0)
        out = await run_on(adapter, "'alive'")
        assert out.result == Value("json", b'"alive"')
        assert len(adapter.worker_pids) == 1 and old_pid not in adapter.worker_pids
    finally:
        await adapter.close()


async def test_cancelling_a_node_kills_the_worker(
    require_binary: Callable[[str, str], str],
) -> None:
    require_binary("node", "apt-get install nodejs")
    adapter = JavaScriptAdapter()
    await adapter.start()
    try:
        [pid] = adapter.worker_pids
        started = asyncio.Event()
        task = asyncio.create_task(
            adapter.execute(
                make_task("console.log('go'); while (true) {}"), lambda _s, _t: started.set()
            )
        )
        await asyncio.wait_for(started.wait(), 5)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
        assert (await run_on(adapter, "2")).result == Value("json", b"2")
    finally:
        await adapter.close()


async def test_close_stops_the_worker(require_binary: Callable[[str, str], str]) -> None:
    require_binary("node", "apt-get install nodejs")
    adapter = JavaScriptAdapter()
    await adapter.start()
    [pid] = adapter.worker_pids
    await adapter.close()
    assert adapter.worker_pids == []
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


async def test_missing_node_binary_is_a_clear_error(tmp_path: Path) -> None:
    adapter = JavaScriptAdapter(node=str(tmp_path / "no-such-node"))
    with pytest.raises(
        AdapterUnavailable, match=r"install Node\.js 20 or newer, e\.g\. apt-get install nodejs"
    ):
        await adapter.start()


async def test_old_node_is_a_clear_error(tmp_path: Path) -> None:
    old = tmp_path / "node"
    old.write_text("#!/bin/sh\necho v18.19.1\n")
    old.chmod(0o755)
    with pytest.raises(
        AdapterUnavailable,
        match=r"Node.js v18.19.1 .* is too old: JavaScript nodes need Node.js >= 20",
    ):
        await JavaScriptAdapter(node=str(old)).start()


async def test_failure_is_a_node_failure_not_an_exception(run: Run) -> None:
    assert isinstance((await run("null.x")).result, NodeFailure)


async def test_worker_grown_past_its_memory_cap_is_replaced(
    require_binary: Callable[[str, str], str],
) -> None:
    require_binary("node", "apt-get install nodejs")
    adapter = JavaScriptAdapter(max_worker_rss_mib=1)  # any worker is bigger than 1 MiB
    await adapter.start()
    try:
        [pid] = adapter.worker_pids
        assert (await run_on(adapter, "new Array(1e6).fill(0).length")).result == Value(
            "json", b"1000000"
        )
        assert (await run_on(adapter, "'next'")).result == Value("json", b'"next"')
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
        assert pid not in adapter.worker_pids
    finally:
        await adapter.close()


async def test_close_does_not_wait_for_a_running_node(
    require_binary: Callable[[str, str], str],
) -> None:
    require_binary("node", "apt-get install nodejs")
    adapter = JavaScriptAdapter()
    await adapter.start()
    started = asyncio.Event()
    running = asyncio.create_task(
        adapter.execute(
            make_task("console.log('go'); while (true) {}"), lambda _s, _t: started.set()
        )
    )
    await asyncio.wait_for(started.wait(), 5)
    await asyncio.wait_for(adapter.close(), 5)
    result = await asyncio.wait_for(running, 5)
    assert isinstance(result, NodeFailure) and "worker was killed" in result.message


async def test_late_logs_of_a_finished_node_do_not_reach_the_next_node(run: Run) -> None:
    # The promise keeps running after the node's value is returned; timers are cleared, but
    # a microtask chain is not: its log must not be attributed to the next node.
    await run(
        "(async () => { for (let i = 0; i < 1e5; i++) await null; console.log('late'); })(); 1"
    )
    out = await run("new Promise(r => setTimeout(() => r(2), 50))")
    assert out.logs == []
