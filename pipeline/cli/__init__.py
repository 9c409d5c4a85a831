"""The ``pipeline`` command line: a thin typer layer over the library.

Each command lives in its own module and registers itself on ``app``; this module holds
the one error handler that turns a PipelineError into ``Error: ...`` on stderr and its
exit code. Tracebacks are shown only for bugs.
"""

from __future__ import annotations

import sys

import typer

from pipeline.errors import PipelineError

# Locals are never shown: they may hold AWS credentials.
app = typer.Typer(
    name="pipeline",
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
    from pipeline.cli import render_cmd  # noqa: F401


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; the console script's entry point.

    Typer handles usage errors (exit 2) and ``--help``; a PipelineError escapes its
    standalone mode untouched and is printed here as one line.
    """
    _register_commands()
    try:
        app(args=argv)
    except PipelineError as error:
        print(f"Error: {error}", file=sys.stderr)
        sys.exit(error.exit_code)
