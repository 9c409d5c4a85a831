import hashlib
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.api import ApiRequest, encode_request
from pipeline.errors import AudienceError
from pipeline.send.journal import (
    ACCEPTED,
    ANSWERED,
    IN_FLIGHT,
    PENDING,
    SANDBOX_TARGET,
    SUPERSEDED,
    Answer,
    DuplicateRunError,
    Journal,
    JournalError,
    Outbound,
    RunSpec,
)
from pipeline.send.results import summarize
from tests.send.support import make_requests, user_ids

SPEC = RunSpec(
    message="hello",
    audience="audiences/people.jsonl",
    application_id="app-1",
    target="aws",
    region="us-east-1",
    root="/project",
)


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Journal]:
    with Journal(tmp_path / ".pipeline" / "journal.sqlite") as opened:
        yield opened


def states(path: Path, run_id: int) -> dict[int, str]:
    """Request states as another process would read them: a separate connection."""
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT seq, state FROM requests WHERE run_id = ?", (run_id,))
        return dict(rows.fetchall())


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
    run = journal.create_run(SPEC, requests)

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
        journal.create_run(SPEC, failing())
    assert journal.runs() == []


def test_in_flight_is_on_disk_before_claim_returns(journal):
    run = journal.create_run(SPEC, make_requests(user_ids(20)))
    first, second = journal.queued(run.id)

    journal.claim([first.id])

    assert states(journal.path, run.id) == {1: IN_FLIGHT, 2: PENDING}


def test_a_request_cannot_be_claimed_twice(journal):
    run = journal.create_run(SPEC, make_requests(user_ids(10)))
    [item] = journal.queued(run.id)
    journal.claim([item.id])
    with pytest.raises(JournalError, match="another process"):
        journal.claim([item.id])


def test_the_same_content_is_refused_once_anything_was_sent(journal):
    requests = make_requests(user_ids(20))
    first = journal.create_run(SPEC, requests)
    journal.claim([journal.queued(first.id)[0].id])

    with pytest.raises(DuplicateRunError, match=rf"run {first.id} \(unfinished.*--resume"):
        journal.create_run(SPEC, requests)
    assert len(journal.runs()) == 1

    forced = journal.create_run(SPEC, requests, force=True)
    assert forced.id != first.id


def test_a_finished_run_is_named_and_force_is_the_fix(journal):
    requests = make_requests(user_ids(5))
    first = journal.create_run(SPEC, requests)
    answer_all(journal, first.id)
    journal.set_status(first.id, "finished")
    with pytest.raises(DuplicateRunError, match=rf"run {first.id} \(finished.*--force"):
        journal.create_run(SPEC, requests)


def test_other_content_or_application_is_no_duplicate(journal):
    first = journal.create_run(SPEC, make_requests(user_ids(5)))
    answer_all(journal, first.id)
    journal.create_run(SPEC, make_requests(user_ids(6)))
    journal.create_run(SPEC, make_requests(user_ids(5), app="other-app"))


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
    first = journal.create_run(SPEC, requests)
    journal.set_status(first.id, "stopped", error="403")
    second = journal.create_run(SPEC, requests)
    assert journal.run(first.id).status == SUPERSEDED
    assert journal.run(second.id).status == "running"


def test_unknown_requests_list_their_users_then_can_be_resent(journal):
    run = journal.create_run(SPEC, make_requests(user_ids(15)))
    first, second = journal.queued(run.id)
    journal.claim([first.id, second.id])

    unknown = journal.unknown(run.id)
    assert [u.user_ids for u in unknown] == [tuple(user_ids(10)), tuple(user_ids(15)[10:])]

    assert journal.resend_unknown(run.id) == 2
    assert journal.unknown(run.id) == []
    assert [q.id for q in journal.queued(run.id)] == [first.id, second.id]


def test_accepted_unknowns_are_settled_with_status_unknown(journal):
    run = journal.create_run(SPEC, make_requests(user_ids(3)))
    journal.claim([journal.queued(run.id)[0].id])

    assert journal.accept_unknown(run.id) == 1

    assert journal.unknown(run.id) == []
    assert journal.progress(run.id).users[ACCEPTED] == 3
    assert {(r.user_id, r.status) for r in journal.final_results(run.id)} == {
        (user, "UNKNOWN") for user in user_ids(3)
    }


def test_a_retry_result_replaces_the_earlier_one_and_counts_attempts(journal):
    run = journal.create_run(SPEC, make_requests(["ana", "bob"]))
    [request] = journal.claim([journal.queued(run.id)[0].id])
    retry = Outbound(
        kind="endpoints",
        body="{}",
        users=1,
        origin=request.origin,
        parent=request.id,
        attempt=2,
        not_before=0.0,
        recipients='{"ana-2": "ana"}',
    )
    rows = [
        ("ana", "ana-1", "SUCCESSFUL", 200, "m1", None),
        ("ana", "ana-2", "THROTTLED", 429, None, "slow down"),
        ("bob", "", "PERMANENT_FAILURE", 400, None, "No endpoints found for userId."),
    ]
    [queued] = journal.record(run.id, [Answer(request.id, "r1", 1, rows, [retry])])
    [claimed_retry] = journal.claim([queued.id])
    assert claimed_retry.kind == "endpoints"
    assert not claimed_retry.rendered
    success = [("ana", "ana-2", "SUCCESSFUL", 200, "m2", None)]
    journal.record(run.id, [Answer(queued.id, "r2", 2, success)])

    final = [
        (r.user_id, r.endpoint_id, r.status, r.attempts) for r in journal.final_results(run.id)
    ]
    assert final == [
        ("ana", "ana-1", "SUCCESSFUL", 1),
        ("ana", "ana-2", "SUCCESSFUL", 2),
        ("bob", "", "PERMANENT_FAILURE", 1),
    ]
    progress = journal.progress(run.id)
    assert progress.users[ANSWERED] == 2
    assert progress.retries_pending == 0


def test_a_user_retried_as_a_whole_drops_its_endpointless_result(journal):
    run = journal.create_run(SPEC, make_requests(["ana"]))
    [request] = journal.claim([journal.queued(run.id)[0].id])
    retry = Outbound("users", "{}", 1, request.origin, request.id, 2, 0.0)
    missing = [("ana", "", "UNKNOWN_FAILURE", None, None, "missing")]
    [queued] = journal.record(run.id, [Answer(request.id, None, 1, missing, [retry])])
    journal.claim([queued.id])
    success = [("ana", "ana-1", "SUCCESSFUL", 200, "m", None)]
    journal.record(run.id, [Answer(queued.id, None, 2, success)])

    assert [(r.endpoint_id, r.status) for r in journal.final_results(run.id)] == [
        ("ana-1", "SUCCESSFUL")
    ]


def test_latest_unfinished_matches_message_audience_application_and_target(journal):
    run = journal.create_run(SPEC, make_requests(user_ids(3)))
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


def test_a_retry_in_flight_at_a_crash_makes_its_endpoint_unknown_again(journal, tmp_path):
    run = journal.create_run(SPEC, make_requests(["ana"]))
    [request] = journal.claim([journal.queued(run.id)[0].id])
    retry = Outbound("endpoints", "{}", 1, request.origin, request.id, 2, 0.0, '{"ana-2": "ana"}')
    rows = [
        ("ana", "ana-1", "SUCCESSFUL", 200, "m1", None),
        ("ana", "ana-2", "THROTTLED", 429, None, None),
    ]
    [queued] = journal.record(run.id, [Answer(request.id, "r1", 1, rows, [retry])])
    journal.claim([queued.id])  # the retry left; then the process died

    results = tmp_path / "results.jsonl"
    summary = summarize(journal, run.id, results_file=results)

    lines = [json.loads(line) for line in results.read_text().splitlines()]
    assert [(x["endpoint_id"], x["status"]) for x in lines] == [
        ("ana-1", "SUCCESSFUL"),
        ("ana-2", "UNKNOWN"),
    ]
    assert summary.endpoints == {"SUCCESSFUL": 1}
    assert summary.unknown_users == ["ana"]
    assert summary.exit_code == 3
