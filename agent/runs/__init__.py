"""Runs: the engine that walks a pipeline's DAG, one run's execution and its attempts (timeouts, retries), the run manager that queues, records and streams runs, bundles and outputs."""
