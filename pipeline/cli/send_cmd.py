"""``pipeline send`` and ``pipeline report``: sending, and how a run went."""

from __future__ import annotations

import json
import sys
from contextlib import nullcontext
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from pipeline.cli.merge_view import print_merged
from pipeline.cli.options import (
    Api,
    ApiOpt,
    AppIdOpt,
    AudienceArg,
    DebugOpt,
    FormatOpt,
    JournalOpt,
    MessageArg,
    NowOpt,
    OutputFormat,
    RootOpt,
    SendWorkersOpt,
    ShardOpt,
    ShardsOpt,
    VarOpt,
    parse_now,
    parse_vars,
    read_shard,
)
from pipeline.cli.send_progress import LineMonitor, RichMonitor
from pipeline.cli.tables import table
from pipeline.errors import InputError, RunStopped
from pipeline.render.output import write_requests
from pipeline.render.parallel import render_lines
from pipeline.send.client import DEFAULT_CONCURRENCY, DEFAULT_MAX_ATTEMPTS
from pipeline.send.journal import TEST_PURPOSE
from pipeline.send.options import RunChoice, SendOptions, Target
from pipeline.send.results import Summary
from pipeline.send.retry import DEFAULT_DELIVERY_ATTEMPTS
from pipeline.send.runs import journal_path, report_run, send_message
from pipeline.send.wirelog import wire_log

# Commands of this module; pipeline.cli loads it when one of them is invoked.
commands = typer.Typer(pretty_exceptions_show_locals=False, add_completion=False)


class OnLostAnswer(StrEnum):
    """What to do with a call that may have been processed but got no answer."""

    unknown = "unknown"
    resend = "resend"


@commands.command("send")
def send_command(
    message: MessageArg,
    audience: AudienceArg,
    app_id: AppIdOpt,
    region: Annotated[
        str | None,
        typer.Option(
            "--region",
            help="The AWS Region  [default: AWS_REGION, else AWS_DEFAULT_REGION, else the "
            "profile's].",
        ),
    ] = None,
    profile: Annotated[
        str | None,
        typer.Option(
            "--profile",
            help="A profile of the AWS config files  [default: AWS_PROFILE, else 'default'].",
        ),
    ] = None,
    endpoint_url: Annotated[
        str | None,
        typer.Option(
            "--endpoint-url",
            metavar="URL",
            help="Send to this URL instead of AWS  [default: AWS_ENDPOINT_URL_PINPOINT, else "
            "AWS_ENDPOINT_URL, else the Region's].",
        ),
    ] = None,
    sandbox: Annotated[
        bool,
        typer.Option("--sandbox", help="Send to an embedded local sandbox (no AWS account)."),
    ] = False,
    sandbox_endpoints: Annotated[
        Path | None,
        typer.Option(
            "--sandbox-endpoints", metavar="FILE", help="The embedded sandbox's endpoints file."
        ),
    ] = None,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Print the requests as `render` does, and send nothing."),
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
            help="For a call sent but never answered, 'unknown' reports its users and "
            "'resend' sends it again, which may deliver twice.",
        ),
    ] = OnLostAnswer.unknown,
    delivery_attempts: Annotated[
        int,
        typer.Option(
            "--delivery-attempts",
            min=1,
            help="Sends per endpoint for THROTTLED, TEMPORARY_FAILURE, UNKNOWN_FAILURE and "
            "TIMEOUT results.",
        ),
    ] = DEFAULT_DELIVERY_ATTEMPTS,
    results: Annotated[
        Path | None,
        typer.Option(
            "--results", metavar="FILE", help="Write one JSON line per user and endpoint here."
        ),
    ] = None,
    journal: JournalOpt = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue the latest unfinished run of this send.")
    ] = False,
    resend_unknown: Annotated[
        bool,
        typer.Option(
            "--resend-unknown", help="With --resume, send again the requests of unknown fate."
        ),
    ] = False,
    accept_unknown: Annotated[
        bool,
        typer.Option(
            "--accept-unknown", help="With --resume, settle those requests as unknown, unsent."
        ),
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Send even if an earlier run sent the same content.")
    ] = False,
    root: RootOpt = Path(),
    var: VarOpt = None,
    now: NowOpt = None,
    debug: DebugOpt = False,
    api: ApiOpt = Api.send_users_messages,
    workers: SendWorkersOpt = None,
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
        api=api.value,
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
            api=api.value,
            workers=workers,
            shard=part,
        )
        write_requests(rendered, None)
        return
    # A bar redrawn between log lines would garble both: with --debug, plain lines.
    monitor = RichMonitor() if sys.stderr.isatty() and not debug else LineMonitor()
    try:
        with wire_log() if debug else nullcontext(), monitor:
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


@commands.command("report")
def report_command(
    run: Annotated[str, typer.Argument(help="A run id, or 'latest'.")] = "latest",
    journal: JournalOpt = None,
    root: RootOpt = Path(),
    results: Annotated[
        Path | None,
        typer.Option("--results", metavar="FILE", help="Write the per-endpoint results file here."),
    ] = None,
    output: FormatOpt = OutputFormat.text,
    merge: Annotated[
        list[Path] | None,
        typer.Option(
            "--merge",
            metavar="PATH",
            help="Merge the shards of a sharded send instead (their journals, --results "
            "files or folders of them; repeatable), naming missing and unfinished shards, "
            "exit 3 if any.",
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
        raise typer.Exit(print_merged(merge, as_json=output is OutputFormat.json))
    if run != "latest" and not run.isdigit():
        raise InputError(f"run {run!r} is not a run id", fix="give a number from `pipeline runs`")
    run_id = None if run == "latest" else int(run)
    summary = report_run(journal_path(root, journal), run_id, results=results)
    if output is OutputFormat.json:
        typer.echo(json.dumps(summary.as_json(), indent=2))
    else:
        typer.echo(format_summary(summary, note=True))


def format_summary(summary: Summary, *, note: bool = False) -> str:
    """The end-of-run table by delivery status, the unknowns, and (``note``) why it stopped."""
    run = summary.run
    if run.purpose == TEST_PURPOSE:
        heading = f"Test run {run.id} ({run.status}): {run.message} as {run.users} users of"
    else:
        heading = f"Run {run.id} ({run.status}): {run.message} to"
    lines = [
        f"{heading} {run.audience}, application {run.application_id}"
        + ("" if run.purpose == TEST_PURPOSE else f", {run.users} users")
        + f", via {run.target}"
    ]
    rows = [
        (status, f"{summary.endpoints[status]:,}", f"{summary.users[status]:,}")
        for status in sorted(summary.endpoints)
    ]
    if summary.unknown:
        rows.append(("UNKNOWN (in flight)", "?", f"{len(summary.unknown_users):,}"))
    if summary.not_sent:
        rows.append(("NOT_SENT", "-", f"{summary.not_sent:,}"))
    column = "addresses" if run.api == Api.send_messages.value else "endpoints"
    lines.append(table(("status", column, "users"), rows) if rows else "Nothing answered.")
    if summary.unknown:
        lines.append(
            f"unknown: {len(summary.unknown_users):,} users in {len(summary.unknown):,} "
            f"requests may or may not have been delivered; listed in {summary.unknown_file}"
        )
    if note and run.error:
        lines.append(f"note: {run.error}")
    if summary.pruned_at:
        lines.append(
            f"note: per-endpoint results were pruned on {summary.pruned_at}; the totals remain"
        )
    return "\n".join(lines)
