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
from pipeline.render.address_batch import Unaddressed
from pipeline.send.journal import (
    ACCEPTED,
    ADDRESSES_KIND,
    ANSWERED,
    FINISHED,
    IN_FLIGHT,
    PENDING,
    RUNNING,
    SANDBOX_TARGET,
    STOPPED,
    SUPERSEDED,
    TEST_PURPOSE,
    Answer,
    Journal,
    Outbound,
    RunSpec,
)
from tests.send.support import AWS_SPEC, make_addressed, make_requests, user_ids


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
        message="hello", audience="audiences/people.jsonl", application_id="app-1", target=AWS_SPEC.target
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
            message="hello", audience="audiences/people.jsonl", application_id="app-1", target=AWS_SPEC.target
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
        "https://pinpoint.us-east-1.amazonaws.com",
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


def test_runs_that_older_journals_sent_to_aws_are_named_by_their_endpoint(tmp_path):
    # Before 0.2.0 every send to AWS was recorded as "aws"; such a run must still stop a
    # second send of the same content to the same Region.
    path = tmp_path / "journal.sqlite"
    requests = make_requests(user_ids(3))
    with Journal(path) as journal:
        for region in ("eu-west-1", "cn-north-1", None):
            spec = RunSpec(**{**_fields(AWS_SPEC), "target": "aws", "region": region})
            run = journal.create_run(spec, requests, force=True)
            journal.claim([item.id for item in journal.queued(run.id)])
    with Journal(path) as journal:
        assert [run.target for run in reversed(journal.runs())] == [
            "https://pinpoint.eu-west-1.amazonaws.com",
            "https://pinpoint.cn-north-1.amazonaws.com.cn",
            "aws",  # no Region recorded: nothing to go by
        ]
        spec = RunSpec(
            **{**_fields(AWS_SPEC), "target": "https://pinpoint.eu-west-1.amazonaws.com"}
        )
        with pytest.raises(DuplicateRunError, match=r"^run 1 \(unfinished"):
            journal.create_run(spec, requests)


def _fields(spec: RunSpec) -> dict[str, object]:
    return {name: getattr(spec, name) for name in spec.__dataclass_fields__}


# Runs to addresses (SendMessages) and test sends.

# The same send as AWS_SPEC, to addresses; and as a test send.
ADDRESS_SPEC = dataclasses.replace(AWS_SPEC, api="send-messages")
TEST_SPEC = dataclasses.replace(ADDRESS_SPEC, purpose=TEST_PURPOSE)


def addressed_with_unaddressed(users):
    return [*make_addressed(users, per_user=2), Unaddressed(("nobody-1", "nobody-2"))]


def test_an_address_run_stores_its_requests_and_owners_and_hashes_what_render_prints(journal):
    items = addressed_with_unaddressed(user_ids(15))
    run = journal.create_run(ADDRESS_SPEC, items)

    printed = "".join(encode_request(item.request) + "\n" for item in items[:2])
    assert run.content_hash == hashlib.sha256(printed.encode()).hexdigest()
    assert (run.requests, run.users, run.api, run.purpose) == (2, 17, "send-messages", "send")
    claimed = journal.claim([item.id for item in journal.queued(run.id)])
    assert [c.kind for c in claimed] == [ADDRESSES_KIND, ADDRESSES_KIND]
    assert json.loads(claimed[1].recipients) == items[1].owners
    assert claimed[1].users == 5


def test_users_without_addresses_are_answered_at_once_and_never_queued(journal):
    run = journal.create_run(ADDRESS_SPEC, addressed_with_unaddressed(user_ids(5)))
    assert len(journal.queued(run.id)) == 1
    failed = [r for r in journal.final_results(run.id) if r.user_id.startswith("nobody")]
    assert [(r.user_id, r.endpoint_id, r.status) for r in failed] == [
        ("nobody-1", "", "PERMANENT_FAILURE"),
        ("nobody-2", "", "PERMANENT_FAILURE"),
    ]
    # Nothing was sent: they are not progress, and the run is not "sent before".
    assert journal.progress(run.id).users == {PENDING: 5, IN_FLIGHT: 0, ANSWERED: 0, ACCEPTED: 0}
    again = journal.create_run(ADDRESS_SPEC, addressed_with_unaddressed(user_ids(5)))
    assert journal.run(run.id).status == SUPERSEDED
    assert again.status == RUNNING


def test_test_sends_are_never_refused_and_never_make_content_look_sent(journal):
    items = make_addressed(user_ids(3))
    first = journal.create_run(TEST_SPEC, items)
    answer_all_addresses(journal, first.id)
    second = journal.create_run(TEST_SPEC, items)  # a test again: never a duplicate
    answer_all_addresses(journal, second.id)
    # The same content as a real send is not refused either: no test counts as a send.
    real = journal.create_run(ADDRESS_SPEC, items)
    assert {first.purpose, second.purpose, real.purpose} == {TEST_PURPOSE, "send"}
    answer_all_addresses(journal, real.id)
    with pytest.raises(DuplicateRunError, match=rf"run {real.id} "):  # a send is, as ever
        journal.create_run(ADDRESS_SPEC, items)


def test_resume_finds_only_sends_of_the_same_api(journal):
    users = journal.create_run(AWS_SPEC, make_requests(user_ids(3)))
    test = journal.create_run(TEST_SPEC, make_addressed(user_ids(3)))
    where = {
        "message": "hello",
        "audience": "audiences/people.jsonl",
        "application_id": "app-1",
        "target": "https://pinpoint.us-east-1.amazonaws.com",
    }
    assert journal.latest_unfinished(**where).id == users.id
    assert journal.latest_unfinished(**where, api="send-messages") is None  # tests never resume
    addressed = journal.create_run(ADDRESS_SPEC, make_addressed(user_ids(4)))
    assert journal.latest_unfinished(**where, api="send-messages").id == addressed.id
    assert test.id not in {users.id, addressed.id}


def answer_all_addresses(journal, run_id, status="SUCCESSFUL"):
    claimed = journal.claim([item.id for item in journal.queued(run_id)])
    answers = []
    for request in claimed:
        owners = json.loads(request.recipients)
        rows = [(user, address, status, 200, "m", None) for address, user in owners.items()]
        answers.append(Answer(request.id, "aws-1", request.attempt, rows))
    journal.record(run_id, answers)


def test_a_journal_from_before_the_send_apis_gains_their_columns(tmp_path):
    path = tmp_path / "journal.sqlite"
    with sqlite3.connect(path) as db:  # the runs table as the first version wrote it
        db.executescript(OLD_RUNS)
        db.execute(
            "INSERT INTO runs (message, audience, application_id, target, root, content_hash,"
            " requests, users, status, created_at, updated_at) VALUES"
            " ('hello', 'people', 'app-1', 'aws', '/', 'f00d', 1, 1, 'finished', 't', 't')"
        )
    with Journal(path) as journal:
        [old] = journal.runs()
        assert (old.api, old.purpose) == ("send-users-messages", "send")
        new = journal.create_run(ADDRESS_SPEC, make_addressed(user_ids(2)))
        assert journal.run(new.id).api == "send-messages"
    with Journal(path) as again:  # opening it once more changes nothing
        assert len(again.runs()) == 2


OLD_RUNS = """
CREATE TABLE runs (
    id INTEGER PRIMARY KEY, message TEXT NOT NULL, audience TEXT NOT NULL,
    application_id TEXT NOT NULL, target TEXT NOT NULL, region TEXT, root TEXT NOT NULL,
    git_commit TEXT, content_hash TEXT NOT NULL, requests INTEGER NOT NULL,
    users INTEGER NOT NULL, status TEXT NOT NULL, error TEXT, pid INTEGER, host TEXT,
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL, finished_at TEXT
);
"""


def test_a_shard_is_part_of_the_run_and_of_what_resumes(journal):
    spec = dataclasses.replace(AWS_SPEC, shard="2/3")
    run = journal.create_run(spec, make_requests(user_ids(3)))
    assert journal.run(run.id).shard == "2/3"
    where = {"message": "hello", "audience": "audiences/people.jsonl", "application_id": "app-1"}
    target = AWS_SPEC.target
    assert journal.latest_unfinished(**where, target=target, shard="2/3").id == run.id
    assert journal.latest_unfinished(**where, target=target, shard="1/3") is None
    assert journal.latest_unfinished(**where, target=target) is None  # the whole audience


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
