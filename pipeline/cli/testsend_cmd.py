"""``pipeline test-send``: the message, as users of its audience, to the author's own addresses."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from pipeline.cli.options import (
    AppIdOpt,
    AudienceArg,
    JournalOpt,
    MessageArg,
    NowOpt,
    RootOpt,
    VarOpt,
    parse_now,
    parse_vars,
)
from pipeline.cli.send_cmd import format_summary
from pipeline.cli.send_progress import LineMonitor, RichMonitor
from pipeline.errors import RunStopped
from pipeline.render.testsend import parse_recipient
from pipeline.send.options import Target
from pipeline.send.testsend import send_test_message

# Commands of this module; pipeline.cli loads it when one of them is invoked.
commands = typer.Typer(pretty_exceptions_show_locals=False, add_completion=False)


@commands.command("test-send")
def test_send_command(
    message: MessageArg,
    audience: AudienceArg,
    app_id: AppIdOpt,
    to: Annotated[
        list[str],
        typer.Option(
            "--to",
            help="Send to this address: CHANNEL:ADDRESS such as SMS:+15550100001 or "
            "APNS_SANDBOX:<device token> (repeatable; never an address of the audience).",
        ),
    ],
    user: Annotated[
        list[str] | None,
        typer.Option(
            "--user",
            help="Render it as this user of the audience (repeatable) [default: the first "
            "user of each locale].",
        ),
    ] = None,
    region: Annotated[str | None, typer.Option("--region", help="The AWS Region.")] = None,
    profile: Annotated[str | None, typer.Option("--profile", help="An AWS profile.")] = None,
    endpoint_url: Annotated[
        str | None, typer.Option("--endpoint-url", help="Send to this URL instead of AWS.")
    ] = None,
    sandbox: Annotated[
        bool,
        typer.Option("--sandbox", help="Send to an embedded local sandbox (no AWS account)."),
    ] = False,
    results: Annotated[
        Path | None,
        typer.Option("--results", help="Write one JSON line per user and address here."),
    ] = None,
    journal: JournalOpt = None,
    root: RootOpt = Path(),
    var: VarOpt = None,
    now: NowOpt = None,
) -> None:
    """Send MESSAGE to your own addresses as users of AUDIENCE get it.

    A test before a campaign: each chosen user's message goes to every --to address
    through SendMessages, exactly as the campaign renders it. The run is journaled as a
    test: never refused as a duplicate, never counted as the campaign sent. Exit codes as
    for `pipeline send`.
    """
    recipients = [parse_recipient(text) for text in to]
    variables, clock = parse_vars(var), parse_now(now)
    target = Target(region, profile, endpoint_url, sandbox)
    monitor = RichMonitor() if sys.stderr.isatty() else LineMonitor()
    try:
        with monitor:
            summary = send_test_message(
                message,
                audience,
                app_id=app_id,
                to=recipients,
                users=user or (),
                root=root,
                variables=variables,
                now=clock,
                journal=journal,
                target=target,
                results=results,
                monitor=monitor,
            )
    except RunStopped as stopped:
        typer.echo(format_summary(stopped.summary))
        raise
    typer.echo(format_summary(summary))
    if summary.unknown:
        typer.echo(
            f"Error: test run {summary.run.id} is unfinished: {len(summary.unknown):,} "
            f"requests got no answer (listed in {summary.unknown_file}); those addresses may "
            "or may not have received them",
            err=True,
        )
    raise typer.Exit(summary.exit_code)
