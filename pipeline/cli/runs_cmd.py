"""``pipeline runs`` and ``pipeline runs prune``: the journal's runs, and keeping it small."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from pipeline.api import MESSAGES_API
from pipeline.cli.options import FormatOpt, JournalOpt, OutputFormat, RootOpt
from pipeline.cli.tables import table
from pipeline.send.journal import TEST_PURPOSE, Run
from pipeline.send.journal.prune import parse_age
from pipeline.send.runs import journal_path, list_runs, prune_journal

# Commands of this module; pipeline.cli loads it when one of them is invoked.
commands = typer.Typer(pretty_exceptions_show_locals=False, add_completion=False)
runs = typer.Typer(pretty_exceptions_show_locals=False, add_completion=False)
commands.add_typer(runs, name="runs")


@runs.callback(invoke_without_command=True)
def runs_command(
    ctx: typer.Context,
    journal: JournalOpt = None,
    root: RootOpt = Path(),
    output: FormatOpt = OutputFormat.text,
) -> None:
    """List the runs of the journal, newest first; `runs prune` trims old ones.

    A run's status is running, stopped, interrupted (its process is gone), finished or
    superseded, with ", pruned" once its stored requests and results were pruned.
    """
    if ctx.invoked_subcommand is not None:
        return
    overviews = list_runs(journal_path(root, journal))
    if output is OutputFormat.json:
        typer.echo(
            json.dumps(
                [
                    {
                        **o.run.as_json(),
                        "status": o.status,
                        "pruned": o.pruned,
                        "users_by_state": o.progress.users,
                    }
                    for o in overviews
                ],
                indent=2,
            )
        )
        return
    header = (
        "run",
        "started",
        "status",
        "message",
        "audience",
        "app",
        "target",
        "users",
        "sent",
        "kind",
    )
    rows = [
        (
            str(o.run.id),
            o.run.created_at,
            o.status,
            o.run.message,
            o.run.audience,
            o.run.application_id,
            o.run.target,
            f"{o.run.users:,}",
            f"{o.progress.users['answered'] + o.progress.users['accepted']:,}",
            _kind(o.run),
        )
        for o in overviews
    ]
    typer.echo(table(header, rows) if rows else "No runs yet.")


@runs.command("prune")
def prune_command(
    older_than: Annotated[
        str,
        typer.Option(
            "--older-than",
            metavar="AGE",
            help="Prune runs finished at least this long ago: 12h, 30d, 2w, or 0d for all.",
        ),
    ],
    journal: JournalOpt = None,
    root: RootOpt = Path(),
) -> None:
    """Remove the stored requests and results of old finished runs.

    Each pruned run keeps its record and its totals by delivery status, so the same content
    is still refused as already sent and `pipeline report` still shows how it went; its
    requests (a resume's input) and per-endpoint results are removed and the file shrinks.
    Unfinished runs are never pruned.
    """
    age = parse_age(older_than)
    report = prune_journal(journal_path(root, journal), older_than=age)
    if not report.runs:
        typer.echo(f"No run finished before {report.cutoff} is left to prune.")
        return
    listed = ", ".join(str(run_id) for run_id in report.runs)
    count = len(report.runs)
    typer.echo(
        f"Pruned {count} run{'s' if count != 1 else ''} ({listed}): the journal went from "
        f"{_size(report.bytes_before)} to {_size(report.bytes_after)}."
    )
    if report.busy_run is not None:
        typer.echo(
            f"Run {report.busy_run} is being sent, so the space stays allocated until the "
            "next prune (reclaiming it would stall that send)."
        )


def _size(count: int) -> str:
    if count < 1_000_000:
        return f"{count / 1000:,.1f} kB"
    return f"{count / 1_000_000:,.1f} MB"


def _kind(run: Run) -> str:
    """What a run sent, in a word: ``users``, ``addresses``, or a ``test`` send."""
    if run.purpose == TEST_PURPOSE:
        return "test"
    return "addresses" if run.api == MESSAGES_API else "users"
