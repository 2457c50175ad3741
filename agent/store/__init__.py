"""SQLite persistence: the batched writer (db), the schema and its migrations, and one
module per table family (runs, pipelines and fires, usage)."""
