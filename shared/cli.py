"""Command-line plumbing shared by `omnix` and `omnix-agent`.

Commands are imported lazily so that `omnix validate` never pays for Textual or
gRPC and `omnix-agent status` never pays for pandas.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from omnix.shared.pipeline import Pipeline


class LazyGroup(click.Group):
    """A click group whose commands are named as ``"module:attribute"`` and imported on use."""

    def __init__(self, *args: object, lazy_commands: dict[str, str], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._lazy_commands = lazy_commands

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self._lazy_commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = self._lazy_commands.get(cmd_name)
        if target is None:
            return super().get_command(ctx, cmd_name)
        module_name, _, attribute = target.partition(":")
        command = getattr(importlib.import_module(module_name), attribute)
        if not isinstance(command, click.Command):
            raise TypeError(f"{target} is not a click command")
        return command


F = TypeVar("F", bound=Callable[..., object])

EXIT_FAILED = 1
"""A run failed (`omnix run`, `omnix-agent run`, `omnix logs --follow`)."""
EXIT_INVALID = 2
"""Invalid input: a file, a parameter, an option."""
EXIT_UNREACHABLE = 3
"""No agent answered, or the agent went away mid-command: not the user's input."""
EXIT_INTERRUPTED = 130
"""The run was cancelled (Ctrl-C), as shells report SIGINT."""


def load_for_run(file: str | Path, assignments: tuple[str, ...]) -> tuple[Pipeline, dict[str, Any]]:
    """The pipeline in `file` and its run's params from `--param` assignments; on a problem,
    print each as FILE:LINE: on stderr and exit 2, before anything runs."""
    from omnix.shared.params import ParamError, check_json_params, parse_params
    from omnix.shared.pipeline import PipelineInvalid, load_pipeline

    try:
        pipeline = load_pipeline(file)
    except PipelineInvalid as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        sys.exit(EXIT_INVALID)
    try:
        params = parse_params(assignments, pipeline.params)
        check_json_params({**pipeline.params, **params})
    except ParamError as exc:
        click.echo(f"{file}: {exc}", err=True)
        sys.exit(EXIT_INVALID)
    return pipeline, params


param_option: Callable[[F], F] = click.option(
    "--param",
    "-p",
    "assignments",
    multiple=True,
    metavar="NAME=VALUE",
    help="Override a pipeline parameter (repeatable); typed like its default.",
)
"""`--param k=v`, as `omnix run` and `omnix-agent run` take it."""

json_option: Callable[[F], F] = click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print the run document as JSON on stdout; progress and logs go to stderr.",
)
"""`--json`: one JSON document on stdout, logs on stderr."""

outputs_option: Callable[[F], F] = click.option(
    "--outputs",
    "outputs",
    type=click.Choice(["final", "all", "none"]),
    default="final",
    show_default=True,
    help="Which node outputs the run keeps and --json prints: the final nodes' (those no "
    "other node needs), every node's, or none. Others are null in the document.",
)
"""`--outputs final|all|none`: converting a million-row table to JSON rows costs seconds,
so only the outputs asked for are."""

output_option: Callable[[F], F] = click.option(
    "--output",
    "output_nodes",
    multiple=True,
    metavar="NODE",
    help="Keep and print this node's output (repeatable); instead of --outputs.",
)
"""`--output NODE`: exactly these nodes' outputs."""
