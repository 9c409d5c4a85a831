"""Pruning: old finished runs lose their stored requests and results, never their record.

What stays is what exactly-once needs: every ``runs`` row (content hash, target,
application, status: duplicate refusal and the one-live-run lock read these) and every
rendered request's row with its state and user count (duplicate refusal asks whether any
request of a run left; ``pipeline runs`` counts users sent). What goes is what only a
report or a resume reads: the request bodies, the retries derived from them and the
per-endpoint results. A run's totals by delivery status are kept in ``pruned``, so
``pipeline report`` still shows how it went. Only finished and superseded runs are
pruned: an unfinished run may still be resumed, and a resume sends its stored bytes.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Final

from pipeline.errors import InputError
from pipeline.send.journal.records import FINISHED, SUPERSEDED
from pipeline.send.journal.store import Journal

_AGE: Final = re.compile(r"(\d+)([hdw])")
_UNITS: Final = {"h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1)}


@dataclass(frozen=True, slots=True)
class Pruned:
    """What is left of a pruned run's results: its totals, and when they were pruned."""

    pruned_at: str
    endpoints_by_status: dict[str, int]
    users_by_status: dict[str, int]


@dataclass(frozen=True, slots=True)
class PruneReport:
    """What ``prune_runs`` did.

    Attributes:
        runs: The ids of the runs pruned now.
        cutoff: Runs finished at or before this moment were pruned.
        bytes_before: The journal's size on disk before (its WAL file included).
        bytes_after: Its size after.
        busy_run: A run being sent right now, which kept the space from being reclaimed
            (reclaiming rewrites the file and would stall that send).
    """

    runs: tuple[int, ...]
    cutoff: str
    bytes_before: int
    bytes_after: int
    busy_run: int | None = None


def parse_age(text: str) -> timedelta:
    """``30d``, ``12h`` or ``2w`` as a duration (``0d``: now).

    Raises:
        InputError: Not a number followed by h, d or w.
    """
    match = _AGE.fullmatch(text.strip())
    if match is None:
        raise InputError(
            f"--older-than {text!r} is not an age",
            fix="write a number and a unit: 12h, 30d or 2w (0d prunes every finished run)",
        )
    return int(match.group(1)) * _UNITS[match.group(2)]


def prune_runs(
    journal: Journal, *, older_than: timedelta, now: datetime | None = None
) -> PruneReport:
    """Remove the stored requests and results of runs finished ``older_than`` ago or more.

    Each run is pruned in its own transaction; then, unless a run is being sent, the file
    is rewritten without the freed pages (``VACUUM``).
    """
    moment = now or datetime.now(UTC)
    cutoff = (moment - older_than).isoformat(timespec="seconds")
    before = disk_size(journal.path)
    ids = _prunable(journal, cutoff)
    for run_id in ids:
        _prune_one(journal, run_id, moment.isoformat(timespec="seconds"))
    busy = next((run.id for run in journal.runs() if run.held_by_another(moment)), None)
    if ids and busy is None:
        _reclaim(journal)
    return PruneReport(tuple(ids), cutoff, before, disk_size(journal.path), busy)


def pruned_record(journal: Journal, run_id: int) -> Pruned | None:
    """The totals kept for a pruned run; None if the run was not pruned."""
    row = journal._db.execute(
        "SELECT pruned_at, endpoints_by_status, users_by_status FROM pruned WHERE run_id = ?",
        (run_id,),
    ).fetchone()
    if row is None:
        return None
    return Pruned(row[0], json.loads(row[1]), json.loads(row[2]))


def disk_size(path: Path) -> int:
    """Bytes a journal takes on disk: the database and its write-ahead log."""
    wal = path.with_name(path.name + "-wal")
    return sum(file.stat().st_size for file in (path, wal) if file.exists())


def _prunable(journal: Journal, cutoff: str) -> Sequence[int]:
    rows = journal._db.execute(
        "SELECT id FROM runs WHERE status IN (?, ?) AND COALESCE(finished_at, updated_at) <= ?"
        " AND id NOT IN (SELECT run_id FROM pruned) ORDER BY id",
        (FINISHED, SUPERSEDED, cutoff),
    )
    return [run_id for (run_id,) in rows]


def _prune_one(journal: Journal, run_id: int, pruned_at: str) -> None:
    endpoints: dict[str, int] = {}
    users: dict[str, set[str]] = {}
    for result in journal.final_results(run_id):
        endpoints[result.status] = endpoints.get(result.status, 0) + 1
        users.setdefault(result.status, set()).add(result.user_id)
    counts = {status: len(ids) for status, ids in users.items()}
    with journal.transaction() as db:
        db.execute(
            "INSERT INTO pruned (run_id, pruned_at, endpoints_by_status, users_by_status)"
            " VALUES (?, ?, ?, ?)",
            (run_id, pruned_at, json.dumps(endpoints), json.dumps(counts)),
        )
        db.execute("DELETE FROM answers WHERE run_id = ?", (run_id,))
        db.execute("DELETE FROM requests WHERE run_id = ? AND parent IS NOT NULL", (run_id,))
        # The rendered requests' rows stay, with their states: "did any request of this
        # run leave?" is how duplicate refusal knows the content was sent.
        db.execute("UPDATE requests SET body = X'', recipients = NULL WHERE run_id = ?", (run_id,))


def _reclaim(journal: Journal) -> None:
    """Rewrite the file without its free pages, then fold the log back into it."""
    try:
        journal._db.execute("VACUUM")
        journal._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    except sqlite3.Error:
        # Another process holds the file (a `pipeline runs` reading it): the data is gone
        # already, and the next prune reclaims the space.
        return
