"""`omnix-agent`: the daemon and its local tools. One verb per module."""

from __future__ import annotations

import click
from omnix.shared.cli import LazyGroup

COMMANDS = {
    "run": "omnix.agent.cli.run:command",
    "license": "omnix.agent.cli.license:command",
    "serve": "omnix.agent.cli.serve:command",
    "init": "omnix.agent.cli.init:command",
    "stop": "omnix.agent.cli.stop:command",
    "status": "omnix.agent.cli.status:command",
    "prune": "omnix.agent.cli.prune:command",
    "plugins": "omnix.agent.cli.plugins:command",
    "dial-stdio": "omnix.agent.cli.dial_stdio:command",
    "user": "omnix.agent.cli.users:user",
    "session": "omnix.agent.cli.users:session",
    "audit": "omnix.agent.cli.audit:command",
    "secrets": "omnix.agent.cli.secrets:command",
}


@click.group(
    cls=LazyGroup, lazy_commands=COMMANDS, context_settings={"help_option_names": ["-h", "--help"]}
)
@click.version_option(package_name="omnix")
def main() -> None:
    """Omnix agent: runs, schedules and records pipelines on this machine."""
