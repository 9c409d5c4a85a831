"""``pipeline send``, ``pipeline runs`` and ``pipeline report``: sending and its journal."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from pipeline.cli.merge_view import print_merged
from pipeline.cli.options import (
    AppIdOpt,
    AudienceArg,
    MessageArg,
    NowOpt,
    RootOpt,
    ShardOpt,
    ShardsOpt,
    VarOpt,
    WorkersOpt,
    parse_now,
    parse_vars,
    read_shard,
)
from pipeline.cli.send_progress import LineMonitor, RichMonitor
from pipeline.errors import InputError, RunStopped
from pipeline.render.output import write_requests
from pipeline.render.parallel import render_lines
from pipeline.send.client import DEFAULT_CONCURRENCY, DEFAULT_MAX_ATTEMPTS
from pipeline.send.options import RunChoice, SendOptions, Target
from pipeline.send.results import Summary
from pipeline.send.retry import DEFAULT_DELIVERY_ATTEMPTS
from pipeline.send.runs import journal_path, list_runs, report_run, send_message

# Commands of this module; pipeline.cli loads it when one of them is invoked.
commands = typer.Typer(pretty_exceptions_show_locals=False, add_completion=False)


class Format(StrEnum):
    """Output formats of ``runs`` and ``report``."""

    text = "text"
    json = "json"


class OnLostAnswer(StrEnum):
    """What to do with a call that may have been processed but got no answer."""

    unknown = "unknown"
    resend = "resend"


JournalOpt = Annotated[
    Path | None,
    typer.Option(
        "--journal", help="The journal file [default: .pipeline/journal.sqlite under --root]."
    ),
]
FormatOpt = Annotated[Format, typer.Option("--format", help="text or json.")]


@commands.command("send")
def send_command(
    message: MessageArg,
    audience: AudienceArg,
    app_id: AppIdOpt,
    region: Annotated[str | None, typer.Option("--region", help="The AWS Region.")] = None,
    profile: Annotated[str | None, typer.Option("--profile", help="An AWS profile.")] = None,
    endpoint_url: Annotated[
        str | None, typer.Option("--endpoint-url", help="Send to this URL instead of AWS.")
    ] = None,
    sandbox: Annotated[
        bool,
        typer.Option("--sandbox", help="Send to an embedded local sandbox (no AWS account)."),
    ] = False,
    sandbox_endpoints: Annotated[
        Path | None,
        typer.Option("--sandbox-endpoints", help="The embedded sandbox's endpoints file."),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the requests (as `render` does); send nothing.")
    ] = False,
    concurrency: Annotated[
        int, typer.Option("--concurrency", min=1, max=512, help="Requests in flight at once.")
    ] = DEFAULT_CONCURRENCY,
    max_rps: Annotated[
        float | None,
        typer.Option("--max-rps", min=0.001, help="At most this many HTTP requests per second."),
    ] = None,
    max_attempts: Annotated[
        int,
        typer.Option(
            "--max-attempts", min=1, help="HTTP attempts per call (429, 5xx, network errors)."
        ),
    ] = DEFAULT_MAX_ATTEMPTS,
    on_lost_answer: Annotated[
        OnLostAnswer,
        typer.Option(
            "--on-lost-answer",
            help="A call sent but never answered: 'unknown' reports its users (never sent "
            "twice unasked); 'resend' sends it again and may deliver twice.",
        ),
    ] = OnLostAnswer.unknown,
    delivery_attempts: Annotated[
        int,
        typer.Option(
            "--delivery-attempts",
            min=1,
            help="Sends per endpoint for THROTTLED, TEMPORARY_FAILURE, UNKNOWN_FAILURE, TIMEOUT.",
        ),
    ] = DEFAULT_DELIVERY_ATTEMPTS,
    results: Annotated[
        Path | None,
        typer.Option("--results", help="Write one JSON line per user and endpoint here."),
    ] = None,
    journal: JournalOpt = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue the latest unfinished run of this send.")
    ] = False,
    resend_unknown: Annotated[
        bool,
        typer.Option(
            "--resend-unknown", help="With --resume: send again requests of unknown fate."
        ),
    ] = False,
    accept_unknown: Annotated[
        bool,
        typer.Option("--accept-unknown", help="With --resume: settle them as unknown, unsent."),
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Send even if an earlier run sent the same content.")
    ] = False,
    root: RootOpt = Path(),
    var: VarOpt = None,
    now: NowOpt = None,
    workers: WorkersOpt = None,
    shard: ShardOpt = None,
    shards: ShardsOpt = None,
) -> None:
    """Render MESSAGE for AUDIENCE and send it through Pinpoint.

    Exit codes: 0 every delivery succeeded; 1 some did not; 2 invalid input, nothing sent;
    3 the run stopped part-way (resume it with --resume).
    """
    variables, clock = parse_vars(var), parse_now(now)
    # Built before anything else, so a contradictory pair of flags fails at once.
    target = Target(region, profile, endpoint_url, sandbox, sandbox_endpoints)
    options = SendOptions(
        concurrency,
        max_rps,
        max_attempts,
        delivery_attempts,
        resend_lost_answers=on_lost_answer is OnLostAnswer.resend,
        workers=workers,
    )
    part = read_shard(shard, shards, announce=dry_run)  # a send says it with its journal
    choice = RunChoice(force, resume, resend_unknown, accept_unknown, shard=part)
    if dry_run:
        rendered = render_lines(
            message,
            audience,
            app_id=app_id,
            root=root,
            variables=variables,
            now=clock,
            workers=workers,
            shard=part,
        )
        write_requests(rendered, None)
        return
    monitor = RichMonitor() if sys.stderr.isatty() else LineMonitor()
    try:
        with monitor:
            summary = send_message(
                message,
                audience,
                app_id=app_id,
                root=root,
                variables=variables,
                now=clock,
                journal=journal,
                target=target,
                options=options,
                choice=choice,
                results=results,
                monitor=monitor,
            )
    except RunStopped as stopped:
        typer.echo(format_summary(stopped.summary))
        raise
    typer.echo(format_summary(summary))
    if summary.unknown:
        typer.echo(
            f"Error: run {summary.run.id} is unfinished: {len(summary.unknown_users):,} users "
            f"in {len(summary.unknown):,} requests got no answer (listed in "
            f"{summary.unknown_file}); send them again with --resume --resend-unknown, or "
            "settle them with --resume --accept-unknown",
            err=True,
        )
    raise typer.Exit(summary.exit_code)


@commands.command("runs")
def runs_command(
    journal: JournalOpt = None, root: RootOpt = Path(), output: FormatOpt = Format.text
) -> None:
    """List the runs of the journal, newest first."""
    overviews = list_runs(journal_path(root, journal))
    if output is Format.json:
        typer.echo(
            json.dumps(
                [
                    {**o.run.as_json(), "status": o.status, "users_by_state": o.progress.users}
                    for o in overviews
                ],
                indent=2,
            )
        )
        return
    header = ("run", "started", "status", "message", "audience", "app", "target", "users", "sent")
    rows = [
        (
            str(o.run.id),
            o.run.created_at,
            o.status,
            o.run.message,
            o.run.audience,
            o.run.application_id,
            o.run.target,
            str(o.run.users),
            str(o.progress.users["answered"] + o.progress.users["accepted"]),
        )
        for o in overviews
    ]
    typer.echo(_table(header, rows) if rows else "No runs yet.")


@commands.command("report")
def report_command(
    run: Annotated[str, typer.Argument(help="A run id, or 'latest'.")] = "latest",
    journal: JournalOpt = None,
    root: RootOpt = Path(),
    results: Annotated[
        Path | None, typer.Option("--results", help="Write the per-endpoint results file here.")
    ] = None,
    output: FormatOpt = Format.text,
    merge: Annotated[
        list[Path] | None,
        typer.Option(
            "--merge",
            help="Merge the shards of a sharded send instead: their journals, their "
            "--results files, or folders of them (repeatable). Names missing and "
            "unfinished shards; exit 3 if any.",
        ),
    ] = None,
) -> None:
    """Show a run (or a sharded send's runs) by delivery status.

    One run of a journal: its outcome by delivery status and its unknown users. With
    --merge: every shard of a sharded send, from their journals or results files, as one
    summary naming the shards that are missing or unfinished (exit 3 if any).
    """
    if merge:
        if run != "latest" or journal is not None or results is not None:
            raise InputError("--merge reports every shard: it takes no RUN, --journal or --results")
        raise typer.Exit(print_merged(merge, as_json=output is Format.json))
    if run != "latest" and not run.isdigit():
        raise InputError(f"run {run!r} is not a run id", fix="give a number from `pipeline runs`")
    run_id = None if run == "latest" else int(run)
    summary = report_run(journal_path(root, journal), run_id, results=results)
    if output is Format.json:
        typer.echo(json.dumps(summary.as_json(), indent=2))
    else:
        typer.echo(format_summary(summary, note=True))


def format_summary(summary: Summary, *, note: bool = False) -> str:
    """The end-of-run table by delivery status, the unknowns, and (``note``) why it stopped."""
    run = summary.run
    lines = [
        f"Run {run.id} ({run.status}): {run.message} to {run.audience}, application "
        f"{run.application_id}, {run.users} users, via {run.target}"
    ]
    rows = [
        (status, f"{summary.endpoints[status]:,}", f"{summary.users[status]:,}")
        for status in sorted(summary.endpoints)
    ]
    if summary.unknown:
        rows.append(("UNKNOWN (in flight)", "?", f"{len(summary.unknown_users):,}"))
    if summary.not_sent:
        rows.append(("NOT_SENT", "-", f"{summary.not_sent:,}"))
    lines.append(_table(("status", "endpoints", "users"), rows) if rows else "Nothing answered.")
    if summary.unknown:
        lines.append(
            f"unknown: {len(summary.unknown_users):,} users in {len(summary.unknown):,} "
            f"requests may or may not have been delivered; listed in {summary.unknown_file}"
        )
    if note and run.error:
        lines.append(f"note: {run.error}")
    return "\n".join(lines)


def _table(header: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> str:
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in (header, *rows)
    )
