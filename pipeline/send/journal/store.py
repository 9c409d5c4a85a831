"""The journal itself: one SQLite database (WAL, synchronous commits) behind ``Journal``."""

from __future__ import annotations

import hashlib
import os
import socket
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

from pipeline.api import USERS_API, EncodedRequest
from pipeline.errors import InputError, JournalError
from pipeline.render.address_batch import Rendered
from pipeline.send.journal.ledger import Ledger
from pipeline.send.journal.packing import pack
from pipeline.send.journal.records import (
    ACCEPTED,
    ANSWERED,
    FINISHED,
    IN_FLIGHT,
    PENDING,
    RUNNING,
    SANDBOX_TARGET,
    SEND_PURPOSE,
    STOPPED,
    SUPERSEDED,
    UNADDRESSED_KIND,
    Progress,
    Run,
    RunSpec,
    busy_error,
    duplicate_error,
)
from pipeline.send.journal.rendered import answer_unaddressed, stored
from pipeline.send.journal.schema import (
    LEGACY_AWS_TARGET,
    RUN_COLUMNS,
    SCHEMA,
    UPGRADE,
    add_columns,
    use_wal,
)

# A run counts as sent once one of its requests left: the unaddressed users of a
# SendMessages run are answered from the start, but nothing was sent to them.
_SENT_REQUEST: Final = (
    "SELECT 1 FROM requests AS q WHERE q.run_id = runs.id"
    f" AND q.state <> '{PENDING}' AND q.kind <> '{UNADDRESSED_KIND}'"
)


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Journal(Ledger):
    """The journal of every send, in one SQLite database (WAL, ``synchronous=NORMAL``).

    It holds every recipient's text, so its folder is created ``0700`` and the file
    ``0600`` (SQLite gives its ``-wal`` and ``-shm`` files the same mode).
    """

    def __init__(self, path: Path, *, clock: Callable[[], datetime] = _utc_now) -> None:
        self.path = path
        self._clock = clock
        self._marker = None
        self._write_lock = threading.RLock()
        try:
            _create_private(path)
            self._db = self._connect()
            self._db.executescript(SCHEMA)
            with self.transaction() as db:  # two processes opening it at once: one alters
                add_columns(db)
                self._upgrade()
        except (OSError, sqlite3.Error) as exc:
            raise JournalError(
                f"cannot open the journal {path}: {exc}",
                fix="check that the directory is writable, or pass --journal PATH",
            ) from exc

    def _upgrade(self) -> None:
        """Bring runs written by older versions up to date (a write only when needed)."""
        legacy = self._db.execute(
            "SELECT 1 FROM runs WHERE target = ? AND region IS NOT NULL LIMIT 1",
            (LEGACY_AWS_TARGET,),
        ).fetchone()
        if legacy is not None:
            self._db.execute(UPGRADE)

    def _connect(self, *, check_same_thread: bool = True) -> sqlite3.Connection:
        db = sqlite3.connect(
            self.path, isolation_level=None, timeout=10.0, check_same_thread=check_same_thread
        )
        # Takes effect only on a new, empty file (before WAL is set): each stored request
        # and answer ends in a part-filled overflow page, half a page lost on average, and
        # 1 KiB pages lose a quarter of what 4 KiB pages do (~15 bytes per user).
        db.execute("PRAGMA page_size = 1024")
        # WAL lets readers (``pipeline runs``) look while a send writes. NORMAL commits
        # reach the log without an fsync: a committed "in flight" survives a crash of the
        # process, which is what a request's fate depends on, at a fraction of FULL's cost.
        use_wal(db)
        db.execute("PRAGMA synchronous=NORMAL")
        return db

    def close(self) -> None:
        """Close the database."""
        if self._marker is not None:
            self._marker.close()
        self._db.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def create_run(
        self,
        spec: RunSpec,
        requests: Iterable[Rendered | EncodedRequest],
        *,
        force: bool = False,
    ) -> Run:
        """Record a new run and its rendered requests: their canonical JSON text, packed.

        ``requests`` is consumed inside one transaction: if it raises (a render error
        half-way), nothing is written. Unless ``force``, a run is refused when an earlier
        run sent the same content to the same target, except for embedded sandbox runs
        and test sends, which are never refused and never count as sent content.

        Raises:
            DuplicateRunError: An earlier run already sent (part of) the same content.
        """
        now = self._now()
        digest = hashlib.sha256()
        with self.transaction() as db:
            cursor = db.execute(
                "INSERT INTO runs (message, audience, application_id, target, region, root,"
                " git_commit, content_hash, requests, users, status, pid, host, created_at,"
                " updated_at, api, purpose, shard)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, '', 0, 0, ?, ?, ?, ?, ?, ?, ?, ?)",
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
                    spec.api,
                    spec.purpose,
                    spec.shard,
                ),
            )
            run_id = cursor.lastrowid
            assert run_id is not None
            totals = [0, 0]

            def rows() -> Iterator[tuple[int, int, str, int, str, bytes, str | None]]:
                for seq, item in enumerate(requests, start=1):
                    row = stored(item)
                    if row.content:
                        digest.update(row.encoded)
                        digest.update(b"\n")
                        totals[0] += 1
                    totals[1] += row.users
                    state = PENDING if row.content else ANSWERED
                    yield run_id, seq, row.kind, row.users, state, pack(row.body), row.recipients

            db.executemany(
                "INSERT INTO requests (run_id, seq, kind, attempt, users, state, body, recipients)"
                " VALUES (?, ?, ?, 1, ?, ?, ?, ?)",
                rows(),
            )
            content_hash = digest.hexdigest()
            if spec.target != SANDBOX_TARGET and spec.purpose == SEND_PURPOSE:
                # Checked in the same transaction as the insert: two sends of the same
                # content started together cannot both pass (the journal's write lock
                # orders them), and the later one sees the earlier one running.
                busy = self._being_sent(content_hash, spec)
                if busy is not None:
                    raise busy_error(busy)
                earlier = self._sent_before(content_hash, spec)
                if earlier is not None and not force:
                    raise duplicate_error(earlier)
                db.execute(
                    f"UPDATE runs SET status = '{SUPERSEDED}' WHERE content_hash = ?"
                    f" AND target = ? AND application_id = ? AND purpose = '{SEND_PURPOSE}'"
                    " AND shard IS ?"
                    f" AND status IN ('{RUNNING}', '{STOPPED}') AND NOT EXISTS ({_SENT_REQUEST})",
                    (content_hash, spec.target, spec.application_id, spec.shard),
                )
            db.execute(
                "UPDATE runs SET content_hash = ?, requests = ?, users = ? WHERE id = ?",
                (content_hash, totals[0], totals[1], run_id),
            )
            db.execute("UPDATE requests SET origin = id WHERE run_id = ?", (run_id,))
            answer_unaddressed(db, run_id, self._now())
        return self.run(run_id)

    def _being_sent(self, content_hash: str, spec: RunSpec) -> Run | None:
        """A run of the same content, target and shard that another live process is sending.

        The shard is part of the key: two shards never hold the same users, so their
        contents are the same only when both are empty, and an empty shard may start
        while another is being sent.
        """
        rows = self._db.execute(
            f"SELECT {RUN_COLUMNS} FROM runs WHERE content_hash = ? AND target = ?"
            f" AND application_id = ? AND shard IS ? AND status = '{RUNNING}'"
            f" AND purpose = '{SEND_PURPOSE}' ORDER BY id DESC",
            (content_hash, spec.target, spec.application_id, spec.shard),
        )
        now = self._clock()
        return next((run for run in (Run(*row) for row in rows) if run.held_by_another(now)), None)

    def _sent_before(self, content_hash: str, spec: RunSpec) -> Run | None:
        """An earlier run that sent (part of) the same content, whichever shard it was.

        Not keyed on the shard: the same bytes sent as another shard (a small audience
        whose users all fall in shard 1 of 2 and of 3) must not be sent again.
        """
        row = self._db.execute(
            f"SELECT {RUN_COLUMNS} FROM runs WHERE content_hash = ? AND target = ?"
            f" AND application_id = ? AND purpose = '{SEND_PURPOSE}' AND EXISTS ({_SENT_REQUEST})"
            " ORDER BY id DESC LIMIT 1",
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
        self,
        *,
        message: str,
        audience: str,
        application_id: str,
        target: str,
        api: str = USERS_API,
        shard: str | None = None,
    ) -> Run | None:
        """The newest running or stopped send of this message, audience, app, target and API.

        Of this shard (``I/N``), or of the whole audience when ``shard`` is None. Test sends
        are never resumed: they are not in the choice.
        """
        row = self._db.execute(
            f"SELECT {RUN_COLUMNS} FROM runs WHERE message = ? AND audience = ?"
            " AND application_id = ? AND target = ? AND api = ? AND shard IS ?"
            f" AND purpose = '{SEND_PURPOSE}'"
            f" AND status IN ('{RUNNING}', '{STOPPED}') ORDER BY id DESC LIMIT 1",
            (message, audience, application_id, target, api, shard),
        ).fetchone()
        return None if row is None else Run(*row)

    def take_over(self, run_id: int) -> None:
        """Mark a run as running in this process (a resume).

        Raises:
            RunBusyError: Another live process is sending the run.
        """
        with self.transaction() as db:  # check and take in one step: two resumes race
            run = self.run(run_id)
            if run.held_by_another(self._clock()):
                raise busy_error(run)
            db.execute(
                "UPDATE runs SET status = ?, error = NULL, pid = ?, host = ?, updated_at = ?"
                " WHERE id = ?",
                (RUNNING, os.getpid(), socket.gethostname(), self._now(), run_id),
            )

    def heartbeat(self, run_id: int) -> None:
        """Note that this process is still sending the run (see ``LEASE_SECONDS``)."""
        with self.transaction() as db:
            db.execute("UPDATE runs SET updated_at = ? WHERE id = ?", (self._now(), run_id))

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
        rows = self._db.execute(  # users without addresses are never sent: not counted
            "SELECT state, parent IS NULL, COUNT(*), SUM(users) FROM requests"
            " WHERE run_id = ? AND kind <> ? GROUP BY state, parent IS NULL",
            (run_id, UNADDRESSED_KIND),
        )
        for state, rendered, count, user_count in rows:
            if rendered:
                requests[state] += count
                users[state] += user_count
            elif state in (PENDING, IN_FLIGHT):
                retries += count
        return Progress(requests=requests, users=users, retries_pending=retries)


def _create_private(path: Path) -> None:
    """Create the journal's folder (0700) and file (0600) if they do not exist yet."""
    # Two sends started together both find the folder missing: the second must not fail.
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
