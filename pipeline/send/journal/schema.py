"""The journal's SQLite schema, its upgrade from older journals, and its column lists."""

from __future__ import annotations

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
    finished_at TEXT
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
    " requests, users, status, error, pid, host, created_at, updated_at, finished_at"
)
