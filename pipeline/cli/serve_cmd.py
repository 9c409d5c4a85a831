"""``pipeline serve``: the HTML previews on 127.0.0.1, reloading as templates are edited."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer

from pipeline.cli.options import NowOpt, RootOpt, VarOpt, parse_now, parse_vars
from pipeline.review.html.server import DEFAULT_PORT, preview_server

# Commands of this module; pipeline.cli loads it when one of them is invoked.
commands = typer.Typer(pretty_exceptions_show_locals=False, add_completion=False)


@commands.command("serve")
def serve_command(
    messages: Annotated[
        list[str] | None,
        typer.Argument(
            help="Messages to preview, names under templates/ or paths  [default: every message].",
            show_default=False,
        ),
    ] = None,
    audience: Annotated[
        str | None,
        typer.Option(
            "--audience",
            help="Preview every message for this audience  [default: each message's own "
            "'audience:'].",
        ),
    ] = None,
    port: Annotated[
        int,
        typer.Option(
            "--port", min=0, max=65535, help="The port on 127.0.0.1, or 0 for any free one."
        ),
    ] = DEFAULT_PORT,
    user: Annotated[
        list[str] | None,
        typer.Option(
            "--user", metavar="ID", help="Show this user too, besides the first of each locale."
        ),
    ] = None,
    channel: Annotated[
        list[str] | None,
        typer.Option("--channel", metavar="CHANNEL", help="Show only this channel (repeatable)."),
    ] = None,
    root: RootOpt = Path(),
    var: VarOpt = None,
    now: NowOpt = None,
) -> None:
    """Serve the HTML previews on 127.0.0.1, rebuilt as files change.

    The open page reloads itself after each rebuild; a message that does not render
    shows its error, with file and line. Ctrl-C stops the server.
    """
    server = preview_server(
        messages or (),
        audience=audience,
        root=root,
        variables=parse_vars(var),
        now=parse_now(now) if now is not None else None,
        users=user or (),
        channels=channel or (),
        port=port,
        log=lambda line: typer.echo(line, err=True),
    )
    server.start()
    typer.echo(f"Serving previews at {server.url} (Ctrl-C to stop)")
    # Started in the background, a process inherits SIGINT ignored and Python then never
    # raises KeyboardInterrupt: take SIGINT (and SIGTERM) back for the server's lifetime.
    on_main_thread = threading.current_thread() is threading.main_thread()
    stops = (signal.SIGINT, signal.SIGTERM) if on_main_thread else ()
    previous = {number: signal.signal(number, _interrupt) for number in stops}
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        typer.echo("Stopped.", err=True)
    finally:
        server.close()
        for number, handler in previous.items():
            signal.signal(number, handler)


def _interrupt(_number: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt
