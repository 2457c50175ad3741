"""`omnix validate FILE...`: check pipeline files without running anything."""

from __future__ import annotations

import sys

import click
from omnix.shared.pipeline import Pipeline, PipelineInvalid, load_pipeline
from omnix.shared.runtimes import missing_runtime


def runtime_warnings(file: str, pipeline: Pipeline) -> list[str]:
    """FILE:LINE: warnings for nodes whose language's runtime this machine lacks (the file is
    still valid: an agent elsewhere may have it)."""
    warnings = []
    for node in pipeline.nodes:
        problem = missing_runtime(node.lang)
        if problem is not None:
            line = f":{node.line}" if node.line else ""
            warnings.append(f"{file}{line}: warning: node '{node.id}' is {node.lang}: {problem}")
    return warnings


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
            for warning in runtime_warnings(file, pipeline):
                click.echo(warning, err=True)
    if invalid:
        noun = "file is" if invalid == 1 else "files are"
        click.echo(f"{invalid} {noun} invalid; fix the lines above and run again.", err=True)
        sys.exit(2)
