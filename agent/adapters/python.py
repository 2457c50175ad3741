"""The Python adapter: nodes run in warm worker subprocesses with pandas preloaded (§3)."""

from __future__ import annotations

from omnix.agent.adapters.pooled import PythonWorkerAdapter


class PythonAdapter(PythonWorkerAdapter):
    """Python nodes: upstream tables arrive as pandas.DataFrame, the last expression is the output."""

    language = "python"
    op = "python"
    preload: tuple[str, ...] = ("pandas", "pyarrow", "omnix.agent.workers.child.python_op")
    install_hint = "pip install pandas pyarrow"
