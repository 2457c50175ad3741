"""`python -m omnix.agent` is `omnix-agent` (how a client starts a local agent)."""

from omnix.agent.cli import main

main()
