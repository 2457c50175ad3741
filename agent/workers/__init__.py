"""Worker processes for every language: spawn, frame protocol, pool, environment; `child` is the Python program that runs inside a Python/SQL worker."""
