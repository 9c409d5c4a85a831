"""Test sends as a library call: ``pipeline test-send``, journaled apart from real sends.

A test run is journaled like any run, so its deliveries, retries and unknowns are kept and
reported the same way, but with purpose ``test``: it is never refused as a duplicate, its
content never makes a real send look sent (or busy), and ``--resume`` never picks it up.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path

from pipeline.addresses import Address
from pipeline.api import MESSAGES_API
from pipeline.errors import InputError
from pipeline.project import message_name, resolve_audience, resolve_message
from pipeline.render.testsend import render_test_requests
from pipeline.send.client import PinpointClient
from pipeline.send.dispatch import Monitor, QuietMonitor
from pipeline.send.journal import TEST_PURPOSE, Journal, RunSpec
from pipeline.send.options import SendOptions, Target
from pipeline.send.results import Summary
from pipeline.send.runs import git_commit, journal_path, label
from pipeline.send.session import dispatch_run, open_client, region_of, target_label


def send_test_message(
    message: str | Path,
    audience: str | Path,
    *,
    app_id: str,
    to: Sequence[Address],
    users: Collection[str] = (),
    root: Path = Path(),
    variables: Mapping[str, str] | None = None,
    now: datetime | None = None,
    journal: Path | None = None,
    target: Target = Target(),
    options: SendOptions = SendOptions(),
    results: Path | None = None,
    client: PinpointClient | None = None,
    monitor: Monitor | None = None,
) -> Summary:
    """Send a message, as chosen users of its audience, to the ``to`` addresses.

    As ``send_message``: credentials first, then everything rendered and journaled before
    the first request leaves. Returns the test run's summary.

    Args:
        message: A message name under templates/ or a path to a message folder.
        audience: An audience name under audiences/ or a path to an audience file.
        app_id: The Pinpoint application id.
        to: The (channel type, address) pairs to send to; none may be the audience's.
        users: The users to render it as (default: the first user of each locale).
        root: The project root.
        variables: ``--var`` overrides of the message's variables.
        now: The run's clock, for rendering.
        journal: The journal file (default: ``.pipeline/journal.sqlite`` under root).
        target: Where the requests go.
        options: How they are sent (its ``api`` is ignored: a test send is SendMessages).
        results: Write the per-user, per-address results (JSON Lines) to this file.
        client: A Pinpoint client to use instead of creating one.
        monitor: Receives progress.

    Raises:
        InputError: Invalid input, or a ``to`` address that belongs to the audience.
        CredentialsError: No credentials.
        RunStopped: The test stopped part-way.
    """
    if not app_id:
        raise InputError("no application id", fix="pass --app-id or set PIPELINE_APP_ID")
    monitor = monitor or QuietMonitor()
    name = message_name(root, resolve_message(root, str(message)))
    audience_label = label(root, resolve_audience(root, str(audience)))
    path = journal_path(root, journal)
    with ExitStack() as stack:
        if client is None:
            client = open_client(stack, target, options, sandbox_store=path.parent)
        where = target_label(client, target)
        rendered = render_test_requests(
            message,
            audience,
            app_id=app_id,
            to=to,
            users=users,
            root=root,
            variables=variables,
            now=now,
        )
        book = stack.enter_context(Journal(path))
        spec = RunSpec(
            message=name,
            audience=audience_label,
            application_id=app_id,
            target=where,
            region=region_of(client) or target.region,
            root=str(root.resolve()),
            git_commit=git_commit(root),
            api=MESSAGES_API,
            purpose=TEST_PURPOSE,
        )
        run = book.create_run(spec, rendered)
        monitor.note(
            f"test run {run.id}: {run.users} users' messages to {len(to)} addresses via {where}"
        )
        return dispatch_run(
            book, run.id, client=client, options=options, monitor=monitor, results=results
        )
