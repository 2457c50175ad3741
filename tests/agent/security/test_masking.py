"""Masking: every form of a secret a node prints (as is, base64 at any alignment, URL- and
JSON-encoded, split across writes, in a traceback, in a table) is `***` in logs, errors and
outputs, in Python, JavaScript and SQL: 1,000 generated shapes in all."""

from __future__ import annotations

import json
import secrets
from collections.abc import AsyncIterator, Callable

import pytest
import pytest_asyncio
from omnix.agent.runs.engine import Engine
from omnix.agent.security.masking import MASK, forms
from omnix.shared.events import NodeLog
from omnix.shared.pipeline import Pipeline

pytestmark = pytest.mark.asyncio(loop_scope="module")
SECRET = "tk-" + secrets.token_urlsafe(18)


PYTHON_SHAPES = 400
JS_SHAPES = 400
SQL_SHAPES = 200


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def engine() -> AsyncIterator[Engine]:
    async with Engine(secrets={"API_KEY": SECRET}.get) as running:
        yield running


PIPELINE = f"""\
omnix: 1
name: masked
nodes:
  - id: py
    lang: python
    secrets: [API_KEY]
    code: |
      import base64, json, os, random, sys, urllib.parse
      import pandas as pd
      s = os.environ["API_KEY"]
      rng = random.Random(7)
      cells = []
      for i in range({PYTHON_SHAPES}):
          pad = "".join(rng.choice("abcxyz=/+ ") for _ in range(rng.randrange(4)))
          kind = i % 8
          if kind == 0:
              text = pad + s + pad
          elif kind == 1:
              text = base64.b64encode(pad.encode()[: i % 3] + s.encode() + b"!").decode()
          elif kind == 2:
              text = base64.urlsafe_b64encode(s.encode()).decode()
          elif kind == 3:
              text = urllib.parse.quote(s, safe="")
          elif kind == 4:
              text = json.dumps({{"token": s, "i": i}})
          elif kind == 5:
              text = repr(s)
          elif kind == 6:
              cut = rng.randrange(1, len(s))
              print(pad + s[:cut], end="", flush=True)
              text = s[cut:] + pad
          else:
              print(pad + s, file=sys.stderr)
              text = "-"
          print(text, flush=(i % 5 == 0))
          cells.append(text)
      pd.DataFrame({{"shape": cells, "n": range(len(cells))}})
  - id: js
    lang: javascript
    secrets: [API_KEY]
    code: |
      const s = process.env.API_KEY;
      const rows = [];
      for (let i = 0; i < {JS_SHAPES}; i++) {{
        let text;
        switch (i % 6) {{
          case 0: text = "v=" + s; break;
          case 1: text = btoa("ab".slice(0, i % 3) + s); break;
          case 2: text = encodeURIComponent(s); break;
          case 3: text = JSON.stringify({{s, i}}); break;
          case 4: console.warn("warn:" + s); text = "~" + s; break;
          default: console.error("err " + s); text = "-";
        }}
        console.log(text);
        rows.push({{shape: text, i}});
      }}
      rows
  - id: from_py
    lang: sql
    needs: [py]
    code: |
      SELECT shape, base64(shape::BLOB) AS b64, url_encode(shape) AS url,
             to_json({{"shape": shape}}) AS js
      FROM py ORDER BY n LIMIT {SQL_SHAPES // 4}
  - id: py_fails
    lang: python
    secrets: [API_KEY]
    code: |
      import os
      def check(key):
          raise ValueError(f"the key {{key!r}} was refused")
      check(os.environ["API_KEY"])
  - id: js_fails
    lang: javascript
    secrets: [API_KEY]
    code: |
      throw new Error("bad key " + process.env.API_KEY)
  - id: sql_fails
    lang: sql
    needs: [py]
    code: SELECT error('bad key ' || shape) FROM py WHERE n = 0
"""


async def test_no_form_of_the_secret_reaches_logs_errors_or_outputs(
    engine: Engine, make_pipeline: Callable[[str], Pipeline]
) -> None:
    logs: list[str] = []
    document = await engine.run(
        make_pipeline(PIPELINE),
        include_outputs=True,
        on_event=lambda event: logs.append(event.text) if isinstance(event, NodeLog) else None,
    )
    nodes = document.nodes
    errors = {n: r.error for n, r in nodes.items()}
    assert [nodes[n].status.value for n in ("py", "js", "from_py")] == ["succeeded"] * 3, errors
    assert [nodes[n].status.value for n in ("py_fails", "js_fails", "sql_fails")] == ["failed"] * 3
    everything = "".join(logs) + json.dumps(document.to_json())
    assert len([line for line in "".join(logs).splitlines() if MASK in line]) >= 600
    assert SECRET not in everything
    for form in forms(SECRET):
        assert form not in everything, form
    # The output tables kept their shape: only the secret's text was replaced.
    assert len(nodes["py"].output) == PYTHON_SHAPES
    assert len(nodes["js"].output) == JS_SHAPES
    for failed in ("py_fails", "js_fails", "sql_fails"):
        assert MASK in (nodes[failed].error or ""), failed
