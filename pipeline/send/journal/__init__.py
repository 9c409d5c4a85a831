"""The send journal: every run, every rendered request, every answer, in one SQLite file.

A run stores the requests exactly as they were rendered, so a resume sends what was
reviewed rather than a fresh render. Each request moves ``pending -> in_flight ->
answered``; it is marked in flight, durably, before it leaves, so after a crash a request
still in flight is *unknown*: it may or may not have been delivered, and it is re-sent only
on request. A request answered with an AWS error that delivered nothing goes back to
pending. Every per-endpoint result is kept with the answer it came in, and a retry's answer
is added with a higher attempt instead of rewriting history; the current result of an
endpoint is the one of its latest attempt.

Tables: ``runs`` (one row per run), ``requests`` (the rendered requests and the retries
derived from them; ``kind`` says which API: ``users`` for SendUsersMessages, ``endpoints``
for SendMessages with an ``Endpoints`` map) and ``answers`` (one row per answered request:
its per-endpoint results as a JSON array of ``[user_id, endpoint_id, status, status_code,
message_id, status_message]``). Request bodies and results are stored zlib-compressed
(``packing``); ``pruned`` notes the runs whose bodies and results were removed, with
their totals.

Modules: ``records`` (states and values), ``schema`` (the tables), ``packing`` (stored
text), ``ledger`` (requests and answers), ``store`` (``Journal``: opening the file, and
runs), ``prune`` (removing what old finished runs no longer need).
"""

from pipeline.send.journal.records import (
    ACCEPTED,
    ANSWERED,
    AWS_TARGET,
    DEFAULT_JOURNAL,
    FINISHED,
    HEARTBEAT_SECONDS,
    IN_FLIGHT,
    LEASE_SECONDS,
    PENDING,
    RUNNING,
    SANDBOX_TARGET,
    STOPPED,
    SUPERSEDED,
    UNKNOWN_STATUS,
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
    "ANSWERED",
    "AWS_TARGET",
    "Answer",
    "Claimed",
    "DEFAULT_JOURNAL",
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
    "STOPPED",
    "SUPERSEDED",
    "UNKNOWN_STATUS",
    "Unknown",
]
