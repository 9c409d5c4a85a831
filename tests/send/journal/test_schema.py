"""The journal's connection set-up: WAL, and the lock a second process meets on a new file."""

import sqlite3

import pytest

from pipeline.send.journal.schema import use_wal


def test_switching_to_wal_meets_another_processs_lock_at_once_and_waits_for_it(tmp_path):
    path = tmp_path / "journal.sqlite"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN EXCLUSIVE")  # as a first `pipeline send` creating the file
    other = sqlite3.connect(path, isolation_level=None, timeout=10.0)
    try:
        # SQLite does not wait here, whatever the busy timeout: hence use_wal's patience.
        with pytest.raises(sqlite3.OperationalError) as caught:
            use_wal(other, patience=0)
        assert caught.value.sqlite_errorcode == sqlite3.SQLITE_BUSY
        holder.execute("COMMIT")
        use_wal(other, patience=0)
        assert other.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    finally:
        other.close()
        holder.close()

