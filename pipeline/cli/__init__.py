"""The ``pipeline`` command line: a thin typer layer over the library.

Each command lives in its own module, on a ``typer.Typer`` of its own named ``commands``;
the root group loads a command's module only when that command is looked up (click's
"lazy group" pattern), so ``pipeline render`` never imports boto3 and every test that
invokes ``app`` sees exactly what users see. The group also holds the one error handler
that turns a PipelineError into ``Error: ...`` on stderr and its exit code. Tracebacks
are shown only for bugs.
"""

from __future__ import annotations

import atexit
import gc
import importlib
import io
import sys
from difflib import get_close_matches
from typing import Annotated, Any

import typer
import typer.main
from typer.core import TyperCommand, TyperGroup

from pipeline.cli.conventions import refuse_output_option, tidy_command
from pipeline.errors import PipelineError, StorageError
from pipeline.send.urls import without_userinfo

# The distribution's name on PyPI ("pipeline" there is another project); the import
# package and the console script are both ``pipeline``.
DISTRIBUTION = "pinpoint-pipeline"

# Each command's module under pipeline/cli/ and its one-line summary for ``pipeline
# --help``. Importing only the module of the command being run keeps start-up small (send
# alone pulls in boto3): every command pays it, lint in a pre-commit hook too. A test
# checks that each summary is the first line of the command's own docstring.
COMMANDS = {
    "render": ("render_cmd", "Render MESSAGE for every user of AUDIENCE into API requests."),
    "send": ("send_cmd", "Render MESSAGE for AUDIENCE and send it through Pinpoint."),
    "test-send": (
        "testsend_cmd",
        "Send MESSAGE to your own addresses as users of AUDIENCE get it.",
    ),
    "runs": (
        "runs_cmd",
        "List the runs of the journal, newest first; `runs prune` trims old ones.",
    ),
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

    def shell_complete(self, ctx: Any, incomplete: str) -> Any:
        """Complete a command name from the summaries, without importing any command."""
        self._listing = True
        try:
            return super().shell_complete(ctx, incomplete)
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
                tidy_command(command)
                self.add_command(command, cmd_name)
        return super().get_command(ctx, cmd_name)

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        """The command named first in ``args``; suggests a name for a misspelled one."""
        try:
            name, command, rest = super().resolve_command(ctx, args)
        except typer.BadParameter:
            raise
        except Exception as error:  # click's UsageError, which typer does not re-export
            message = getattr(error, "message", None)
            matches = get_close_matches(args[0], COMMANDS) if args else []
            if isinstance(message, str) and matches and "Did you mean" not in message:
                error.message = f"{message.rstrip('.')}. Did you mean {matches[0]!r}?"  # type: ignore[attr-defined]
            raise
        if command is not None and name is not None:
            refuse_output_option(name, command, rest)
        return name, command, rest

    def invoke(self, ctx: Any) -> Any:
        """Run the chosen command, converting the errors a user can cause."""
        try:
            return super().invoke(ctx)
        except PipelineError as error:
            # No URL's user:password@ is ever printed (--endpoint-url may carry one).
            typer.echo(f"Error: {without_userinfo(str(error))}", err=True)
            raise typer.Exit(error.exit_code) from None
        except BrokenPipeError:
            raise
        except OSError as exc:
            # The machine refused a file where no module expected it: no bug of ours, and
            # no mistake of the user's either, so one line and exit 3 rather than a trace.
            failure = StorageError.of(exc, "read or write a file")
            typer.echo(f"Error: {failure}", err=True)
            raise typer.Exit(failure.exit_code) from None


# Locals are never shown: they may hold AWS credentials. Help is click's plain layout
# (see pipeline/cli/conventions.py); -h is --help, as in most tools.
app = typer.Typer(
    name="pipeline",
    cls=PipelineGroup,
    help="Render, check and send Amazon Pinpoint messages kept in git.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _show_version(value: bool) -> None:
    if not value:
        return
    # Read only when asked: importlib.metadata scans the installed distributions.
    from importlib.metadata import PackageNotFoundError, version

    try:
        found = version(DISTRIBUTION)
    except PackageNotFoundError:  # run from a source tree that was never installed
        found = f"(unknown: {DISTRIBUTION} is not installed)"
    typer.echo(f"pipeline {found}")
    raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", is_eager=True, callback=_show_version, help="Show the version and exit."
        ),
    ] = False,
) -> None:
    """Render, check and send Amazon Pinpoint messages kept in git."""


def _freeze_at_exit() -> None:
    """``gc.freeze``, as a function of ours: ``atexit.unregister`` matches it, not a builtin."""
    gc.freeze()


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; the console script's entry point."""
    # A file name that is not UTF-8 (git allows any bytes) reaches Python as lone
    # surrogates, which a strict stream cannot print: show them escaped instead of failing.
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="backslashreplace")
    # Python's last step before exiting is a full garbage collection over every object
    # still alive: after a 100,000-user render or send, 0.1-0.15 s of one core, serial, to
    # free memory the system takes back anyway. Frozen objects are left out of it; atexit
    # handlers, flushing and closing all run as before.
    atexit.unregister(_freeze_at_exit)  # once per process, however often main runs
    atexit.register(_freeze_at_exit)
    # One program name however it is started (console script, python -m pipeline), so
    # usage lines and the shell completion's variable (_PIPELINE_COMPLETE) never change.
    app(args=argv, prog_name="pipeline")
