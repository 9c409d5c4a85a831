"""The journal's requests: claimed in flight before they leave, answered, retried, settled."""

import sqlite3
from pathlib import Path

import pytest

from pipeline.errors import JournalError
from pipeline.send.journal import (
    ACCEPTED,
    ANSWERED,
    IN_FLIGHT,
    PENDING,
    Answer,
    Outbound,
    Queued,
)
from pipeline.send.journal.packing import pack_results
from tests.send.support import AWS_SPEC, make_requests, user_ids


def states(path: Path, run_id: int) -> dict[int, str]:
    """Request states as another process would read them: a separate connection."""
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT seq, state FROM requests WHERE run_id = ?", (run_id,))
        return dict(rows.fetchall())


def test_in_flight_is_on_disk_before_claim_returns(journal):
    run = journal.create_run(AWS_SPEC, make_requests(user_ids(20)))
    first, second = journal.queued(run.id)

    journal.claim([first.id])

    assert states(journal.path, run.id) == {1: IN_FLIGHT, 2: PENDING}


def test_a_request_cannot_be_claimed_twice(journal):
    run = journal.create_run(AWS_SPEC, make_requests(user_ids(10)))
    [item] = journal.queued(run.id)
    journal.claim([item.id])
    with pytest.raises(JournalError, match="another process"):
        journal.claim([item.id])


def test_unknown_requests_list_their_users_then_can_be_resent(journal):
    run = journal.create_run(AWS_SPEC, make_requests(user_ids(15)))
    first, second = journal.queued(run.id)
    journal.claim([first.id, second.id])

    unknown = journal.unknown(run.id)
    assert [u.user_ids for u in unknown] == [tuple(user_ids(10)), tuple(user_ids(15)[10:])]

    assert journal.resend_unknown(run.id) == 2
    assert journal.unknown(run.id) == []
    assert [q.id for q in journal.queued(run.id)] == [first.id, second.id]


def test_accepted_unknowns_are_settled_with_status_unknown(journal):
    run = journal.create_run(AWS_SPEC, make_requests(user_ids(3)))
    journal.claim([journal.queued(run.id)[0].id])

    assert journal.accept_unknown(run.id) == 1

    assert journal.unknown(run.id) == []
    assert journal.progress(run.id).users[ACCEPTED] == 3
    assert {(r.user_id, r.status) for r in journal.final_results(run.id)} == {
        (user, "UNKNOWN") for user in user_ids(3)
    }


def test_a_retry_result_replaces_the_earlier_one_and_counts_attempts(journal):
    run = journal.create_run(AWS_SPEC, make_requests(["ana", "bob"]))
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
    run = journal.create_run(AWS_SPEC, make_requests(["ana"]))
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


def test_a_claim_that_fails_claims_nothing(journal):
    run = journal.create_run(AWS_SPEC, make_requests(user_ids(20)))
    first, second = journal.queued(run.id)
    journal.claim([first.id])
    with pytest.raises(JournalError):
        journal.claim([second.id, first.id])
    assert states(journal.path, run.id) == {1: IN_FLIGHT, 2: PENDING}


def test_released_requests_are_pending_again_not_before_their_time(journal):
    run = journal.create_run(AWS_SPEC, make_requests(user_ids(20)))
    first, second = journal.queued(run.id)
    journal.claim([first.id, second.id])

    journal.release([Queued(second.id, 1234.5)])

    assert states(journal.path, run.id) == {1: IN_FLIGHT, 2: PENDING}
    assert journal.queued(run.id) == [Queued(second.id, 1234.5)]


def test_pending_users_are_those_of_rendered_requests_never_sent_in_order(journal):
    run = journal.create_run(AWS_SPEC, make_requests(user_ids(25)))
    first, *_ = journal.queued(run.id)
    journal.claim([first.id])
    assert list(journal.pending_users(run.id)) == user_ids(25)[10:]


def test_retries_are_numbered_after_the_runs_last_request(journal):
    run = journal.create_run(AWS_SPEC, make_requests(["ana", "bob"]))
    [request] = journal.claim([journal.queued(run.id)[0].id])
    retries = [
        Outbound("endpoints", "{}", 1, request.origin, request.id, 2, 5.0, '{"ana-2": "ana"}'),
        Outbound("users", "{}", 1, request.origin, request.id, 2, 5.0),
    ]
    queued = journal.record(run.id, [Answer(request.id, "r1", 1, [], retries)])
    assert [item.not_before for item in queued] == [5.0, 5.0]
    claimed = journal.claim([item.id for item in queued])
    assert [(c.seq, c.kind, c.parent, c.attempt) for c in claimed] == [
        (2, "endpoints", request.id, 2),
        (3, "users", request.id, 2),
    ]
    assert not any(c.rendered for c in claimed)


def test_an_error_inside_a_transaction_undoes_every_call_in_it(journal):
    run = journal.create_run(AWS_SPEC, make_requests(user_ids(20)))
    first, second = journal.queued(run.id)
    with pytest.raises(RuntimeError), journal.transaction():
        journal.claim([first.id])
        journal.claim([second.id])
        raise RuntimeError("the process failed before the commit")
    assert states(journal.path, run.id) == {1: PENDING, 2: PENDING}


def test_unknown_endpoint_retries_name_their_endpoints(journal):
    run = journal.create_run(AWS_SPEC, make_requests(["ana"]))
    [request] = journal.claim([journal.queued(run.id)[0].id])
    retry = Outbound("endpoints", "{}", 1, request.origin, request.id, 2, 0.0, '{"ana-2": "ana"}')
    [queued] = journal.record(run.id, [Answer(request.id, "r1", 1, [], [retry])])
    journal.claim([queued.id])
    [unknown] = journal.unknown(run.id)
    assert (unknown.kind, unknown.user_ids, unknown.endpoint_ids) == (
        "endpoints",
        ("ana",),
        ("ana-2",),
    )


def test_results_packed_by_the_sending_thread_are_stored_as_they_are(journal):
    run = journal.create_run(AWS_SPEC, make_requests(["ana", "bob"]))
    [item] = journal.queued(run.id)
    [request] = journal.claim([item.id])
    rows = [
        ("ana", "ana-1", "SUCCESSFUL", 200, "m1", "MessageId: m1"),
        ("bob", "bob-1", "SUCCESSFUL", 200, "m2", None),
    ]
    journal.record(run.id, [Answer(request.id, "r1", 1, rows, packed=pack_results(rows))])

    final = [
        (r.user_id, r.endpoint_id, r.status, r.message_id, r.status_message)
        for r in journal.final_results(run.id)
    ]
    assert final == [(u, e, status, mid, note) for u, e, status, _, mid, note in rows]
