"""The journal's SQLite schema and its two larger queries."""

from __future__ import annotations

import sqlite3
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
    body TEXT NOT NULL,
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
    results TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS answers_by_run ON answers (run_id, origin);
"""

RUN_COLUMNS: Final = (
    "id, message, audience, application_id, target, region, root, git_commit, content_hash,"
    " requests, users, status, error, pid, host, created_at, updated_at, finished_at, shard"
)

# Columns added since the first journals, with their definitions: a journal written by an
# earlier version gains them when it is opened.
ADDED_COLUMNS: Final = {"runs": {"shard": "TEXT"}}


def upgrade(db: sqlite3.Connection) -> None:
    """Add the columns a journal of an earlier version lacks (they start out NULL)."""
    for table, columns in ADDED_COLUMNS.items():
        present = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
        for name, definition in columns.items():
            if name not in present:
                db.execute(f"ALTER TABLE {table} ADD COLUMN {name} {definition}")
