"""`omnix edit FILE`: the terminal graph editor."""

from __future__ import annotations

from pathlib import Path

import click
from omnix.tui.cli.agent_options import agent_option


@click.command("edit")
@click.argument("file", type=click.Path(path_type=Path))
@agent_option
def command(file: Path, agent: str | None) -> None:
    """Edit the pipeline FILE as a graph (an invalid file opens and shows its problems).

    `r` in the editor runs the pipeline on the agent (--agent, else the default one).
    """
    from omnix.tui.document import DocumentError, PipelineDocument

    try:
        document = PipelineDocument.load(file)
    except DocumentError as exc:
        click.echo(f"omnix edit: {exc}", err=True)
        raise SystemExit(2) from None
    from omnix.tui.app import EditorApp

    EditorApp(document, agent=agent).run()
