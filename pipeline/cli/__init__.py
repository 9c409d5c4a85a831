"""The ``pipeline`` command line: a thin typer layer over the library.

Each command lives in its own module and registers itself on ``app``; this module holds
the one error handler that turns a PipelineError into ``Error: ...`` on stderr and its
exit code. It sits in the command group, so ``CliRunner`` tests see exactly what users
see. Tracebacks are shown only for bugs.
"""

from __future__ import annotations

import importlib
import sys
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


# Each command's module; main() imports only the one being run, which keeps start-up
# small (send alone pulls in boto3): every command pays it, lint in a pre-commit hook too.
COMMAND_MODULES = {
    "render": "render_cmd",
    "send": "send_cmd",
    "runs": "send_cmd",
    "report": "send_cmd",
    "sandbox": "sandbox_cmd",
    "preview": "preview_cmd",
    "lint": "lint_cmd",
    "diff": "diff_cmd",
    "serve": "serve_cmd",
}


def _register_commands(command: str | None = None) -> None:
    """Import the module of ``command``, or of every command (for help and unknown names)."""
    modules = (
        [COMMAND_MODULES[command]]
        if command in COMMAND_MODULES
        else sorted(set(COMMAND_MODULES.values()))
    )
    for module in modules:
        importlib.import_module(f"pipeline.cli.{module}")  # each registers itself on ``app``


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; the console script's entry point."""
    args = sys.argv[1:] if argv is None else argv
    _register_commands(next((arg for arg in args if not arg.startswith("-")), None))
    app(args=args)
