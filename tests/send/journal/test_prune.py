"""Pruning: old finished runs lose their stored requests and results, not their record."""

from __future__ import annotations

import json
import os
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from pipeline.errors import DuplicateRunError, InputError
from pipeline.send.journal import FINISHED, STOPPED, Answer, Journal, Outbound
from pipeline.send.journal.prune import parse_age, prune_runs, pruned_record
from tests.send.support import AWS_SPEC, make_requests, user_ids

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def finish(journal: Journal, run_id: int, *, retry: bool = False) -> None:
    """Answer every request of a run (the first user THROTTLED then retried), finish it."""
    claimed = journal.claim([item.id for item in journal.queued(run_id)])
    answers = []
    for request in claimed:
        users = list(json.loads(request.body)["SendUsersMessageRequest"]["Users"])
        rows = [(user, f"{user}-sms", "SUCCESSFUL", 200, f"m-{user}", None) for user in users]
        retries = ()
        if retry and request.seq == 1:
            rows[0] = (users[0], f"{users[0]}-sms", "THROTTLED", 429, None, "slow down")
            body = json.dumps({"ApplicationId": "a", "MessageRequest": {"Endpoints": {}}})
            retries = (Outbound("endpoints", body, 1, request.origin, request.id, 2, 0.0, "{}"),)
        answers.append(Answer(request.id, "aws-1", request.attempt, rows, retries))
    queued = journal.record(run_id, answers)
    if queued:
        [again] = journal.claim([item.id for item in queued])
        delivered = ("u-0000", "u-0000-sms", "SUCCESSFUL", 200, "m-again", None)
        journal.record(run_id, [Answer(again.id, "aws-2", 2, [delivered])])
    journal.set_status(run_id, FINISHED)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def book(tmp_path, clock):
    with Journal(tmp_path / "journal.sqlite", clock=clock) as opened:
        yield opened


def test_a_pruned_run_keeps_its_record_totals_and_duplicate_refusal(book, clock):
    requests = make_requests(user_ids(300), per_request=100)
    run = book.create_run(AWS_SPEC, requests)
    finish(book, run.id, retry=True)
    clock.now = T0 + timedelta(days=40)

    report = prune_runs(book, older_than=timedelta(days=30), now=clock.now)

    assert report.runs == (run.id,)
    assert report.bytes_after < report.bytes_before
    kept = book.run(run.id)
    assert (kept.status, kept.content_hash, kept.users) == (FINISHED, run.content_hash, 300)
    assert book.progress(run.id).users["answered"] == 300  # `pipeline runs` still counts them
    assert list(book.final_results(run.id)) == []
    with sqlite3.connect(book.path) as db:
        assert db.execute("SELECT COUNT(*) FROM answers").fetchone() == (0,)
        bodies = db.execute("SELECT DISTINCT length(body) FROM requests").fetchall()
        assert bodies == [(0,)]
        assert db.execute("SELECT COUNT(*) FROM requests WHERE parent IS NOT NULL").fetchone() == (
            0,
        )
    pruned = pruned_record(book, run.id)
    assert pruned is not None
    assert pruned.pruned_at == clock.now.isoformat(timespec="seconds")
    assert pruned.endpoints_by_status == {"SUCCESSFUL": 300}  # the retry's answer is current
    assert pruned.users_by_status == {"SUCCESSFUL": 300}
    with pytest.raises(DuplicateRunError, match=rf"^run {run.id} \(finished"):
        book.create_run(AWS_SPEC, requests)


def test_only_runs_finished_before_the_cutoff_are_pruned_and_only_once(book, clock):
    old = book.create_run(AWS_SPEC, make_requests(user_ids(3)))
    finish(book, old.id)
    clock.now = T0 + timedelta(days=10)
    recent = book.create_run(AWS_SPEC, make_requests(user_ids(4)))
    finish(book, recent.id)
    stopped = book.create_run(AWS_SPEC, make_requests(user_ids(5)))
    book.set_status(stopped.id, STOPPED, error="interrupted")
    clock.now = T0 + timedelta(days=12)

    assert prune_runs(book, older_than=timedelta(days=5), now=clock.now).runs == (old.id,)
    assert prune_runs(book, older_than=timedelta(days=5), now=clock.now).runs == ()
    # 0d: every finished run, never an unfinished one (a resume sends its stored requests).
    assert prune_runs(book, older_than=timedelta(0), now=clock.now).runs == (recent.id,)
    assert len(book.queued(stopped.id)) == 1
    assert pruned_record(book, stopped.id) is None


def test_space_is_not_reclaimed_while_another_process_sends(book, clock):
    done = book.create_run(AWS_SPEC, make_requests(user_ids(200), per_request=100))
    finish(book, done.id)
    live = book.create_run(AWS_SPEC, make_requests(user_ids(3, prefix="v")))
    with sqlite3.connect(book.path) as db:  # as if the parent process were sending it
        db.execute("UPDATE runs SET pid = ? WHERE id = ?", (os.getppid(), live.id))

    report = prune_runs(book, older_than=timedelta(0), now=clock.now)

    assert (report.runs, report.busy_run) == ((done.id,), live.id)
    assert pruned_record(book, done.id) is not None


@pytest.mark.parametrize(
    ("text", "age"),
    [
        ("30d", timedelta(days=30)),
        ("12h", timedelta(hours=12)),
        ("2w", timedelta(weeks=2)),
        ("0d", timedelta(0)),
    ],
)
def test_ages_are_a_number_and_a_unit(text, age):
    assert parse_age(text) == age


@pytest.mark.parametrize("text", ["30", "d", "-1d", "1.5d", "30 days", "3m"])
def test_anything_else_is_a_usage_error(text):
    with pytest.raises(InputError, match=rf"--older-than '{text}' is not an age; write") as caught:
        parse_age(text)
    assert caught.value.exit_code == 2
