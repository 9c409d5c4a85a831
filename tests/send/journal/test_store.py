"""The journal's runs: stored requests, content hashes, duplicates, and finding a run."""

import hashlib
import json
from collections.abc import Iterator

import pytest

from pipeline.api import ApiRequest, encode_request
from pipeline.errors import AudienceError
from pipeline.send.journal import (
    IN_FLIGHT,
    SANDBOX_TARGET,
    SUPERSEDED,
    Answer,
    DuplicateRunError,
    Journal,
    JournalError,
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
