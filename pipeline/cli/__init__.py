"""The ``pipeline`` command line: a thin typer layer over the library.

Each command lives in its own module, on a ``typer.Typer`` of its own named ``commands``;
the root group loads a command's module only when that command is looked up (click's
"lazy group" pattern), so ``pipeline render`` never imports boto3 and every test that
invokes ``app`` sees exactly what users see. The group also holds the one error handler
that turns a PipelineError into ``Error: ...`` on stderr and its exit code. Tracebacks
are shown only for bugs.
"""

from __future__ import annotations

import importlib
from typing import Any

import typer
import typer.main
from typer.core import TyperCommand, TyperGroup

from pipeline.errors import PipelineError

# Each command's module under pipeline/cli/ and its one-line summary for ``pipeline
# --help``. Importing only the module of the command being run keeps start-up small (send
# alone pulls in boto3): every command pays it, lint in a pre-commit hook too. A test
# checks that each summary is the first line of the command's own docstring.
COMMANDS = {
    "render": ("render_cmd", "Render MESSAGE for every user of AUDIENCE into API requests."),
    "send": ("send_cmd", "Render MESSAGE for AUDIENCE and send it through Pinpoint."),
    "runs": ("send_cmd", "List the runs of the journal, newest first."),
    "report": ("send_cmd", "Show a run (or a sharded send's runs) by delivery status."),
    "sandbox": ("sandbox_cmd", "Run a local Pinpoint endpoint until Ctrl-C."),
    "preview": ("preview_cmd", "Show what each user of AUDIENCE receives on each channel."),
    "lint": ("lint_cmd", "Check messages before they are sent: templates, fields, users."),
    "diff": ("diff_cmd", "Show which recipients' messages change since a git ref."),
    "serve": ("serve_cmd", "Serve the HTML previews on 127.0.0.1, rebuilt as files change."),
}


class PipelineGroup(TyperGroup):
    """The root group: loads commands lazily; prints a PipelineError as one line."""

    _listing = False  # True while the group's own help lists the commands

    def list_commands(self, ctx: Any) -> list[str]:  # typer's own Context type is private
        """Every command's name, loaded or not."""
        return sorted(set(super().list_commands(ctx)) | set(COMMANDS))

    def format_help(self, ctx: Any, formatter: Any) -> None:
        """The group's help, listing commands by their summaries without importing them."""
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        """The command ``cmd_name``, importing its module the first time it is asked for."""
        if cmd_name in COMMANDS and cmd_name not in self.commands:
            module_name, summary = COMMANDS[cmd_name]
            if self._listing:
                return TyperCommand(cmd_name, help=summary)
            module = importlib.import_module(f"pipeline.cli.{module_name}")
            command: Any = typer.main.get_command(module.commands)
            if isinstance(command, TyperGroup):  # a module of several commands: their group
                command = command.get_command(ctx, cmd_name)
            if command is not None:
                self.add_command(command, cmd_name)
        return super().get_command(ctx, cmd_name)

    def invoke(self, ctx: Any) -> Any:
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


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; the console script's entry point."""
    app(args=argv)
