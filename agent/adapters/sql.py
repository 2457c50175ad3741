"""The SQL adapter: DuckDB over upstream tables, or a SQLite file via `connection:` (§3).

Statements run in a warm Python worker with DuckDB preloaded, never in the agent.
"""

from __future__ import annotations

from typing import Any

from omnix.agent.adapters.base import NodeTask
from omnix.agent.adapters.python_workers import PythonWorkerAdapter


class SqlAdapter(PythonWorkerAdapter):
    """SQL nodes: upstream tables by node id, params as $name, the last result set is the output."""

    language = "sql"
    op = "sql"
    preload: tuple[str, ...] = ("duckdb", "pyarrow", "omnix.agent.workers.child.sql_op")
    install_hint = "pip install duckdb pyarrow"

    def request_header(self, task: NodeTask) -> dict[str, Any]:
        """The common request plus the node's `connection` (relative paths resolve in workdir)."""
        return {**super().request_header(task), "connection": task.node.connection}
