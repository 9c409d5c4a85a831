"""The send journal: every run, every rendered request, every answer, in one SQLite file.

A run stores the requests exactly as they were rendered, so a resume sends what was
reviewed rather than a fresh render. Each request moves ``pending -> in_flight ->
answered``; it is marked in flight, durably, before it leaves, so after a crash a request
still in flight is *unknown*: it may or may not have been delivered, and it is re-sent only
on request. A request answered with an AWS error that delivered nothing goes back to
pending. Every per-endpoint result is kept with the answer it came in, and a retry's answer
is added with a higher attempt instead of rewriting history; the current result of an
endpoint is the one of its latest attempt.

Tables: ``runs`` (one row per run; ``api`` is the send API it was rendered for, ``purpose``
is ``send``, or ``test`` for ``pipeline test-send``), ``requests`` (the rendered requests
and the retries derived from them; ``kind`` says which API: ``users`` for
SendUsersMessages, ``endpoints`` for SendMessages with an ``Endpoints`` map, ``addresses``
for SendMessages with an ``Addresses`` map, whose ``recipients`` name each address's user,
and ``unaddressed`` for users without addresses, answered without being sent) and
``answers`` (one row per answered request: its per-endpoint results as a JSON array of
``[user_id, endpoint_id, status, status_code, message_id, status_message]``, where the
endpoint id is the address for SendMessages to addresses). Request bodies and results are
stored zlib-compressed (``packing``); ``pruned`` notes the runs whose bodies and results
were removed, with their totals.

Modules: ``records`` (states and values), ``schema`` (the tables), ``packing`` (stored
text), ``rendered`` (how a rendered request is stored), ``ledger`` (requests and answers),
``store`` (``Journal``: opening the file, and runs), ``prune`` (removing what old finished
runs no longer need).
"""

from pipeline.send.journal.records import (
    ACCEPTED,
    ADDRESSES_KIND,
    ANSWERED,
    AWS_TARGET,
    DEFAULT_JOURNAL,
    ENDPOINTS_KIND,
    FINISHED,
    HEARTBEAT_SECONDS,
    IN_FLIGHT,
    LEASE_SECONDS,
    PENDING,
    RUNNING,
    SANDBOX_TARGET,
    SEND_PURPOSE,
    STOPPED,
    SUPERSEDED,
    TEST_PURPOSE,
    UNADDRESSED_KIND,
    UNKNOWN_STATUS,
    USERS_KIND,
    Answer,
    Claimed,
    FinalResult,
    Outbound,
    Progress,
    Queued,
    ResultRow,
    Run,
    RunSpec,
    Unknown,
)
from pipeline.send.journal.store import Journal

__all__ = [
    "ACCEPTED",
    "ADDRESSES_KIND",
    "ANSWERED",
    "AWS_TARGET",
    "Answer",
    "Claimed",
    "DEFAULT_JOURNAL",
    "ENDPOINTS_KIND",
    "FINISHED",
    "FinalResult",
    "HEARTBEAT_SECONDS",
    "IN_FLIGHT",
    "Journal",
    "LEASE_SECONDS",
    "Outbound",
    "PENDING",
    "Progress",
    "Queued",
    "RUNNING",
    "ResultRow",
    "Run",
    "RunSpec",
    "SANDBOX_TARGET",
    "SEND_PURPOSE",
    "STOPPED",
    "SUPERSEDED",
    "TEST_PURPOSE",
    "UNADDRESSED_KIND",
    "UNKNOWN_STATUS",
    "USERS_KIND",
    "Unknown",
]
