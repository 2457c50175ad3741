"""`omnix`: the terminal UI and the client commands. One verb per module."""

from __future__ import annotations

import click
from omnix.shared.cli import LazyGroup

COMMANDS = {
    "edit": "omnix.tui.cli.edit:command",
    "validate": "omnix.tui.cli.validate:command",
    "run": "omnix.tui.cli.run:command",
    "deploy": "omnix.tui.cli.deploy:command",
    "runs": "omnix.tui.cli.runs:command",
    "usage": "omnix.tui.cli.usage:command",
    "logs": "omnix.tui.cli.logs:command",
    "cancel": "omnix.tui.cli.cancel:command",
    "show": "omnix.tui.cli.show:command",
    "pipelines": "omnix.tui.cli.pipelines:command",
    "undeploy": "omnix.tui.cli.undeploy:command",
    "share": "omnix.tui.cli.share:share",
    "unshare": "omnix.tui.cli.share:unshare",
    "pause": "omnix.tui.cli.schedule:pause",
    "resume": "omnix.tui.cli.schedule:resume",
    "backfill": "omnix.tui.cli.backfill:command",
    "remotes": "omnix.tui.cli.remotes:command",
    "login": "omnix.tui.cli.login:login",
    "logout": "omnix.tui.cli.login:logout",
    "whoami": "omnix.tui.cli.login:whoami",
    "token": "omnix.tui.cli.tokens:command",
    "secret": "omnix.tui.cli.secrets:command",
}


@click.group(
    cls=LazyGroup,
    lazy_commands=COMMANDS,
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(package_name="omnix")
@click.option(
    "--agent",
    "--remote",
    "agent",
    metavar="ADDR",
    help="Agent for the TUI: unix:/path, host:port, ssh://user@host[/socket] or a remote's "
    "name (default: $OMNIX_AGENT, config, local).",
)
@click.pass_context
def main(ctx: click.Context, agent: str | None) -> None:
    """Omnix: edit, run and watch polyglot pipelines from the terminal.

    Without a command, opens the TUI on the agent's pipelines, runs, schedules and status.
    """
    if ctx.invoked_subcommand is None:
        from omnix.tui.home import HomeApp

        HomeApp(agent).run()
