"""The journal itself: one SQLite database (WAL, synchronous commits) behind ``Journal``."""

from __future__ import annotations

import hashlib
import os
import socket
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path

from pipeline.api import ApiRequest, encode_request
from pipeline.errors import InputError, JournalError
from pipeline.send.journal.ledger import Ledger
from pipeline.send.journal.records import (
    ACCEPTED,
    ANSWERED,
    FINISHED,
    IN_FLIGHT,
    PENDING,
    RUNNING,
    SANDBOX_TARGET,
    STOPPED,
    SUPERSEDED,
    Progress,
    Run,
    RunSpec,
    alive,
    duplicate_error,
)
from pipeline.send.journal.schema import RUN_COLUMNS, SCHEMA


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Journal(Ledger):
    """The journal of every send, in one SQLite database (WAL, synchronous commits)."""

    def __init__(self, path: Path, *, clock: Callable[[], datetime] = _utc_now) -> None:
        self.path = path
        self._clock = clock
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, isolation_level=None, timeout=10.0)
            # WAL lets readers (``pipeline runs``) look while a send writes. FULL makes
            # each commit durable against power loss too, so "in flight" is on disk
            # before a request leaves; commits are batched to keep that cheap.
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise JournalError(
                f"cannot open the journal {path}: {exc}",
                fix="check that the directory is writable, or pass --journal PATH",
            ) from exc

    def close(self) -> None:
        """Close the database."""
        self._db.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def create_run(
        self, spec: RunSpec, requests: Iterable[ApiRequest], *, force: bool = False
    ) -> Run:
        """Record a new run and its rendered requests, stored as their canonical JSON text.

        ``requests`` is consumed inside one transaction: if it raises (a render error
        half-way), nothing is written. Unless ``force``, a run is refused when an earlier
        run sent the same content to the same target, except for embedded sandbox runs.

        Raises:
            DuplicateRunError: An earlier run already sent (part of) the same content.
        """
        now = self._now()
        digest = hashlib.sha256()
        with self.transaction() as db:
            cursor = db.execute(
                "INSERT INTO runs (message, audience, application_id, target, region, root,"
                " git_commit, content_hash, requests, users, status, pid, host, created_at,"
                " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, '', 0, 0, ?, ?, ?, ?, ?)",
                (
                    spec.message,
                    spec.audience,
                    spec.application_id,
                    spec.target,
                    spec.region,
                    spec.root,
                    spec.git_commit,
                    RUNNING,
                    os.getpid(),
                    socket.gethostname(),
                    now,
                    now,
                ),
            )
            run_id = cursor.lastrowid
            assert run_id is not None
            totals = [0, 0]

            def rows() -> Iterator[tuple[int, int, int, str]]:
                for seq, request in enumerate(requests, start=1):
                    text = encode_request(request)
                    digest.update(text.encode())
                    digest.update(b"\n")
                    users = len(request["SendUsersMessageRequest"]["Users"])
                    totals[0] = seq
                    totals[1] += users
                    yield run_id, seq, users, text

            db.executemany(
                "INSERT INTO requests (run_id, seq, kind, attempt, users, state, body)"
                f" VALUES (?, ?, 'users', 1, ?, '{PENDING}', ?)",
                rows(),
            )
            content_hash = digest.hexdigest()
            if spec.target != SANDBOX_TARGET:
                earlier = self._sent_before(content_hash, spec)
                if earlier is not None and not force:
                    raise duplicate_error(earlier)
                db.execute(
                    f"UPDATE runs SET status = '{SUPERSEDED}' WHERE content_hash = ?"
                    " AND target = ? AND application_id = ?"
                    f" AND status IN ('{RUNNING}', '{STOPPED}') AND NOT EXISTS"
                    " (SELECT 1 FROM requests AS q WHERE q.run_id = runs.id"
                    f" AND q.state <> '{PENDING}')",
                    (content_hash, spec.target, spec.application_id),
                )
            db.execute(
                "UPDATE runs SET content_hash = ?, requests = ?, users = ? WHERE id = ?",
                (content_hash, totals[0], totals[1], run_id),
            )
            db.execute("UPDATE requests SET origin = id WHERE run_id = ?", (run_id,))
        return self.run(run_id)

    def _sent_before(self, content_hash: str, spec: RunSpec) -> Run | None:
        row = self._db.execute(
            f"SELECT {RUN_COLUMNS} FROM runs WHERE content_hash = ? AND target = ?"
            " AND application_id = ? AND EXISTS (SELECT 1 FROM requests AS q"
            f" WHERE q.run_id = runs.id AND q.state <> '{PENDING}') ORDER BY id DESC LIMIT 1",
            (content_hash, spec.target, spec.application_id),
        ).fetchone()
        return None if row is None else Run(*row)

    def run(self, run_id: int) -> Run:
        """One run by id.

        Raises:
            InputError: No run has this id.
        """
        row = self._db.execute(f"SELECT {RUN_COLUMNS} FROM runs WHERE id = ?", (run_id,)).fetchone()
        if row is None:
            raise InputError(
                f"no run {run_id} in the journal {self.path}",
                fix="list the runs with `pipeline runs`",
            )
        return Run(*row)

    def runs(self) -> list[Run]:
        """Every run, newest first."""
        rows = self._db.execute(f"SELECT {RUN_COLUMNS} FROM runs ORDER BY id DESC")
        return [Run(*row) for row in rows]

    def latest_unfinished(
        self, *, message: str, audience: str, application_id: str, target: str
    ) -> Run | None:
        """The newest running or stopped run of this message, audience, application, target."""
        row = self._db.execute(
            f"SELECT {RUN_COLUMNS} FROM runs WHERE message = ? AND audience = ?"
            " AND application_id = ? AND target = ?"
            f" AND status IN ('{RUNNING}', '{STOPPED}') ORDER BY id DESC LIMIT 1",
            (message, audience, application_id, target),
        ).fetchone()
        return None if row is None else Run(*row)

    def take_over(self, run_id: int) -> None:
        """Mark a run as running in this process (a resume).

        Raises:
            JournalError: Another live process on this host is sending the run.
        """
        run = self.run(run_id)
        if (
            run.status == RUNNING
            and run.pid is not None
            and run.pid != os.getpid()
            and run.host == socket.gethostname()
            and alive(run.pid)
        ):
            raise JournalError(
                f"run {run_id} is being sent by process {run.pid}",
                fix="wait for it to end, or stop it, before resuming",
            )
        self._db.execute(
            "UPDATE runs SET status = ?, error = NULL, pid = ?, host = ?, updated_at = ?"
            " WHERE id = ?",
            (RUNNING, os.getpid(), socket.gethostname(), self._now(), run_id),
        )

    def set_status(self, run_id: int, status: str, *, error: str | None = None) -> None:
        """Record how a run ended (or that it stopped, and why)."""
        now = self._now()
        self._db.execute(
            "UPDATE runs SET status = ?, error = ?, updated_at = ?, finished_at = ? WHERE id = ?",
            (status, error, now, now if status == FINISHED else None, run_id),
        )

    def progress(self, run_id: int) -> Progress:
        """Requests and users of a run by state, counted over its rendered requests."""
        requests = dict.fromkeys((PENDING, IN_FLIGHT, ANSWERED, ACCEPTED), 0)
        users = dict(requests)
        retries = 0
        rows = self._db.execute(
            "SELECT state, parent IS NULL, COUNT(*), SUM(users) FROM requests"
            " WHERE run_id = ? GROUP BY state, parent IS NULL",
            (run_id,),
        )
        for state, rendered, count, user_count in rows:
            if rendered:
                requests[state] += count
                users[state] += user_count
            elif state in (PENDING, IN_FLIGHT):
                retries += count
        return Progress(requests=requests, users=users, retries_pending=retries)
