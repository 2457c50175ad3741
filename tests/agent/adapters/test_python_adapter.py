"""The Python node contract (§3), against real warm worker processes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from omnix.agent.runs.engine import Engine
from omnix.shared.events import NodeLog, NodeStateChanged, RunEvent
from omnix.shared.pipeline import Pipeline
from omnix.shared.status import NodeStatus, RunStatus

pytestmark = pytest.mark.asyncio(loop_scope="module")
Make = Callable[[str], Pipeline]


async def test_upstream_table_arrives_as_a_dataframe_and_a_dataframe_output_is_a_table(
    engine: Engine, make_pipeline: Make
) -> None:
    pipeline = make_pipeline("""
        omnix: 1
        name: frames
        nodes:
          - id: extract
            lang: python
            code: |
              import pandas as pd
              pd.DataFrame({"region": ["north", "south"], "amount": [10, 20]})
          - id: doubled
            lang: python
            needs: [extract]
            code: |
              assert type(extract).__name__ == "DataFrame", type(extract)
              extract.assign(amount=extract.amount * 2)
    """)
    document = await engine.run(pipeline)
    assert document.status is RunStatus.SUCCEEDED
    assert document.nodes["doubled"].output == [
        {"region": "north", "amount": 20},
        {"region": "south", "amount": 40},
    ]


async def test_params_hold_defaults_overridden_by_the_run(
    engine: Engine, make_pipeline: Make
) -> None:
    pipeline = make_pipeline("""
        omnix: 1
        name: params
        params: {factor: 2, label: x}
        nodes:
          - {id: out, lang: python, code: "[params['factor'] * 21, params['label']]"}
    """)
    document = await engine.run(pipeline, params={"label": "y"})
    assert document.nodes["out"].output == [42, "y"]


async def test_the_last_expression_is_the_output_and_none_without_one(
    engine: Engine, make_pipeline: Make
) -> None:
    pipeline = make_pipeline("""
        omnix: 1
        name: last
        nodes:
          - {id: expression, lang: python, code: "x = 1\\ny = 2\\n{'sum': x + y}"}
          - {id: statement, lang: python, code: "x = 1"}
    """)
    document = await engine.run(pipeline)
    assert document.nodes["expression"].output == {"sum": 3}
    assert document.nodes["statement"].output is None
    assert document.nodes["statement"].status is NodeStatus.SUCCEEDED


async def test_each_node_gets_a_fresh_namespace(engine: Engine, make_pipeline: Make) -> None:
    pipeline = make_pipeline("""
        omnix: 1
        name: fresh
        nodes:
          - {id: first, lang: python, code: "leftover = 1"}
          - {id: second, lang: python, needs: [first], code: "'leftover' in globals()"}
    """)
    document = await engine.run(pipeline)
    assert document.nodes["second"].output is False


async def test_an_exception_reports_the_message_and_lines_relative_to_the_node_code(
    engine: Engine, make_pipeline: Make
) -> None:
    pipeline = make_pipeline("""
        omnix: 1
        name: boom
        nodes:
          - id: broken
            lang: python
            code: |
              def divide(a, b):
                  return a / b
              x = 1
              divide(x, 0)
    """)
    document = await engine.run(pipeline)
    error = document.nodes["broken"].error or ""
    assert document.nodes["broken"].status is NodeStatus.FAILED
    assert error.endswith("ZeroDivisionError: division by zero")
    assert 'File "<node broken>", line 4, in <module>' in error
    assert 'File "<node broken>", line 2, in divide' in error
    assert "omnix" not in error and "__main__.py" not in error


async def test_a_syntax_error_names_its_line(engine: Engine, make_pipeline: Make) -> None:
    pipeline = make_pipeline("""
        omnix: 1
        name: syntax
        nodes:
          - {id: bad, lang: python, code: "x = 1\\ny = (\\n"}
    """)
    document = await engine.run(pipeline)
    assert "SyntaxError" in (document.nodes["bad"].error or "")
    assert "line 2" in (document.nodes["bad"].error or "")


async def test_a_series_output_is_a_clear_error(engine: Engine, make_pipeline: Make) -> None:
    pipeline = make_pipeline("""
        omnix: 1
        name: series
        nodes:
          - {id: s, lang: python, code: "import pandas as pd\\npd.Series([1, 2])"}
    """)
    document = await engine.run(pipeline)
    assert "pandas Series, which is not a table" in (document.nodes["s"].error or "")


async def test_nan_in_a_json_output_is_an_error_not_a_silent_null(
    engine: Engine, make_pipeline: Make
) -> None:
    pipeline = make_pipeline("""
        omnix: 1
        name: nan
        nodes:
          - {id: n, lang: python, code: "[1.0, float('nan')]"}
    """)
    document = await engine.run(pipeline)
    assert "NaN or Infinity" in (document.nodes["n"].error or "")


async def test_user_output_streams_live_while_the_node_runs(
    engine: Engine, make_pipeline: Make, tmp_path: Path
) -> None:
    release = tmp_path / "release"
    pipeline = make_pipeline(f"""
        omnix: 1
        name: live
        nodes:
          - id: talker
            lang: python
            timeout: 20
            code: |
              import os, sys, time
              print("waiting", flush=True)
              print("to stderr", file=sys.stderr)
              while not os.path.exists({str(release)!r}):
                  time.sleep(0.01)
              print("released")
              "done"
    """)
    seen: list[tuple[str, str]] = []

    def on_event(event: RunEvent) -> None:
        if isinstance(event, NodeLog):
            seen.append((event.stream, event.text))
            if "waiting" in event.text:
                release.touch()  # the node only finishes because its first line arrived live

    document = await engine.run(pipeline, on_event=on_event)
    assert document.nodes["talker"].output == "done"
    assert ("stderr", "to stderr\n") in seen
    assert "".join(text for stream, text in seen if stream == "stdout") == "waiting\nreleased\n"


async def test_node_env_and_the_pipeline_folder_as_working_directory(
    engine: Engine, make_pipeline: Make, tmp_path: Path
) -> None:
    (tmp_path / "data.txt").write_text("hello")
    pipeline = make_pipeline("""
        omnix: 1
        name: env
        nodes:
          - id: reader
            lang: python
            env: {GREETING: hi}
            code: |
              import os
              [os.environ["GREETING"], open("data.txt").read()]
    """)
    document = await engine.run(pipeline)
    assert document.nodes["reader"].output == ["hi", "hello"]


async def test_a_node_that_kills_its_worker_fails_and_the_worker_is_replaced(
    engine: Engine, make_pipeline: Make
) -> None:
    pipeline = make_pipeline("""
        omnix: 1
        name: exit
        nodes:
          - {id: quitter, lang: python, code: "import os\\nos._exit(7)"}
          - {id: after, lang: python, needs: [], code: "'still working'"}
          - {id: later, lang: python, needs: [after], code: "'still working'"}
    """)
    states: list[NodeStateChanged] = []
    document = await engine.run(
        pipeline, on_event=lambda e: states.append(e) if isinstance(e, NodeStateChanged) else None
    )
    assert document.nodes["quitter"].status is NodeStatus.FAILED
    assert "exited with status 7" in (document.nodes["quitter"].error or "")
    assert document.nodes["later"].output == "still working"
    again = await engine.run(pipeline)
    assert again.nodes["later"].output == "still working"


async def test_outputs_can_be_left_out_of_the_document(engine: Engine, make_pipeline: Make) -> None:
    pipeline = make_pipeline("""
        omnix: 1
        name: quiet
        nodes:
          - {id: frame, lang: python, code: "import pandas as pd\\npd.DataFrame({'x': [1]})"}
          - {id: count, lang: python, needs: [frame], code: "len(frame)"}
    """)
    document = await engine.run(pipeline, include_outputs=False)
    assert document.status is RunStatus.SUCCEEDED
    assert [r.output for r in document.nodes.values()] == [None, None]


async def test_secrets_reach_only_the_nodes_that_declare_them(make_pipeline: Make) -> None:
    pipeline = make_pipeline("""
        omnix: 1
        name: secrets
        nodes:
          - id: with_secret
            lang: python
            secrets: [API_TOKEN]
            code: "import os\\nos.environ['API_TOKEN'] == 's3cret'"
          - {id: without, lang: python, code: "import os\\nos.environ.get('API_TOKEN')"}
          - {id: missing, lang: python, secrets: [OTHER_TOKEN], code: "1"}
    """)
    async with Engine(secrets={"API_TOKEN": "s3cret"}.get) as engine:
        document = await engine.run(pipeline)
    assert document.nodes["with_secret"].output is True
    assert document.nodes["without"].output is None
    assert "the secret 'OTHER_TOKEN' is not set" in (document.nodes["missing"].error or "")


async def test_only_the_outputs_asked_for_are_kept(engine: Engine, make_pipeline: Make) -> None:
    pipeline = make_pipeline("""
        omnix: 1
        name: some
        nodes:
          - {id: frame, lang: python, code: "import pandas as pd\\npd.DataFrame({'x': [1]})"}
          - {id: count, lang: python, needs: [frame], code: "len(frame)"}
    """)
    document = await engine.run(pipeline, include_outputs={"count"})
    assert [r.output for r in document.nodes.values()] == [None, 1]
