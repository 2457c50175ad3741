"""Worker processes for every language: spawn, frame protocol, pool, environment; `child`
is the Python program inside a Python or SQL worker."""
