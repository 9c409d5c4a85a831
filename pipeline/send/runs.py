"""Send runs: render once, journal, send, resume, and report; the library of ``pipeline send``.

A run is keyed by what it sends: the SHA-256 of its rendered requests (the bytes
``pipeline render`` prints), which covers the application id, every user id and every
text. Starting a run whose content an earlier run already sent (any request answered or in
flight) to the same target is refused unless forced. Runs against an embedded sandbox
(``sandbox=True``) are kept apart: they never count as duplicates of anything.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from pipeline.errors import InputError, RunStopped, SendError
from pipeline.project import message_name, resolve_audience, resolve_message
from pipeline.render.parallel import render_lines
from pipeline.send.client import (
    SANDBOX_CREDENTIALS,
    SANDBOX_REGION,
    PinpointClient,
    create_client,
)
from pipeline.send.dispatch import Monitor, QuietMonitor, send_requests
from pipeline.send.journal import (
    AWS_TARGET,
    DEFAULT_JOURNAL,
    FINISHED,
    SANDBOX_TARGET,
    STOPPED,
    Journal,
    Progress,
    Run,
    RunSpec,
)
from pipeline.send.options import RunChoice, SendOptions, Target
from pipeline.send.results import Summary, summarize
from pipeline.send.resume import run_to_resume, settle_unknown
from pipeline.send.shardfiles import label_slug, shard_file
from pipeline.shard import Shard


@dataclass(frozen=True, slots=True)
class RunOverview:
    """A run and where it stands, for ``pipeline runs``."""

    run: Run
    progress: Progress

    @property
    def status(self) -> str:
        """The run's status; ``interrupted`` when marked running but its process is gone."""
        return "interrupted" if self.run.orphaned else self.run.status


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
    audience_label = _label(root, resolve_audience(root, str(audience)))
    target_label = SANDBOX_TARGET if target.sandbox else target.endpoint_url or AWS_TARGET
    shard = choice.shard
    path = journal_path(root, journal, shard)
    if shard is not None:
        options = _shard_budget(options, shard, monitor)
        monitor.note(f"{shard.describe()}; journal {path}")
        results = shard_file(results, shard) if results is not None else None
    with ExitStack() as stack:
        if client is None:
            client = _open_client(stack, target, options, sandbox_store=path.parent)
        book = stack.enter_context(Journal(path))
        region = _region_of(client) or target.region
        key = (name, audience_label, app_id, target_label, region, shard)
        run = run_to_resume(book, key, choice, monitor)
        if run is not None:
            settle_unknown(book, run, choice, monitor)
        else:
            spec = RunSpec(
                message=name,
                audience=audience_label,
                application_id=app_id,
                target=target_label,
                region=region,
                root=str(root.resolve()),
                git_commit=git_commit(root),
                shard=None if shard is None else shard.label,
            )
            rendered = render_lines(
                message,
                audience,
                app_id=app_id,
                root=root,
                variables=variables,
                now=now,
                workers=options.workers,
                shard=shard,
            )
            run = book.create_run(spec, rendered, force=choice.force)
        monitor.note(
            f"run {run.id}: {run.users} users in {run.requests} requests to {target_label}"
        )
        try:
            send_requests(
                book,
                run.id,
                client=client,
                concurrency=options.concurrency,
                delivery_attempts=options.delivery_attempts,
                backoff=options.backoff,
                monitor=monitor,
                resend_lost_answers=options.resend_lost_answers,
            )
        except SendError as error:
            raise RunStopped(error, _summary(book, run.id, results)) from error
        _close_run(book, run.id)
        return _summary(book, run.id, results)


def unknown_path(journal: Path, run_id: int, shard: str | None = None) -> Path:
    """Where a run's users of unknown fate are listed: beside the journal.

    A shard's run is named after its shard too: every shard's journal numbers its runs
    from 1, and the journals of several shards may share a folder.
    """
    return journal.parent / f"unknown-run-{run_id}{label_slug(shard)}.jsonl"


def _summary(book: Journal, run_id: int, results: Path | None) -> Summary:
    """The run's summary; writes its results file and its list of unknown users."""
    unknown = unknown_path(book.path, run_id, book.run(run_id).shard)
    return summarize(book, run_id, results_file=results, unknown_file=unknown)


def _shard_budget(options: SendOptions, shard: Shard, monitor: Monitor) -> SendOptions:
    """The options of one shard: its share of ``--max-rps``, the budget of all shards."""
    if options.max_rps is None:
        return options
    share = options.max_rps / shard.count
    monitor.note(f"--max-rps {options.max_rps:g} for {shard.count} shards: {share:g} for this one")
    return replace(options, max_rps=share)


def _open_client(
    stack: ExitStack, target: Target, options: SendOptions, *, sandbox_store: Path
) -> PinpointClient:
    """The boto3 client for ``target``, closed with ``stack`` (with its sandbox, if any)."""
    endpoint_url = target.endpoint_url
    if target.sandbox:
        store = sandbox_store / "sandbox.sqlite"
        endpoint_url = stack.enter_context(_embedded_sandbox(store, target.sandbox_endpoints))
    client = create_client(
        region=SANDBOX_REGION if target.sandbox else target.region,
        profile=None if target.sandbox else target.profile,
        endpoint_url=endpoint_url,
        max_attempts=options.max_attempts,
        concurrency=options.concurrency,
        max_rps=options.max_rps,
        credentials=SANDBOX_CREDENTIALS if target.sandbox else None,
        resend_lost_answers=options.resend_lost_answers,
    )
    stack.callback(getattr(client, "close", lambda: None))
    return client


def _close_run(book: Journal, run_id: int) -> None:
    """Mark a run finished, or stopped while requests of unknown fate remain."""
    unknown = book.unknown(run_id)
    if unknown:
        book.set_status(
            run_id,
            STOPPED,
            error=f"{len(unknown)} requests were in flight when the run stopped; "
            "resume with --resend-unknown or --accept-unknown",
        )
    else:
        book.set_status(run_id, FINISHED)


def list_runs(journal: Path) -> list[RunOverview]:
    """Every run of a journal, newest first, with where each stands (none without a journal)."""
    if not journal.is_file():
        return []
    with Journal(journal) as book:
        return [RunOverview(run, book.progress(run.id)) for run in book.runs()]


def report_run(journal: Path, run_id: int | None, *, results: Path | None = None) -> Summary:
    """One run's summary (the latest run without ``run_id``); optionally its results file."""
    with Journal(_existing(journal)) as book:
        if run_id is None:
            runs = book.runs()
            if not runs:
                raise InputError(f"the journal {journal} has no runs yet")
            run_id = runs[0].id
        return _summary(book, run_id, results)


def git_commit(root: Path) -> str | None:
    """The commit checked out at ``root``, if it is inside a git repository."""
    try:
        done = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--verify", "--quiet", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return (done.stdout.strip() or None) if done.returncode == 0 else None


@contextmanager
def _embedded_sandbox(store: Path, endpoints: Path | None) -> Iterator[str]:
    # Imported here: the sandbox (an HTTP server) is only needed for --sandbox runs.
    from pipeline.sandbox import Sandbox

    store.parent.mkdir(parents=True, exist_ok=True)
    with Sandbox(endpoints=endpoints, store=store) as running:
        yield running.url


def _existing(journal: Path) -> Path:
    if not journal.is_file():
        raise InputError(
            f"no journal at {journal}", fix="send something first, or pass --journal PATH"
        )
    return journal


def _label(root: Path, path: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path.resolve())


def _region_of(client: Any) -> str | None:
    meta = getattr(client, "meta", None)
    region = getattr(meta, "region_name", None)
    return region if isinstance(region, str) else None
