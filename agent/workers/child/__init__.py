"""Code that runs inside worker subprocesses, never in the agent process.

`python -m omnix.agent.workers.child` serves the frame protocol of `omnix.agent.workers.frames`; the
operations it offers (Python nodes, SQL nodes, table conversion) import pandas,
pyarrow and DuckDB, which is why nothing in the agent imports this package.
"""
