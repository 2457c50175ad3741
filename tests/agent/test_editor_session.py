"""The editor's session runs pipeline text on a real agent, `file:` nodes included."""

from __future__ import annotations

from pathlib import Path

from omnix.shared.status import RunStatus
from omnix.tui.session import AgentSession
from omnix.v1 import status_pb2

from tests.agent.agents import RunningAgent


def test_start_source_sends_the_files_that_file_nodes_name(
    module_agent: RunningAgent, tmp_path: Path
) -> None:
    (tmp_path / "steps").mkdir()
    (tmp_path / "steps" / "answer.py").write_text("6 * 7\n")
    path = tmp_path / "edited.yaml"
    source = (
        "omnix: 1\nname: edited\nnodes:\n  - id: n0\n    lang: python\n    file: steps/answer.py\n"
    )
    with AgentSession(module_agent.address) as session:
        run_id = session.start_source(source, str(path))
        final = [e for e in session.events(run_id) if getattr(e, "node_id", None) is None][-1]
    assert getattr(final, "status", None) is RunStatus.SUCCEEDED
    run = module_agent.wait_for_run(run_id)
    assert run.nodes[0].status == status_pb2.NODE_STATUS_SUCCEEDED
    assert run.nodes[0].output_json == "42"
