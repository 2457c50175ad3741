"""The PostgreSQL connector (`lang: postgres`), the worked example of the plugin API.

Registered in Omnix's own `pyproject.toml` as the entry point ``postgres`` of the group
``omnix.adapters``, exactly as a third-party package would register one. Statements run in
warm Python workers with psycopg loaded (`omnix.agent.connectors.postgres.worker`), never
in the agent.
"""

from __future__ import annotations

from omnix.agent.adapters.pooled import PluginWorkerAdapter


class PostgresAdapter(PluginWorkerAdapter):
    """`lang: postgres` nodes: `$name` params, the last result set is the output, and
    ``COPY table FROM upstream`` loads an upstream table."""

    language = "postgres"
    worker_module = "omnix.agent.connectors.postgres.worker"
    preload: tuple[str, ...] = ("psycopg", "pyarrow", worker_module)
    install_hint = "pip install 'psycopg[binary]' pyarrow"
    version_of = "psycopg"
