"""The run document as `--json` prints it: outputs kept as text or bytes are spliced in
exactly as they are."""

from __future__ import annotations

import io
import json

from omnix.shared.rundoc import NodeResult, RunDocument
from omnix.shared.status import NodeStatus, RunStatus

TABLE = '[{"name":"Zürich","n":9007199254740993}]'


def document(output: str | bytes) -> RunDocument:
    return RunDocument(
        "r1",
        "p",
        RunStatus.SUCCEEDED,
        {
            "a": NodeResult(NodeStatus.SUCCEEDED, 1, 0.5, output_text=output),
            "b": NodeResult(NodeStatus.SUCCEEDED, 1, 0.1, output={"k": "\x00omnix-output-0\x00"}),
        },
    )


def test_an_output_kept_as_text_is_spliced_in_unparsed() -> None:
    text = document(TABLE).dumps()
    assert TABLE in text  # not re-encoded: the integer keeps its 17 digits
    parsed = json.loads(text)
    assert parsed["nodes"]["a"]["output"][0]["n"] == 9007199254740993
    # A value that looks like the marker is still a value.
    assert parsed["nodes"]["b"]["output"] == {"k": "\x00omnix-output-0\x00"}


def test_writing_bytes_gives_the_same_document_as_dumps() -> None:
    stream = io.BytesIO()
    document(TABLE.encode()).write(stream)
    assert stream.getvalue() == document(TABLE).dumps().encode()
    assert document(TABLE.encode()).nodes["a"].value == json.loads(TABLE)
