"""The journal's records: run and request states, and the values its calls take and return."""

from __future__ import annotations

import os
import socket
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Final, NamedTuple

from pipeline.api import USERS_API
from pipeline.errors import DuplicateRunError, RunBusyError

DEFAULT_JOURNAL: Final = Path(".pipeline") / "journal.sqlite"
SANDBOX_TARGET: Final = "sandbox"
AWS_TARGET: Final = "aws"

# What a run is for: a send to its audience, or a test send to addresses given by hand
# (``pipeline test-send``), which is never a duplicate of anything and is never resumed.
SEND_PURPOSE: Final = "send"
TEST_PURPOSE: Final = "test"

# Request kinds: SendUsersMessages; SendMessages to endpoint ids (retries of the users
# path) or to addresses; and the users without addresses of a SendMessages run, stored
# answered (PERMANENT_FAILURE under an empty address) and never sent.
USERS_KIND: Final = "users"
ENDPOINTS_KIND: Final = "endpoints"
ADDRESSES_KIND: Final = "addresses"
UNADDRESSED_KIND: Final = "unaddressed"

PENDING: Final = "pending"
IN_FLIGHT: Final = "in_flight"
ANSWERED: Final = "answered"
ACCEPTED: Final = "accepted"  # was in flight at a crash; accepted as unknown by the user

RUNNING: Final = "running"
STOPPED: Final = "stopped"
FINISHED: Final = "finished"
SUPERSEDED: Final = "superseded"  # never sent anything; a newer run of the same content took over
UNKNOWN_STATUS: Final = "UNKNOWN"
# A running run held by a process on another host (whose life cannot be checked from here)
# counts as live while it has written to the journal this recently; the sender writes at
# least every HEARTBEAT_SECONDS.
LEASE_SECONDS: Final = 300
HEARTBEAT_SECONDS: Final = 30

ResultRow = tuple[str, str, str, int | None, str | None, str | None]
"""One per-endpoint result: user id, endpoint id, status, status code, message id, message."""


@dataclass(frozen=True, slots=True)
class RunSpec:
    """What identifies a run besides its content.

    Attributes:
        message: The message's name (its folder under templates/).
        audience: The audience file, relative to the root when inside it.
        application_id: The Pinpoint application.
        target: ``aws``, ``sandbox`` (an embedded sandbox) or the endpoint URL.
        region: The AWS Region, when known.
        root: The project root.
        git_commit: The commit checked out at the root, when it is a git repository.
        api: ``send-users-messages`` or ``send-messages``.
        purpose: ``send``, or ``test`` for a test send.
        shard: The shard sent, as ``I/N``; None for the whole audience.
    """

    message: str
    audience: str
    application_id: str
    target: str
    region: str | None
    root: str
    git_commit: str | None = None
    api: str = USERS_API
    purpose: str = SEND_PURPOSE
    shard: str | None = None


@dataclass(frozen=True, slots=True)
class Run:
    """One run as the journal holds it."""

    id: int
    message: str
    audience: str
    application_id: str
    target: str
    region: str | None
    root: str
    git_commit: str | None
    content_hash: str
    requests: int
    users: int
    status: str
    error: str | None
    pid: int | None
    host: str | None
    created_at: str
    updated_at: str
    finished_at: str | None
    api: str = USERS_API
    purpose: str = SEND_PURPOSE
    shard: str | None = None  # ``I/N``, or None for the whole audience

    def as_json(self) -> dict[str, Any]:
        """The run as plain JSON data (the process id and host left out)."""
        return {key: value for key, value in asdict(self).items() if key not in ("pid", "host")}

    @property
    def orphaned(self) -> bool:
        """Whether the run is marked running but its process (on this host) is gone."""
        return (
            self.status == RUNNING
            and self.pid is not None
            and self.host == socket.gethostname()
            and not alive(self.pid)
        )

    def held_by_another(self, now: datetime) -> bool:
        """Whether another live process is sending this run now.

        On this host its process id is checked; a process of another host is taken to be
        alive while the run was written to within ``LEASE_SECONDS``.
        """
        if self.status != RUNNING or self.pid is None:
            return False
        if self.host == socket.gethostname():
            return self.pid != os.getpid() and alive(self.pid)
        updated = datetime.fromisoformat(self.updated_at)
        return now - updated < timedelta(seconds=LEASE_SECONDS)

    @property
    def unfinished(self) -> bool:
        """Whether the run may still have something to send or to settle."""
        return self.status in (RUNNING, STOPPED)


@dataclass(frozen=True, slots=True)
class Progress:
    """Where a run stands, counted over its rendered requests (retries aside)."""

    requests: dict[str, int]
    users: dict[str, int]
    retries_pending: int


@dataclass(frozen=True, slots=True)
class Outbound:
    """A request to add to a run: a retry derived from an answered request."""

    kind: str
    body: str
    users: int
    origin: int
    parent: int
    attempt: int
    not_before: float
    recipients: str | None = None


@dataclass(frozen=True, slots=True)
class Queued:
    """A pending request waiting for its turn."""

    id: int
    not_before: float


@dataclass(frozen=True, slots=True)
class Claimed:
    """A request marked in flight, with everything needed to send it."""

    id: int
    seq: int
    kind: str
    body: str
    recipients: str | None
    origin: int
    attempt: int
    users: int
    parent: int | None

    @property
    def rendered(self) -> bool:
        """Whether it is a rendered request rather than a retry."""
        return self.parent is None


@dataclass(frozen=True, slots=True)
class Answer:
    """What came back for one request: its results and the retries they call for.

    ``packed`` is ``results`` as the journal stores them (``pack_results``), when the
    sending thread packed them already: zlib lets go of the GIL while it compresses, so
    the threads do it side by side instead of the one thread that keeps the journal.
    Once packed, the journal reads only ``packed``; an answer handed over by a sender
    process comes without its rows (``without_rows``).
    """

    request_id: int
    aws_request_id: str | None
    attempt: int
    results: Sequence[ResultRow]
    retries: Sequence[Outbound] = ()
    packed: bytes | None = None

    def without_rows(self) -> Answer:
        """This answer with its packed results only (itself when it has none packed).

        What a sender process hands back: pickling the rows of a 100-user answer (300
        tuples) and reading them back cost ~0.4 ms of CPU per call, half of it in the
        process that keeps the journal, which needs only the packed bytes.
        """
        if self.packed is None or not self.results:
            return self
        return replace(self, results=())


@dataclass(frozen=True, slots=True)
class Unknown:
    """A request that was in flight when its run stopped: delivered or not, nobody knows."""

    id: int
    seq: int
    kind: str
    user_ids: tuple[str, ...]
    endpoint_ids: tuple[str, ...]


class FinalResult(NamedTuple):
    """The latest result of one user and endpoint.

    A named tuple: a run's summary makes one per user and endpoint (300,000 for 100,000
    users on three channels), at a third of a frozen dataclass's cost.
    """

    user_id: str
    endpoint_id: str
    status: str
    status_code: int | None
    message_id: str | None
    status_message: str | None
    attempts: int


def duplicate_error(earlier: Run) -> DuplicateRunError:
    """The refusal to send again what ``earlier`` already sent, naming it and the way out."""
    if earlier.unfinished:
        fix = "continue it with --resume, or send again anyway with --force"
        state = "unfinished"
    else:
        fix = "pass --force to send it again"
        state = earlier.status
    return DuplicateRunError(
        f"run {earlier.id} ({state}, started {earlier.created_at}) already sent this rendered "
        f"content of {earlier.message!r} to {earlier.audience!r} for application "
        f"{earlier.application_id!r}",
        fix=fix,
    )


def busy_error(run: Run) -> RunBusyError:
    """The refusal to send what another live process is sending right now."""
    return RunBusyError(
        f"run {run.id} of {run.message!r} to {run.audience!r} for application "
        f"{run.application_id!r} is being sent right now by process {run.pid} on host "
        f"{run.host}",
        fix="wait for it to finish (`pipeline runs` shows it); if that process died, "
        "resume with --resume once it is detected as gone",
    )


def alive(pid: int) -> bool:
    """Whether a process with this id exists on this host."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
