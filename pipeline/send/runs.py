"""Send runs: render once, journal, send, resume, and report; the library of ``pipeline send``.

A run is keyed by what it sends: the SHA-256 of its rendered requests (the bytes
``pipeline render`` prints), which covers the application id, every user id and every
text. Starting a run whose content an earlier run already sent (any request answered or in
flight) to the same target is refused unless forced. The target is the endpoint URL the
client actually sends to, as botocore resolved it (``--endpoint-url``,
``AWS_ENDPOINT_URL_PINPOINT``, ``AWS_ENDPOINT_URL``, else the Region's own endpoint), so
a send to a test endpoint never hides a later send to AWS. Runs against an embedded
sandbox (``sandbox=True``) are kept apart: they never count as duplicates of anything.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator, Mapping
from contextlib import ExitStack
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path

from pipeline.api import EncodedRequest
from pipeline.errors import InputError
from pipeline.project import message_name, resolve_audience, resolve_message
from pipeline.render.address_batch import Rendered
from pipeline.render.parallel import render_lines
from pipeline.review.gitrepo import find_repository
from pipeline.send.client import PinpointClient
from pipeline.send.dispatch import Monitor, QuietMonitor
from pipeline.send.journal import DEFAULT_JOURNAL, Journal, Progress, Run, RunSpec
from pipeline.send.journal.damaged import reading
from pipeline.send.journal.prune import PruneReport, prune_runs, pruned_record
from pipeline.send.journal.rendered import user_count
from pipeline.send.options import RunChoice, SendOptions, Target
from pipeline.send.results import Summary
from pipeline.send.resume import run_to_resume, settle_unknown
from pipeline.send.session import (
    dispatch_run,
    open_client,
    region_of,
    run_summary,
    target_label,
    unknown_path,
)
from pipeline.send.shardfiles import shard_file
from pipeline.shard import Shard

__all__ = [
    "RunOverview",
    "git_commit",
    "journal_path",
    "label",
    "list_runs",
    "report_run",
    "send_message",
    "unknown_path",
]


@dataclass(frozen=True, slots=True)
class RunOverview:
    """A run and where it stands, for ``pipeline runs``."""

    run: Run
    progress: Progress
    pruned: bool = False

    @property
    def status(self) -> str:
        """The run's status; ``interrupted`` when marked running but its process is gone."""
        if self.run.orphaned:
            return "interrupted"
        return f"{self.run.status}, pruned" if self.pruned else self.run.status


def journal_path(root: Path, journal: Path | None, shard: Shard | None = None) -> Path:
    """The journal file: ``journal`` if given, else ``.pipeline/journal.sqlite`` under root.

    A shard has a journal of its own beside it (``journal.shard-2-of-3.sqlite``).
    """
    return shard_file(journal if journal is not None else root / DEFAULT_JOURNAL, shard)


def send_message(
    message: str | Path,
    audience: str | Path,
    *,
    app_id: str,
    root: Path = Path(),
    variables: Mapping[str, str] | None = None,
    now: datetime | None = None,
    journal: Path | None = None,
    target: Target = Target(),
    options: SendOptions = SendOptions(),
    choice: RunChoice = RunChoice(),
    results: Path | None = None,
    client: PinpointClient | None = None,
    monitor: Monitor | None = None,
) -> Summary:
    """Render a message for an audience and send it, or resume its unfinished run.

    The credentials are checked first (so a missing one fails at once, not after rendering
    a large audience), then everything is rendered, validated and journaled before the
    first request leaves. Returns the run's summary (its ``exit_code`` says how it went).

    With ``choice.shard``, only that shard's users are sent, as a run of their own in the
    shard's own journal (``journal_path``), ``--max-rps`` being the budget of all shards
    together; a shard whose journal holds an unfinished run of the same send resumes it
    (an array job retries a failed task with the same command line), unless forced.

    Args:
        message: A message name under templates/ or a path to a message folder.
        audience: An audience name under audiences/ or a path to an audience file.
        app_id: The Pinpoint application id.
        root: The project root.
        variables: ``--var`` overrides of the message's variables.
        now: The run's clock, for rendering.
        journal: The journal file (default: ``.pipeline/journal.sqlite`` under root).
        target: Where the requests go.
        options: How they are sent.
        choice: A new run, or the unfinished one resumed.
        results: Write the per-user, per-endpoint results (JSON Lines) to this file.
        client: A Pinpoint client to use instead of creating one (tests, custom setups).
        monitor: Receives progress.

    Raises:
        InputError: Invalid input, a refused duplicate, nothing to resume.
        CredentialsError: No credentials.
        RunStopped: The run stopped part-way; it can be resumed.
    """
    if not app_id:
        raise InputError("no application id", fix="pass --app-id or set PIPELINE_APP_ID")
    monitor = monitor or QuietMonitor()
    name = message_name(root, resolve_message(root, str(message)))
    audience_label = label(root, resolve_audience(root, str(audience)))
    shard = choice.shard
    path = journal_path(root, journal, shard)
    if shard is not None:
        options = _shard_budget(options, shard, monitor)
        monitor.note(f"{shard.describe()}; journal {path}")
        results = shard_file(results, shard) if results is not None else None
    with ExitStack() as stack:
        if client is None:
            client = open_client(stack, target, options, sandbox_store=path.parent)
        where = target_label(client, target)
        book = stack.enter_context(Journal(path))
        region = region_of(client) or target.region
        key = (name, audience_label, app_id, where, region, shard, options.api)
        run = run_to_resume(book, key, choice, monitor)
        if run is not None:
            settle_unknown(book, run, choice, monitor)
        else:
            spec = RunSpec(
                message=name,
                audience=audience_label,
                application_id=app_id,
                target=where,
                region=region,
                root=str(root.resolve()),
                git_commit=git_commit(root),
                api=options.api,
                shard=None if shard is None else shard.label,
            )
            rendered = render_lines(
                message,
                audience,
                app_id=app_id,
                root=root,
                variables=variables,
                now=now,
                api=options.api,
                workers=options.workers,
                shard=shard,
            )
            run = book.create_run(spec, _counted(rendered, monitor), force=choice.force)
        monitor.note(f"run {run.id}: {run.users} users in {run.requests} requests to {where}")
        return dispatch_run(
            book, run.id, client=client, options=options, monitor=monitor, results=results
        )


def _counted(
    items: Iterator[Rendered | EncodedRequest], monitor: Monitor
) -> Iterator[Rendered | EncodedRequest]:
    """The rendered items, telling the monitor how many users each holds as it is rendered."""
    for item in items:
        monitor.rendered(user_count(item))
        yield item


def _shard_budget(options: SendOptions, shard: Shard, monitor: Monitor) -> SendOptions:
    """The options of one shard: its share of ``--max-rps``, the budget of all shards."""
    if options.max_rps is None:
        return options
    share = options.max_rps / shard.count
    monitor.note(f"--max-rps {options.max_rps:g} for {shard.count} shards: {share:g} for this one")
    return replace(options, max_rps=share)


def list_runs(journal: Path) -> list[RunOverview]:
    """Every run of a journal, newest first, with where each stands (none without a journal)."""
    if not journal.is_file():
        return []
    with Journal(journal) as book, reading(journal):
        return [
            RunOverview(run, book.progress(run.id), pruned_record(book, run.id) is not None)
            for run in book.runs()
        ]


def prune_journal(journal: Path, *, older_than: timedelta) -> PruneReport:
    """Prune the runs of a journal finished ``older_than`` ago (see ``journal.prune``)."""
    with Journal(_existing(journal)) as book:
        return prune_runs(book, older_than=older_than)


def report_run(journal: Path, run_id: int | None, *, results: Path | None = None) -> Summary:
    """One run's summary (the latest run without ``run_id``); optionally its results file."""
    with Journal(_existing(journal)) as book, reading(journal):
        if run_id is None:
            runs = book.runs()
            if not runs:
                raise InputError(f"the journal {journal} has no runs yet")
            run_id = runs[0].id
        pruned = pruned_record(book, run_id)
        if pruned is None:
            return run_summary(book, run_id, results)
        if results is not None:
            raise InputError(
                f"run {run_id}'s per-endpoint results were pruned on {pruned.pruned_at}",
                fix="its totals remain: run `pipeline report` without --results",
            )
        return Summary(
            run=book.run(run_id),
            endpoints=pruned.endpoints_by_status,
            users=pruned.users_by_status,
            pruned_at=pruned.pruned_at,
        )


def git_commit(root: Path) -> str | None:
    """The commit checked out at ``root``, if it is inside a git repository.

    Asked of the checkout's own repository only (``gitrepo``): a folder of the project
    shaped like a repository must not decide what the journal records.
    """
    try:
        done = find_repository(root).run(["rev-parse", "--verify", "--quiet", "HEAD"], timeout=10)
    except (InputError, OSError, subprocess.SubprocessError):
        return None
    return (done.stdout.decode().strip() or None) if done.returncode == 0 else None


def _existing(journal: Path) -> Path:
    if not journal.is_file():
        raise InputError(
            f"no journal at {journal}", fix="send something first, or pass --journal PATH"
        )
    return journal


def label(root: Path, path: Path) -> str:
    """How the journal names an audience: relative to the root when inside it."""
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path.resolve())
