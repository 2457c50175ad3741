"""The agent database's schema, as forward-only migrations.

`MIGRATIONS[i]` takes the database from version i to i + 1. A released migration is never
edited: a change is a new entry at the end. The store applies the missing ones at start.
"""

from __future__ import annotations

MIGRATIONS: tuple[str, ...] = (
    # 1: pipelines and their versions, runs, node states, run events, logs, schedule fires.
    """
    CREATE TABLE pipelines (
        name TEXT PRIMARY KEY,
        description TEXT NOT NULL,
        latest_version INTEGER NOT NULL,
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL,
        schedule_paused INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE pipeline_versions (
        pipeline TEXT NOT NULL,
        version INTEGER NOT NULL,
        source TEXT NOT NULL,
        source_sha256 TEXT NOT NULL,
        path TEXT NOT NULL,
        deployed_at REAL NOT NULL,
        PRIMARY KEY (pipeline, version)
    ) WITHOUT ROWID;
    CREATE TABLE runs (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        run_id TEXT NOT NULL UNIQUE,
        pipeline TEXT NOT NULL,
        version INTEGER NOT NULL,
        source TEXT NOT NULL,
        source_path TEXT NOT NULL,
        status TEXT NOT NULL,
        reason TEXT NOT NULL DEFAULT '',
        params_json TEXT NOT NULL,
        trigger TEXT NOT NULL,
        scheduled_for REAL,
        created_at REAL NOT NULL,
        started_at REAL,
        finished_at REAL
    );
    CREATE INDEX runs_by_pipeline ON runs (pipeline, seq);
    CREATE INDEX runs_by_status ON runs (status);
    CREATE TABLE node_states (
        run_id TEXT NOT NULL,
        node_id TEXT NOT NULL,
        position INTEGER NOT NULL,
        status TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        duration_s REAL,
        error TEXT,
        output_json TEXT,
        updated_at REAL NOT NULL,
        PRIMARY KEY (run_id, node_id)
    ) WITHOUT ROWID;
    -- State changes and log chunks share one sequence per run, so a replay merges them.
    CREATE TABLE run_events (
        run_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        at REAL NOT NULL,
        node_id TEXT,
        status TEXT NOT NULL,
        attempt INTEGER,
        duration_s REAL,
        error TEXT,
        reason TEXT,
        PRIMARY KEY (run_id, seq)
    ) WITHOUT ROWID;
    CREATE TABLE logs (
        run_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        at REAL NOT NULL,
        node_id TEXT NOT NULL,
        stream TEXT NOT NULL,
        text TEXT NOT NULL,
        PRIMARY KEY (run_id, seq)
    ) WITHOUT ROWID;
    CREATE TABLE schedule_fires (
        pipeline TEXT NOT NULL,
        scheduled_for REAL NOT NULL,
        outcome TEXT NOT NULL,
        recorded_at REAL NOT NULL,
        run_id TEXT,
        reason TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (pipeline, scheduled_for, outcome)
    ) WITHOUT ROWID;
    """,
    # 2: the files that `file:` nodes name travel with the pipeline text (a JSON object).
    """
    ALTER TABLE pipeline_versions ADD COLUMN files_json TEXT NOT NULL DEFAULT '{}';
    ALTER TABLE runs ADD COLUMN files_json TEXT NOT NULL DEFAULT '{}';
    """,
    # 3: which node outputs a run keeps ('all', 'final' or 'none'), so a run queued again
    # after a restart keeps what its client asked for.
    """
    ALTER TABLE runs ADD COLUMN keep_outputs TEXT NOT NULL DEFAULT 'final';
    """,
    # 4: how long a node's last attempt waited for a run slot and a worker, apart from
    # the time its code ran (duration_s).
    """
    ALTER TABLE node_states ADD COLUMN queue_wait_s REAL;
    ALTER TABLE run_events ADD COLUMN queue_wait_s REAL;
    """,
    # 5: the nodes whose outputs a run keeps when they were named (a JSON list; empty: as
    # keep_outputs says).
    """
    ALTER TABLE runs ADD COLUMN output_nodes_json TEXT NOT NULL DEFAULT '[]';
    """,
    # 6: kept outputs live in files beside the database (outputs/<run>/<node>.json); the
    # row holds the size. Outputs kept by earlier versions stay in output_json.
    """
    ALTER TABLE node_states ADD COLUMN output_bytes INTEGER;
    """,
    # 7: usage records, one per node attempt, append-only (see omnix.agent.store.metering).
    """
    CREATE TABLE node_usage (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        run_id TEXT NOT NULL,
        pipeline TEXT NOT NULL,
        node_id TEXT NOT NULL,
        lang TEXT NOT NULL,
        attempt INTEGER NOT NULL,
        agent TEXT NOT NULL,
        started_at REAL NOT NULL,
        wall_ms INTEGER NOT NULL,
        queue_wait_ms INTEGER NOT NULL,
        cpu_ms INTEGER,
        peak_rss_bytes INTEGER,
        bytes_in INTEGER NOT NULL,
        bytes_out INTEGER NOT NULL,
        log_bytes INTEGER NOT NULL,
        status TEXT NOT NULL
    );
    CREATE INDEX node_usage_by_time ON node_usage (started_at);
    CREATE TRIGGER node_usage_no_update BEFORE UPDATE ON node_usage
        BEGIN SELECT RAISE(ABORT, 'usage records are append-only'); END;
    CREATE TRIGGER node_usage_no_delete BEFORE DELETE ON node_usage
        BEGIN SELECT RAISE(ABORT, 'usage records are append-only'); END;
    """,
    # 8: alert incidents: one row from when a rule's condition began to when it ended.
    """
    CREATE TABLE alerts (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        rule TEXT NOT NULL,
        key TEXT NOT NULL,
        severity TEXT NOT NULL,
        message TEXT NOT NULL,
        fired_at REAL NOT NULL,
        cleared_at REAL
    );
    CREATE UNIQUE INDEX alerts_open ON alerts (rule, key) WHERE cleared_at IS NULL;
    """,
    # 9: rows each attempt read from upstream tables and wrote (NULL: not known).
    """
    ALTER TABLE node_usage ADD COLUMN rows_in INTEGER;
    ALTER TABLE node_usage ADD COLUMN rows_out INTEGER;
    """,
    # 10: users, their tokens and sessions (hashes only), encrypted secrets, the audit
    # chain and its signed checkpoints (see omnix.agent.security and docs/security.md).
    """
    CREATE TABLE users (
        name TEXT PRIMARY KEY,
        role TEXT NOT NULL,
        password_hash TEXT NOT NULL DEFAULT '',
        os_user TEXT NOT NULL DEFAULT '',
        created_at REAL NOT NULL,
        created_by TEXT NOT NULL
    );
    CREATE TABLE credentials (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        user TEXT NOT NULL,
        name TEXT NOT NULL,
        role TEXT NOT NULL,
        sha256 BLOB NOT NULL,
        created_at REAL NOT NULL,
        expires_at REAL,
        last_used_at REAL,
        revoked_at REAL,
        revoked_by TEXT NOT NULL DEFAULT '',
        peer TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX credentials_by_user ON credentials (user);
    CREATE TABLE secret_keys (
        id INTEGER PRIMARY KEY,
        wrapped BLOB NOT NULL,
        master_id TEXT NOT NULL,
        created_at REAL NOT NULL
    );
    CREATE TABLE secrets (
        name TEXT PRIMARY KEY,
        key_id INTEGER NOT NULL,
        sealed BLOB NOT NULL,
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL,
        updated_by TEXT NOT NULL
    );
    CREATE TABLE audit_log (
        seq INTEGER PRIMARY KEY,
        at REAL NOT NULL,
        actor TEXT NOT NULL,
        via TEXT NOT NULL,
        peer TEXT NOT NULL,
        action TEXT NOT NULL,
        target TEXT NOT NULL,
        result TEXT NOT NULL,
        detail TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL
    );
    CREATE INDEX audit_by_time ON audit_log (at);
    CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    CREATE TABLE audit_checkpoints (
        seq INTEGER PRIMARY KEY,
        hash TEXT NOT NULL,
        at REAL NOT NULL,
        signature TEXT NOT NULL
    );
    """,
    # 11: who owns each pipeline and with whom it is shared, who started each run, and the
    # pipelines a token is limited to (JSON list; empty: every pipeline its role reaches).
    """
    ALTER TABLE pipelines ADD COLUMN owner TEXT NOT NULL DEFAULT '';
    CREATE TABLE pipeline_shares (
        pipeline TEXT NOT NULL,
        user TEXT NOT NULL,
        role TEXT NOT NULL,
        shared_by TEXT NOT NULL,
        shared_at REAL NOT NULL,
        PRIMARY KEY (pipeline, user)
    ) WITHOUT ROWID;
    ALTER TABLE runs ADD COLUMN started_by TEXT NOT NULL DEFAULT '';
    ALTER TABLE credentials ADD COLUMN pipelines_json TEXT NOT NULL DEFAULT '[]';
    """,
)

SCHEMA_VERSION = len(MIGRATIONS)
