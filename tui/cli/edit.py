"""`omnix edit FILE`: the terminal graph editor."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("edit")
@click.argument("file", type=click.Path(path_type=Path))
def command(file: Path) -> None:
    """Edit the pipeline FILE as a graph (an invalid file opens and shows its problems)."""
    from omnix.tui.document import DocumentError, PipelineDocument

    try:
        document = PipelineDocument.load(file)
    except DocumentError as exc:
        click.echo(f"omnix edit: {exc}", err=True)
        raise SystemExit(2) from None
    from omnix.tui.app import EditorApp

    EditorApp(document).run()
