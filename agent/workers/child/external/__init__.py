"""Nodes of languages that run in their own runtime (R, Go, Scala, Julia), bridged by a Python worker.

The Python worker speaks the agent's frame protocol and owns the Arrow side; the runtime
(a warm Rscript, a cached Go binary, a warm JVM, a warm julia) reads one request line of
the typed exchange (`exchange`) on its stdin and writes one reply line on fd 3. Its stdout
and stderr are the worker's own, so the user's output streams to the node's log as written.
"""
