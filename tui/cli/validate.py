"""`omnix validate FILE...`: check pipeline files without running anything."""

from __future__ import annotations

import sys

import click
from omnix.shared.pipeline import PipelineInvalid, load_pipeline


@click.command("validate")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
def command(files: tuple[str, ...]) -> None:
    """Validate pipeline FILES; print FILE:LINE: problems and exit 2 if any file is invalid."""
    invalid = 0
    for file in files:
        try:
            pipeline = load_pipeline(file)
        except PipelineInvalid as exc:
            invalid += 1
            for problem in exc.problems:
                click.echo(str(problem), err=True)
        else:
            click.echo(f"{file}: ok ({pipeline.name}, {len(pipeline.nodes)} nodes)")
    if invalid:
        noun = "file is" if invalid == 1 else "files are"
        click.echo(f"{invalid} {noun} invalid; fix the lines above and run again.", err=True)
        sys.exit(2)
