"""What every send shares once its run is journaled: the client, dispatch, close, summary.

``pipeline send`` (``runs``) and ``pipeline test-send`` (``testsend``) differ in what they
render and how a run is chosen; from the journaled run on, they send the same way.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from pipeline.errors import RunStopped, SendError
from pipeline.send.client import (
    SANDBOX_CREDENTIALS,
    SANDBOX_REGION,
    PinpointClient,
    create_client,
    endpoint_of,
)
from pipeline.send.dispatch import Monitor, send_requests
from pipeline.send.journal import AWS_TARGET, FINISHED, SANDBOX_TARGET, STOPPED, Journal
from pipeline.send.options import SendOptions, Target
from pipeline.send.results import Summary, summarize
from pipeline.send.shardfiles import label_slug
from pipeline.send.urls import without_userinfo
from pipeline.send.wirelog import wire_log_enabled
from pipeline.workers import usable_cores


def target_label(client: PinpointClient, target: Target) -> str:
    """What the journal calls where a run goes: ``sandbox``, or the endpoint URL used."""
    if target.sandbox:
        return SANDBOX_TARGET
    # Credentials written into a URL (http://KEY:SECRET@host) are never journaled.
    return without_userinfo(endpoint_of(client) or target.endpoint_url or AWS_TARGET)


def open_client(
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


def region_of(client: Any) -> str | None:
    """The Region a boto3 client talks to, if it says."""
    meta = getattr(client, "meta", None)
    region = getattr(meta, "region_name", None)
    return region if isinstance(region, str) else None


def dispatch_run(
    book: Journal,
    run_id: int,
    *,
    client: PinpointClient,
    options: SendOptions,
    monitor: Monitor,
    results: Path | None,
) -> Summary:
    """Send a journaled run's pending requests, close the run, and return its summary.

    Raises:
        RunStopped: The run stopped part-way; it carries the summary at the stop.
    """
    try:
        send_requests(
            book,
            run_id,
            client=client,
            concurrency=options.concurrency,
            delivery_attempts=options.delivery_attempts,
            backoff=options.backoff,
            monitor=monitor,
            resend_lost_answers=options.resend_lost_answers,
            senders=_senders(options),
        )
    except SendError as error:
        raise RunStopped(error, run_summary(book, run_id, results)) from error
    close_run(book, run_id)
    return run_summary(book, run_id, results)


def _senders(options: SendOptions) -> int:
    """How many processes make the calls: ``--workers``, but one while ``--debug`` logs.

    The wire log is this process's logging: calls made in other processes would log to
    copies of its handlers, out of order with the rest, or nowhere when stderr is not a
    file (a test's captured output).
    """
    if wire_log_enabled():
        return 1
    return usable_cores() if options.workers is None else options.workers


def unknown_path(journal: Path, run_id: int, shard: str | None = None) -> Path:
    """Where a run's users of unknown fate are listed: beside the journal.

    A shard's run is named after its shard too: every shard's journal numbers its runs
    from 1, and the journals of several shards may share a folder.
    """
    return journal.parent / f"unknown-run-{run_id}{label_slug(shard)}.jsonl"


def run_summary(book: Journal, run_id: int, results: Path | None) -> Summary:
    """The run's summary; writes its results file and its list of unknown users."""
    unknown = unknown_path(book.path, run_id, book.run(run_id).shard)
    return summarize(book, run_id, results_file=results, unknown_file=unknown)


def close_run(book: Journal, run_id: int) -> None:
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


@contextmanager
def _embedded_sandbox(store: Path, endpoints: Path | None) -> Iterator[str]:
    # Imported here: the sandbox (an HTTP server) is only needed for --sandbox runs.
    from pipeline.sandbox import Sandbox

    store.parent.mkdir(parents=True, exist_ok=True)
    with Sandbox(endpoints=endpoints, store=store) as running:
        yield running.url
