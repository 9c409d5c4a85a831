"""The journal's runs: stored requests, content hashes, duplicates, and finding a run."""

import dataclasses
import hashlib
import json
import os
import socket
import sqlite3
from collections.abc import Iterator
from datetime import datetime

import pytest

from pipeline.api import ApiRequest, encode_request
from pipeline.errors import AudienceError, DuplicateRunError, InputError, JournalError, RunBusyError
from pipeline.send.journal import (
    ACCEPTED,
    ANSWERED,
    FINISHED,
    IN_FLIGHT,
    PENDING,
    RUNNING,
    SANDBOX_TARGET,
    STOPPED,
    SUPERSEDED,
    Answer,
    Journal,
    Outbound,
    RunSpec,
)
from tests.send.support import AWS_SPEC, make_requests, user_ids


def answer_all(journal: Journal, run_id: int, status: str = "SUCCESSFUL") -> None:
    queued = journal.queued(run_id)
    claimed = journal.claim([item.id for item in queued])
    answers = []
    for request in claimed:
        users = _users(request.body)
        rows = [(user, f"{user}-sms", status, 200, "m-1", None) for user in users]
        answers.append(Answer(request.id, "aws-1", request.attempt, rows))
    journal.record(run_id, answers)


def _users(body: str) -> list[str]:
    return list(json.loads(body)["SendUsersMessageRequest"]["Users"])


def test_a_run_stores_every_rendered_request_and_the_hash_of_render_output(journal):
    requests = make_requests(user_ids(25))
    run = journal.create_run(AWS_SPEC, requests)

    expected = hashlib.sha256("".join(encode_request(r) + "\n" for r in requests).encode())
    assert run.content_hash == expected.hexdigest()
    assert (run.requests, run.users, run.status) == (3, 25, "running")
    claimed = journal.claim([item.id for item in journal.queued(run.id)])
    assert [c.body for c in claimed] == [encode_request(r) for r in requests]
    assert journal.progress(run.id).users[IN_FLIGHT] == 25


def test_a_render_error_half_way_writes_nothing(journal, tmp_path):
    def failing() -> Iterator[ApiRequest]:
        yield from make_requests(user_ids(10))
        raise AudienceError("bad user", path="audiences/people.jsonl", line=11)

    with pytest.raises(AudienceError):
        journal.create_run(AWS_SPEC, failing())
    assert journal.runs() == []


def test_the_same_content_is_refused_once_anything_was_sent(journal):
    requests = make_requests(user_ids(20))
    first = journal.create_run(AWS_SPEC, requests)
    journal.claim([journal.queued(first.id)[0].id])

    with pytest.raises(DuplicateRunError, match=rf"run {first.id} \(unfinished.*--resume"):
        journal.create_run(AWS_SPEC, requests)
    assert len(journal.runs()) == 1

    forced = journal.create_run(AWS_SPEC, requests, force=True)
    assert forced.id != first.id


def test_a_finished_run_is_named_and_force_is_the_fix(journal):
    requests = make_requests(user_ids(5))
    first = journal.create_run(AWS_SPEC, requests)
    answer_all(journal, first.id)
    journal.set_status(first.id, "finished")
    with pytest.raises(DuplicateRunError, match=rf"run {first.id} \(finished.*--force"):
        journal.create_run(AWS_SPEC, requests)


def test_other_content_or_application_is_no_duplicate(journal):
    first = journal.create_run(AWS_SPEC, make_requests(user_ids(5)))
    answer_all(journal, first.id)
    journal.create_run(AWS_SPEC, make_requests(user_ids(6)))
    journal.create_run(AWS_SPEC, make_requests(user_ids(5), app="other-app"))


def test_sandbox_runs_are_never_duplicates(journal):
    spec = RunSpec(
        message="hello",
        audience="people",
        application_id="app-1",
        target=SANDBOX_TARGET,
        region=None,
        root="/p",
    )
    requests = make_requests(user_ids(5))
    first = journal.create_run(spec, requests)
    answer_all(journal, first.id)
    second = journal.create_run(spec, requests)
    assert second.id != first.id


def test_a_run_that_sent_nothing_is_superseded_not_a_duplicate(journal):
    requests = make_requests(user_ids(5))
    first = journal.create_run(AWS_SPEC, requests)
    journal.set_status(first.id, "stopped", error="403")
    second = journal.create_run(AWS_SPEC, requests)
    assert journal.run(first.id).status == SUPERSEDED
    assert journal.run(second.id).status == "running"


def test_latest_unfinished_matches_message_audience_application_and_target(journal):
    run = journal.create_run(AWS_SPEC, make_requests(user_ids(3)))
    found = journal.latest_unfinished(
        message="hello", audience="audiences/people.jsonl", application_id="app-1", target="aws"
    )
    assert found is not None and found.id == run.id
    assert (
        journal.latest_unfinished(
            message="hello",
            audience="audiences/people.jsonl",
            application_id="app-1",
            target=SANDBOX_TARGET,
        )
        is None
    )
    journal.set_status(run.id, "finished")
    assert (
        journal.latest_unfinished(
            message="hello", audience="audiences/people.jsonl", application_id="app-1", target="aws"
        )
        is None
    )


def test_an_unwritable_journal_is_a_one_line_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(JournalError, match="cannot open the journal"):
        Journal(blocker / "journal.sqlite")


def fixed_clock(*moments: str):
    """The journal's clock, reading each moment in turn, then the last one again."""
    times = [datetime.fromisoformat(moment) for moment in moments]
    return lambda: times.pop(0) if len(times) > 1 else times[0]


def test_times_come_from_the_journals_clock(tmp_path):
    clock = fixed_clock("2026-01-05T09:30:00+00:00", "2026-01-05T09:45:10.5+00:00")
    with Journal(tmp_path / "journal.sqlite", clock=clock) as journal:
        run = journal.create_run(AWS_SPEC, make_requests(user_ids(3)))
        assert (run.created_at, run.updated_at, run.finished_at) == (
            "2026-01-05T09:30:00+00:00",
            "2026-01-05T09:30:00+00:00",
            None,
        )
        journal.set_status(run.id, FINISHED)
        finished = journal.run(run.id)
    assert finished.updated_at == finished.finished_at == "2026-01-05T09:45:10+00:00"


def test_a_stopped_run_keeps_why(journal):
    run = journal.create_run(AWS_SPEC, make_requests(user_ids(3)))
    journal.set_status(run.id, STOPPED, error="403 ForbiddenException")
    stopped = journal.run(run.id)
    assert (stopped.status, stopped.error, stopped.finished_at) == (
        STOPPED,
        "403 ForbiddenException",
        None,
    )


def test_runs_are_listed_newest_first_and_a_missing_one_is_an_input_error(journal):
    first = journal.create_run(AWS_SPEC, make_requests(user_ids(3)))
    second = journal.create_run(AWS_SPEC, make_requests(user_ids(4)))
    assert [run.id for run in journal.runs()] == [second.id, first.id]
    with pytest.raises(InputError, match=r"no run 99 in the journal .*journal\.sqlite"):
        journal.run(99)


def test_a_run_records_who_sends_it(journal):
    run = journal.create_run(AWS_SPEC, make_requests(user_ids(3)))
    assert (run.pid, run.host, run.git_commit) == (os.getpid(), socket.gethostname(), None)
    assert (run.message, run.audience, run.application_id, run.target, run.region) == (
        "hello",
        "audiences/people.jsonl",
        "app-1",
        "aws",
        "us-east-1",
    )


def test_taking_over_a_stopped_run_makes_it_running_here(journal):
    run = journal.create_run(AWS_SPEC, make_requests(user_ids(3)))
    journal.set_status(run.id, STOPPED, error="interrupted")
    journal.take_over(run.id)
    resumed = journal.run(run.id)
    assert (resumed.status, resumed.error, resumed.pid) == (RUNNING, None, os.getpid())


def test_a_run_another_live_process_is_sending_cannot_be_taken_over(journal):
    run = journal.create_run(AWS_SPEC, make_requests(user_ids(3)))
    with sqlite3.connect(journal.path) as db:  # as if the parent process had started it
        db.execute("UPDATE runs SET pid = ? WHERE id = ?", (os.getppid(), run.id))
    with pytest.raises(
        RunBusyError, match=rf"run {run.id} .* is being sent right now by process {os.getppid()}"
    ):
        journal.take_over(run.id)
    assert journal.run(run.id).pid == os.getppid()


def test_progress_counts_rendered_requests_and_pending_retries_apart(journal):
    run = journal.create_run(AWS_SPEC, make_requests(user_ids(25)))  # requests of 10, 10, 5
    first, second, _ = journal.queued(run.id)
    [answered, _] = journal.claim([first.id, second.id])
    retry = Outbound(
        "endpoints", "{}", 1, answered.origin, answered.id, 2, 0.0, '{"u-0000-2": "u-0000"}'
    )
    rows = [("u-0000", "u-0000-2", "THROTTLED", 429, None, None)]
    journal.record(run.id, [Answer(answered.id, "r1", 1, rows, [retry])])

    progress = journal.progress(run.id)

    assert progress.requests == {PENDING: 1, IN_FLIGHT: 1, ANSWERED: 1, ACCEPTED: 0}
    assert progress.users == {PENDING: 5, IN_FLIGHT: 10, ANSWERED: 10, ACCEPTED: 0}
    assert progress.retries_pending == 1


def test_a_shard_is_part_of_the_run_and_of_what_resumes(journal):
    spec = dataclasses.replace(AWS_SPEC, shard="2/3")
    run = journal.create_run(spec, make_requests(user_ids(3)))
    assert journal.run(run.id).shard == "2/3"
    where = {"message": "hello", "audience": "audiences/people.jsonl", "application_id": "app-1"}
    assert journal.latest_unfinished(**where, target="aws", shard="2/3").id == run.id
    assert journal.latest_unfinished(**where, target="aws", shard="1/3") is None
    assert journal.latest_unfinished(**where, target="aws") is None  # the whole audience


def test_the_same_content_sent_as_another_shard_is_a_duplicate(journal):
    requests = make_requests(user_ids(4))
    first = journal.create_run(dataclasses.replace(AWS_SPEC, shard="1/2"), requests)
    answer_all(journal, first.id)
    with pytest.raises(DuplicateRunError, match=f"run {first.id} "):
        journal.create_run(dataclasses.replace(AWS_SPEC, shard="1/3"), requests)


def test_empty_shards_do_not_hold_each_other(journal):
    first = journal.create_run(dataclasses.replace(AWS_SPEC, shard="1/3"), [])
    with sqlite3.connect(journal.path) as db:  # as if another live process were sending it
        db.execute("UPDATE runs SET pid = ? WHERE id = ?", (os.getppid(), first.id))
    second = journal.create_run(dataclasses.replace(AWS_SPEC, shard="2/3"), [])
    assert first.content_hash == second.content_hash  # nothing to send, in both
    with pytest.raises(RunBusyError):  # the same shard is held, though
        journal.create_run(dataclasses.replace(AWS_SPEC, shard="1/3"), [])


def test_a_journal_of_an_earlier_version_gains_the_shard_column(tmp_path):
    path = tmp_path / "old.sqlite"
    with Journal(path) as journal:
        run = journal.create_run(AWS_SPEC, make_requests(user_ids(2)))
    with sqlite3.connect(path) as db:
        db.execute("ALTER TABLE runs DROP COLUMN shard")
    with Journal(path) as journal:
        assert journal.run(run.id).shard is None
        later = journal.create_run(dataclasses.replace(AWS_SPEC, shard="1/2"), [])
        assert journal.run(later.id).shard == "1/2"
