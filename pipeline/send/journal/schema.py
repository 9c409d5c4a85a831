"""The journal's SQLite schema, its upgrade from older journals, and how a connection is set up."""

from __future__ import annotations

import sqlite3
import time
from typing import Final

SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY,
    message TEXT NOT NULL,
    audience TEXT NOT NULL,
    application_id TEXT NOT NULL,
    target TEXT NOT NULL,
    region TEXT,
    root TEXT NOT NULL,
    git_commit TEXT,
    content_hash TEXT NOT NULL,
    requests INTEGER NOT NULL,
    users INTEGER NOT NULL,
    status TEXT NOT NULL,
    error TEXT,
    pid INTEGER,
    host TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    finished_at TEXT,
    api TEXT NOT NULL DEFAULT 'send-users-messages',
    purpose TEXT NOT NULL DEFAULT 'send',
    shard TEXT
);
CREATE INDEX IF NOT EXISTS runs_by_content ON runs (content_hash, target);
CREATE TABLE IF NOT EXISTS requests (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    kind TEXT NOT NULL,
    origin INTEGER,
    parent INTEGER,
    attempt INTEGER NOT NULL,
    users INTEGER NOT NULL,
    state TEXT NOT NULL,
    not_before REAL NOT NULL DEFAULT 0,
    body BLOB NOT NULL,
    recipients TEXT,
    aws_request_id TEXT,
    sent_at TEXT,
    answered_at TEXT
);
CREATE INDEX IF NOT EXISTS requests_by_run ON requests (run_id, state);
CREATE TABLE IF NOT EXISTS answers (
    request_id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL,
    origin INTEGER NOT NULL,
    attempt INTEGER NOT NULL,
    results BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS answers_by_run ON answers (run_id, origin);
CREATE TABLE IF NOT EXISTS pruned (
    run_id INTEGER PRIMARY KEY,
    pruned_at TEXT NOT NULL,
    endpoints_by_status TEXT NOT NULL,
    users_by_status TEXT NOT NULL
);
"""

# Journals before 0.2.0 called every send to AWS "aws". Runs are now named by the endpoint
# URL used, which for those was the Region's own: renamed so that they still count for
# duplicate refusal and --resume.
LEGACY_AWS_TARGET: Final = "aws"
UPGRADE: Final = f"""
UPDATE runs SET target = 'https://pinpoint.' || region || '.amazonaws.com'
    || CASE WHEN region LIKE 'cn-%' THEN '.cn' ELSE '' END
WHERE target = '{LEGACY_AWS_TARGET}' AND region IS NOT NULL
"""

RUN_COLUMNS: Final = (
    "id, message, audience, application_id, target, region, root, git_commit, content_hash,"
    " requests, users, status, error, pid, host, created_at, updated_at, finished_at, api,"
    " purpose, shard"
)
# Columns added to ``runs`` since its first version: a journal written before them gets
# them on opening, with the value every older run had.
ADDED_RUN_COLUMNS: Final = (
    ("api", "TEXT NOT NULL DEFAULT 'send-users-messages'"),
    ("purpose", "TEXT NOT NULL DEFAULT 'send'"),
    ("shard", "TEXT"),
)


def add_columns(db: sqlite3.Connection) -> None:
    """Give a journal written by an older version the columns added since (in a transaction)."""
    present = {row[1] for row in db.execute("PRAGMA table_info(runs)")}
    for name, definition in ADDED_RUN_COLUMNS:
        if name not in present:
            db.execute(f"ALTER TABLE runs ADD COLUMN {name} {definition}")


def use_wal(db: sqlite3.Connection, *, patience: float = 10.0) -> None:
    """Put the database in WAL mode, waiting (as long as for any lock) for other processes.

    SQLite answers a switch to WAL that meets another connection's lock with "database is
    locked" at once, without its busy handler: two sends started together on a new
    journal would make one of them fail. The switch is retried instead.
    """
    deadline = time.monotonic() + patience
    while True:
        try:
            db.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if exc.sqlite_errorcode != sqlite3.SQLITE_BUSY or time.monotonic() >= deadline:
                raise
            time.sleep(0.005)
