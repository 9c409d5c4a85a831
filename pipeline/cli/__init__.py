"""The ``pipeline`` command line: a thin typer layer over the library.

Each command lives in its own module and registers itself on ``app``; this module holds
the one error handler that turns a PipelineError into ``Error: ...`` on stderr and its
exit code. It sits in the command group, so ``CliRunner`` tests see exactly what users
see. Tracebacks are shown only for bugs.
"""

from __future__ import annotations

from typing import Any

import typer
from typer.core import TyperGroup

from pipeline.errors import PipelineError


class PipelineGroup(TyperGroup):
    """The command group; prints a PipelineError as one line and exits with its code."""

    def invoke(self, ctx: Any) -> Any:  # typer's own Context type is private
        """Run the chosen command, converting the errors a user can cause."""
        try:
            return super().invoke(ctx)
        except PipelineError as error:
            typer.echo(f"Error: {error}", err=True)
            raise typer.Exit(error.exit_code) from None


# Locals are never shown: they may hold AWS credentials.
app = typer.Typer(
    name="pipeline",
    cls=PipelineGroup,
    help="Render, check and send Amazon Pinpoint messages kept in git.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    add_completion=False,
)


@app.callback()
def _root() -> None:
    """Render, check and send Amazon Pinpoint messages kept in git."""


def _register_commands() -> None:
    # Imported for their side effect: each module adds its commands to ``app``.
    from pipeline.cli import (
        diff_cmd,  # noqa: F401
        lint_cmd,  # noqa: F401
        preview_cmd,  # noqa: F401
        render_cmd,  # noqa: F401
        sandbox_cmd,  # noqa: F401
        send_cmd,  # noqa: F401
    )


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; the console script's entry point."""
    _register_commands()
    app(args=argv)
