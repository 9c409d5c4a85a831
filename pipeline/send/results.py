"""Delivery results: Pinpoint's statuses, answers read per endpoint or address, summary, file."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from operator import itemgetter
from pathlib import Path
from typing import IO, Any, Final

from pipeline.api import MESSAGES_API
from pipeline.errors import StorageError
from pipeline.pinpoint.limits import SUCCESSFUL
from pipeline.send.journal import (
    UNKNOWN_STATUS,
    FinalResult,
    Journal,
    ResultRow,
    Run,
    Unknown,
)

NOT_SENT: Final = "NOT_SENT"
_MISSING: Final = "no result for this recipient in Pinpoint's answer"


def users_results(response: Mapping[str, Any], user_ids: Iterable[str]) -> list[ResultRow]:
    """Read a SendUsersMessages answer per user and endpoint, in the request's user order.

    A user missing from the answer is an ``UNKNOWN_FAILURE`` under the empty endpoint id:
    nothing says it was delivered, and nothing names an endpoint to retry.
    """
    result: Mapping[str, Mapping[str, Any]] = response.get("SendUsersMessageResponse", {}).get(
        "Result", {}
    )
    rows: list[ResultRow] = []
    add = rows.append
    for user_id in user_ids:
        endpoints = result.get(user_id)
        if not endpoints:
            add((user_id, "", "UNKNOWN_FAILURE", None, None, _MISSING))
            continue
        # The hot path of reading answers: one tuple per endpoint, no helper call.
        for endpoint_id, item in endpoints.items():
            get = item.get
            add(
                (
                    user_id,
                    endpoint_id,
                    get("DeliveryStatus") or "UNKNOWN_FAILURE",
                    get("StatusCode"),
                    get("MessageId"),
                    get("StatusMessage"),
                )
            )
    return rows


def endpoints_results(
    response: Mapping[str, Any], recipients: Mapping[str, str]
) -> list[ResultRow]:
    """Read a SendMessages answer (``EndpointResult``) for endpoint id -> user id."""
    result: Mapping[str, Mapping[str, Any]] = response.get("MessageResponse", {}).get(
        "EndpointResult", {}
    )
    rows: list[ResultRow] = []
    for endpoint_id, user_id in recipients.items():
        item = result.get(endpoint_id)
        if item is None:
            rows.append((user_id, endpoint_id, "UNKNOWN_FAILURE", None, None, _MISSING))
        else:
            rows.append(_row(user_id, endpoint_id, item))
    return rows


def addresses_results(response: Mapping[str, Any], owners: Mapping[str, str]) -> list[ResultRow]:
    """Read a SendMessages answer to addresses (``Result``) for address -> user id.

    An address missing from the answer is an ``UNKNOWN_FAILURE`` of that address: nothing
    says it was delivered, and its retry goes to it alone.
    """
    result: Mapping[str, Mapping[str, Any]] = response.get("MessageResponse", {}).get("Result", {})
    rows: list[ResultRow] = []
    for address, user_id in owners.items():
        item = result.get(address)
        if item is None:
            rows.append((user_id, address, "UNKNOWN_FAILURE", None, None, _MISSING))
        else:
            rows.append(_row(user_id, address, item))
    return rows


def _row(user_id: str, endpoint_id: str, item: Mapping[str, Any]) -> ResultRow:
    return (
        user_id,
        endpoint_id,
        item.get("DeliveryStatus") or "UNKNOWN_FAILURE",
        item.get("StatusCode"),
        item.get("MessageId"),
        item.get("StatusMessage"),
    )


@dataclass(slots=True)
class Summary:
    """A run's outcome by delivery status.

    Attributes:
        run: The run.
        endpoints: Per status, how many (user, endpoint) results ended in it.
        users: Per status, how many users have at least one endpoint in it.
        unknown: Requests in flight when the run stopped, with their recipients.
        not_sent: Users of rendered requests that never left.
        unknown_file: Where the unknown users are listed, one JSON line per user and
            endpoint; None when there are none.
        pruned_at: When the run's per-endpoint results were pruned (its totals remain).
    """

    run: Run
    endpoints: dict[str, int] = field(default_factory=dict)
    users: dict[str, int] = field(default_factory=dict)
    unknown: list[Unknown] = field(default_factory=list)
    not_sent: int = 0
    unknown_file: Path | None = None
    pruned_at: str | None = None

    @property
    def unknown_users(self) -> list[str]:
        """The users of the requests that were in flight when the run stopped, each once."""
        return list(dict.fromkeys(user for request in self.unknown for user in request.user_ids))

    @property
    def complete(self) -> bool:
        """Whether every request was answered (or accepted as unknown)."""
        return not self.unknown and self.not_sent == 0

    @property
    def all_successful(self) -> bool:
        """Whether every endpoint result is SUCCESSFUL."""
        return self.complete and set(self.endpoints) <= {SUCCESSFUL}

    @property
    def exit_code(self) -> int:
        """0 all delivered; 1 some deliveries did not succeed; 3 the run is unfinished."""
        if not self.complete:
            return 3
        return 0 if self.all_successful else 1

    def as_json(self) -> dict[str, Any]:
        """The summary as plain JSON data."""
        return {
            "run": self.run.as_json(),
            "endpoints_by_status": dict(sorted(self.endpoints.items())),
            "users_by_status": dict(sorted(self.users.items())),
            "not_sent_users": self.not_sent,
            "unknown": [
                {"request": u.seq, "users": list(u.user_ids), "endpoints": list(u.endpoint_ids)}
                for u in self.unknown
            ],
            "unknown_file": None if self.unknown_file is None else str(self.unknown_file),
            "pruned_at": self.pruned_at,
            "exit_code": self.exit_code,
        }


def summarize(
    journal: Journal,
    run_id: int,
    *,
    results_file: Path | None = None,
    unknown_file: Path | None = None,
) -> Summary:
    """Count a run's final results by status; also write them to ``results_file`` if given.

    The users of unknown fate go to ``unknown_file`` (same line format, status
    ``UNKNOWN``), when there are any; a stale list from an earlier look is removed.

    The results file has one JSON object per line and per user and endpoint: ``user_id``,
    ``endpoint_id``, ``status``, ``status_code``, ``message_id``, ``status_message`` and
    ``attempts`` (how many times that endpoint was sent to), and ``shard`` (``I/N``) for a
    run of one shard, so that ``pipeline report`` can merge the files of every shard. A run
    to addresses (SendMessages) has ``address`` in place of ``endpoint_id``; a user without
    addresses has it empty. Users whose request was in flight when the run stopped appear
    with status ``UNKNOWN``, users whose request never left with ``NOT_SENT``. The file is
    replaced atomically.
    """
    summary = Summary(run=journal.run(run_id))
    key = "address" if summary.run.api == MESSAGES_API else "endpoint_id"
    line = partial(_result_line, key=key, shard=summary.run.shard)
    summary.unknown = journal.unknown(run_id)
    # A retry in flight makes its endpoints unknown again: they are reported as such only.
    unknown = [
        (user, endpoint)
        for request in summary.unknown
        for user, endpoint in zip(
            request.user_ids,
            request.endpoint_ids or ("",) * len(request.user_ids),
            strict=True,
        )
    ]
    covered = set(unknown)
    users: dict[str, set[str]] = {}
    endpoints = summary.endpoints
    with _atomic_writer(results_file) as out:
        # A result per user and endpoint: 300,000 for 100,000 users on three channels,
        # taken a request at a time; a request whose results share one status (nearly
        # all) is counted without a step per result.
        for batch in journal.final_result_batches(run_id):
            if covered:
                batch = [r for r in batch if (r.user_id, r.endpoint_id) not in covered]
            _count(batch, endpoints, users)
            if out is not None:
                out.writelines(map(line, batch))
        for user, endpoint in unknown:
            if out is not None:
                out.write(line(_placeholder(user, endpoint, UNKNOWN_STATUS)))
        last = None
        for user, address in journal.pending_recipients(run_id):
            # A user's addresses are consecutive (they share a request): counted once.
            summary.not_sent += user != last
            last = user
            if out is not None:
                out.write(line(_placeholder(user, address, NOT_SENT)))
    summary.users = {status: len(ids) for status, ids in users.items()}
    if unknown_file is not None:
        if unknown:
            with _atomic_writer(unknown_file) as out:
                assert out is not None
                for user, endpoint in unknown:
                    out.write(line(_placeholder(user, endpoint, UNKNOWN_STATUS)))
            summary.unknown_file = unknown_file
        else:
            unknown_file.unlink(missing_ok=True)
    return summary


_STATUS = itemgetter(2)  # FinalResult.status
_USER = itemgetter(0)  # FinalResult.user_id


def _count(
    batch: list[FinalResult], endpoints: dict[str, int], users: dict[str, set[str]]
) -> None:
    """Add one request's results to the endpoints and the users counted by status."""
    statuses = set(map(_STATUS, batch))
    if len(statuses) == 1:
        (status,) = statuses
        endpoints[status] = endpoints.get(status, 0) + len(batch)
        users.setdefault(status, set()).update(map(_USER, batch))
        return
    for result in batch:
        status = result.status
        endpoints[status] = endpoints.get(status, 0) + 1
        users.setdefault(status, set()).add(result.user_id)


def _placeholder(user_id: str, endpoint_id: str, status: str) -> FinalResult:
    note = {
        UNKNOWN_STATUS: "in flight when the run stopped: delivered or not, unknown",
        NOT_SENT: "never sent: the run stopped before this request left",
    }[status]
    return FinalResult(user_id, endpoint_id, status, None, None, note, 0)


# ``json.dumps(record, ensure_ascii=False)``, without making an encoder for every line.
_LINE_JSON = json.JSONEncoder(ensure_ascii=False)


def _result_line(result: FinalResult, key: str, *, shard: str | None = None) -> str:
    record: dict[str, Any] = {
        "user_id": result.user_id,
        key: result.endpoint_id,
        "status": result.status,
        "status_code": result.status_code,
        "message_id": result.message_id,
        "status_message": result.status_message,
        "attempts": result.attempts,
    }
    if shard is not None:
        record["shard"] = shard
    return _LINE_JSON.encode(record) + "\n"


@contextmanager
def _atomic_writer(path: Path | None) -> Iterator[IO[str] | None]:
    """Write a text file through a temporary file renamed into place on success."""
    if path is None:
        yield None
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise StorageError.of(exc, "write the file", path) from exc
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            yield out
        Path(name).replace(path)
    except OSError as exc:
        raise StorageError.of(exc, "write the file", path) from exc
    finally:
        Path(name).unlink(missing_ok=True)
