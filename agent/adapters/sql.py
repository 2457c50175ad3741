"""The SQL adapter: DuckDB over upstream tables, or a SQLite file via `connection:` (§3).

Statements run in a warm Python worker with DuckDB preloaded, never in the agent.
"""

from __future__ import annotations

from collections.abc import Sequence

from omnix.agent.adapters.base import NodeTask
from omnix.agent.adapters.pooled import PythonWorkerAdapter
from omnix.agent.workers.frames import Header


class SqlAdapter(PythonWorkerAdapter):
    """SQL nodes: upstream tables by node id, params as $name, the last result set is the output."""

    language = "sql"
    op = "sql"
    preload: tuple[str, ...] = ("duckdb", "pyarrow", "omnix.agent.workers.child.sql_op")
    install_hint = "pip install duckdb pyarrow"
    version_of = "duckdb"

    def request(self, task: NodeTask) -> tuple[Header, Sequence[bytes]]:
        """The common request plus the node's `connection` (relative paths resolve in workdir)."""
        header, blobs = super().request(task)
        return {**header, "connection": task.node.connection}, blobs
