"""Runs: the engine that walks a pipeline's DAG, one run's execution and its attempts
(timeouts, retries), the manager that queues, records and streams runs, bundles, outputs."""
