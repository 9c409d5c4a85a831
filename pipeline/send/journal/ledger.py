"""The request side of the journal: claiming, answering, releasing, and reading results."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import datetime
from itertools import chain
from pathlib import Path

from pipeline.errors import JournalError
from pipeline.send.journal.packing import pack, pack_results, unpack, unpack_results
from pipeline.send.journal.records import (
    ACCEPTED,
    ANSWERED,
    IN_FLIGHT,
    PENDING,
    UNKNOWN_STATUS,
    Answer,
    Claimed,
    FinalResult,
    Outbound,
    Queued,
    ResultRow,
    Unknown,
)
from pipeline.send.journal.rendered import recipients_of


class Ledger:
    """Requests and their answers, in the journal's database (the base of ``Journal``)."""

    path: Path
    _db: sqlite3.Connection
    _clock: Callable[[], datetime]
    # The sending threads' connection, and the lock that keeps its one-row commits and the
    # main thread's transactions apart (no SQLite busy-waiting between them).
    _marker: sqlite3.Connection | None
    _write_lock: threading.RLock

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One transaction around the journal calls inside it (joins an open one)."""
        if self._db.in_transaction:
            yield self._db
            return
        with self._write_lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise self._failed(exc) from exc
            try:
                yield self._db
            except sqlite3.Error as exc:
                self._rollback()
                raise self._failed(exc) from exc
            except BaseException:
                self._rollback()
                raise
            try:
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                self._rollback()
                raise self._failed(exc) from exc

    def _rollback(self) -> None:
        # After some errors (a full disk) SQLite has already rolled back: nothing to undo,
        # and the error that matters is the one being raised.
        if self._db.in_transaction:
            with suppress(sqlite3.Error):
                self._db.execute("ROLLBACK")

    def _failed(self, error: sqlite3.Error) -> JournalError:
        return JournalError(
            f"the journal {self.path} cannot be written: {error}",
            fix="another `pipeline send` may hold it (wait for it), or the disk is full",
        )

    def _now(self) -> str:
        return self._clock().isoformat(timespec="seconds")

    def queued(self, run_id: int) -> list[Queued]:
        """The run's pending requests, in order."""
        rows = self._db.execute(
            "SELECT id, not_before FROM requests WHERE run_id = ? AND state = ? ORDER BY id",
            (run_id, PENDING),
        )
        return [Queued(*row) for row in rows]

    def claim(self, request_ids: Sequence[int]) -> list[Claimed]:
        """Mark pending requests in flight (committed before returning) and load them.

        Raises:
            JournalError: A request is no longer pending (another process took it).
        """
        sent_at = self._now()
        with self.transaction() as db:
            cursor = db.executemany(
                "UPDATE requests SET state = ?, sent_at = ? WHERE id = ? AND state = ?",
                ((IN_FLIGHT, sent_at, request_id, PENDING) for request_id in request_ids),
            )
            if cursor.rowcount != len(request_ids):
                raise _taken()
        return self.load(request_ids)

    def mark_in_flight(self, request_id: int) -> None:
        """Commit that a pending request is leaving now; called by the thread that sends it.

        Safe from any thread. One commit per request: in WAL mode with
        ``synchronous=NORMAL`` it is a write to the log without an fsync, and it survives
        a crash of the process (not of the machine).

        Raises:
            JournalError: The request is no longer pending (another process took it).
        """
        sent_at = self._now()
        with self._write_lock:
            if self._marker is None:
                self._marker = self._connect(check_same_thread=False)
            try:
                cursor = self._marker.execute(
                    "UPDATE requests SET state = ?, sent_at = ? WHERE id = ? AND state = ?",
                    (IN_FLIGHT, sent_at, request_id, PENDING),
                )
            except sqlite3.Error as exc:
                raise self._failed(exc) from exc
        if cursor.rowcount != 1:
            raise _taken()

    def _connect(self, *, check_same_thread: bool = True) -> sqlite3.Connection:
        raise NotImplementedError  # Journal opens the database

    def load(self, request_ids: Sequence[int]) -> list[Claimed]:
        """Load requests to send, in order, without changing their state."""
        marks = ",".join("?" * len(request_ids))
        rows = self._db.execute(
            "SELECT id, seq, kind, body, recipients, origin, attempt, users, parent"
            f" FROM requests WHERE id IN ({marks}) ORDER BY id",
            tuple(request_ids),
        )
        return [
            Claimed(row_id, seq, kind, unpack(body), *rest)
            for row_id, seq, kind, body, *rest in rows
        ]

    def record(self, run_id: int, answers: Sequence[Answer]) -> list[Queued]:
        """Store answers, their results and their retries in one transaction.

        Returns:
            The retries added, to be queued.
        """
        with self.transaction() as db:
            self._store_answers(db, answers, ANSWERED)
            retries = [retry for answer in answers for retry in answer.retries]
            return self._add_requests(db, run_id, retries) if retries else []

    def _store_answers(self, db: sqlite3.Connection, answers: Sequence[Answer], state: str) -> None:
        answered_at = self._now()
        db.executemany(
            "UPDATE requests SET state = ?, aws_request_id = ?, answered_at = ? WHERE id = ?",
            ((state, a.aws_request_id, answered_at, a.request_id) for a in answers),
        )
        # One row per answer, its per-endpoint results as a JSON array of ResultRow: a
        # fraction of the cost of a row per endpoint on the sending path.
        db.executemany(
            "INSERT INTO answers (request_id, run_id, origin, attempt, results)"
            " SELECT id, run_id, origin, attempt, ? FROM requests WHERE id = ?",
            (
                (pack_results(a.results) if a.packed is None else a.packed, a.request_id)
                for a in answers
            ),
        )

    def _add_requests(
        self, db: sqlite3.Connection, run_id: int, requests: Sequence[Outbound]
    ) -> list[Queued]:
        (last,) = db.execute(
            "SELECT COALESCE(MAX(seq), 0) FROM requests WHERE run_id = ?", (run_id,)
        ).fetchone()
        queued = []
        for seq, request in enumerate(requests, start=last + 1):
            cursor = db.execute(
                "INSERT INTO requests (run_id, seq, kind, origin, parent, attempt, users, state,"
                " not_before, body, recipients) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    run_id,
                    seq,
                    request.kind,
                    request.origin,
                    request.parent,
                    request.attempt,
                    request.users,
                    PENDING,
                    request.not_before,
                    pack(request.body),
                    request.recipients,
                ),
            )
            assert cursor.lastrowid is not None
            queued.append(Queued(cursor.lastrowid, request.not_before))
        return queued

    def release(self, requests: Sequence[Queued]) -> None:
        """Put requests back to pending: they delivered nothing (or were never sent)."""
        with self.transaction() as db:
            db.executemany(
                "UPDATE requests SET state = ?, not_before = ?, sent_at = NULL WHERE id = ?",
                ((PENDING, request.not_before, request.id) for request in requests),
            )

    def unknown(self, run_id: int) -> list[Unknown]:
        """The run's requests that were in flight when it stopped, with their recipients."""
        rows = self._db.execute(
            "SELECT id, seq, kind, body, recipients FROM requests WHERE run_id = ? AND state = ?"
            " ORDER BY id",
            (run_id, IN_FLIGHT),
        )
        unknown = []
        for request_id, seq, kind, body, recipients in rows:
            users, endpoints = recipients_of(kind, body, recipients)
            unknown.append(Unknown(request_id, seq, kind, users, endpoints))
        return unknown

    def pending_users(self, run_id: int) -> Iterator[str]:
        """The users of the run's rendered requests that never left, in order."""
        for user_id, _ in self.pending_recipients(run_id):
            yield user_id

    def pending_recipients(self, run_id: int) -> Iterator[tuple[str, str]]:
        """(user, address) of the run's rendered requests that never left, in order.

        The address is empty for SendUsersMessages, which names users only; a user of a
        SendMessages request comes once per address, with the address.
        """
        rows = self._db.execute(
            "SELECT kind, body, recipients FROM requests WHERE run_id = ? AND state = ?"
            " AND parent IS NULL ORDER BY id",
            (run_id, PENDING),
        ).fetchall()
        for kind, body, recipients in rows:
            users, addresses = recipients_of(kind, body, recipients)
            yield from zip(users, addresses or ("",) * len(users), strict=True)

    def resend_unknown(self, run_id: int) -> int:
        """Put the run's in-flight requests back to pending; returns how many."""
        with self.transaction() as db:
            cursor = db.execute(
                "UPDATE requests SET state = ?, not_before = 0 WHERE run_id = ? AND state = ?",
                (PENDING, run_id, IN_FLIGHT),
            )
        return cursor.rowcount

    def accept_unknown(self, run_id: int) -> int:
        """Settle the run's in-flight requests as unknown (status UNKNOWN); returns how many."""
        rows = self._db.execute(
            "SELECT id, kind, body, recipients, attempt FROM requests"
            " WHERE run_id = ? AND state = ? ORDER BY id",
            (run_id, IN_FLIGHT),
        ).fetchall()
        note = "in flight when the run stopped; accepted as unknown"
        answers = []
        for request_id, kind, body, recipients, attempt in rows:
            users, endpoints = recipients_of(kind, body, recipients)
            results = [
                (user, endpoint, UNKNOWN_STATUS, None, None, note)
                for user, endpoint in zip(users, endpoints or ("",) * len(users), strict=True)
            ]
            answers.append(Answer(request_id, None, attempt, results))
        with self.transaction() as db:
            self._store_answers(db, answers, ACCEPTED)
        return len(answers)

    def final_results(self, run_id: int) -> Iterator[FinalResult]:
        """The current result of every user and endpoint of a run.

        A retry's answer replaces the earlier result of its endpoint; a result under the
        empty endpoint id (none named) gives way to any later answer for its user. Users
        come in the order of the rendered requests, each with its endpoints together.
        """
        return chain.from_iterable(self.final_result_batches(run_id))

    def final_result_batches(self, run_id: int) -> Iterator[list[FinalResult]]:
        """``final_results``, a list per rendered request (its retries' answers included)."""
        rows = self._db.execute(
            "SELECT origin, attempt, results FROM answers WHERE run_id = ?"
            " ORDER BY origin, attempt, request_id",
            (run_id,),
        )
        group: list[tuple[int, list[ResultRow]]] = []
        current = None
        for origin, attempt, results in rows:
            if origin != current and group:
                yield _resolve(group)
                group = []
            current = origin
            group.append((attempt, unpack_results(results)))
        if group:
            yield _resolve(group)


def _resolve(answers: list[tuple[int, list[ResultRow]]]) -> list[FinalResult]:
    """The current results among the answers for one rendered request, in attempt order."""
    # tuple.__new__ is what FinalResult._make calls, without a Python frame per result:
    # 300,000 results for 100,000 users.
    new = tuple.__new__
    if len(answers) == 1:
        # Answered once, with no retry (nearly every request): its rows are the results,
        # one per user and endpoint, each user's together, as the answer was read.
        attempt, rows = answers[0]
        return [new(FinalResult, (*row, attempt)) for row in rows]
    latest: dict[str, dict[str, tuple[ResultRow, int]]] = {}
    for attempt, results in answers:
        for row in results:
            latest.setdefault(row[0], {})[row[1]] = (row, attempt)
    resolved = []
    for endpoints in latest.values():
        last = max(attempt for _, attempt in endpoints.values())
        for endpoint_id, (row, attempt) in endpoints.items():
            if endpoint_id or attempt == last:
                resolved.append(new(FinalResult, (*row, attempt)))
    return resolved


def _taken() -> JournalError:
    return JournalError(
        "a request of this run was taken by another process",
        fix="let the other `pipeline send` finish; then check `pipeline runs`",
    )
