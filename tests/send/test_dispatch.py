"""send_requests: the concurrent sender, over real HTTP to the in-process sandbox (never AWS)."""

from __future__ import annotations

import threading

import botocore.exceptions
import pytest

from pipeline.errors import SendError
from pipeline.sandbox import Faults, Sandbox
from pipeline.send.dispatch import send_requests
from pipeline.send.journal import ANSWERED, PENDING
from pipeline.send.results import summarize
from tests.send.support import (
    FAST,
    SEND_SPEC,
    ScriptedClient,
    all_successful,
    client_error,
    client_for,
    endpoints_file,
    make_requests,
    send_all,
    sms_endpoints,
    user_ids,
)

# Fault injection: every user ends SUCCESSFUL and nobody is delivered twice.


def test_429s_500s_and_dropped_connections_lose_nobody_and_deliver_once(journal, clients):
    users = user_ids(400)
    faults = Faults(throttle_share=0.1, error_share=0.1, drop_share=0.05, seed=11)
    with Sandbox(faults=faults) as sandbox:
        client = client_for(clients, sandbox, concurrency=20)
        run_id = send_all(journal, make_requests(users, 20), client, concurrency=20)
        counts = sandbox.delivery_counts()
        received = sandbox.requests_received

    assert received > 20  # faults were injected and retried
    assert sorted(user for user, _ in counts) == users
    assert set(counts.values()) == {1}
    summary = summarize(journal, run_id)
    assert summary.endpoints == {"SUCCESSFUL": 400}
    assert summary.exit_code == 0


def test_a_burst_of_429s_is_ridden_out(journal, clients):
    users = user_ids(200)
    with Sandbox(faults=Faults(throttle_share=1.0)) as sandbox:
        calm = threading.Timer(0.6, lambda: setattr(sandbox, "faults", Faults()))
        calm.start()
        client = client_for(clients, sandbox, concurrency=4)
        run_id = send_all(journal, make_requests(users, 20), client, concurrency=4)
        calm.join()
        counts = sandbox.delivery_counts()
        received = sandbox.requests_received

    assert received > 10
    assert sorted(user for user, _ in counts) == users
    assert set(counts.values()) == {1}
    assert summarize(journal, run_id).exit_code == 0


def test_endpoint_throttling_retries_only_the_failed_endpoints(journal, clients, tmp_path):
    users = user_ids(100)
    endpoints = endpoints_file(tmp_path / "endpoints.yaml", sms_endpoints(users, 2))
    faults = Faults(endpoint_throttle_share=0.3, endpoint_temporary_failure_share=0.1, seed=5)
    with Sandbox(faults=faults, endpoints=endpoints) as sandbox:
        client = client_for(clients, sandbox)
        run_id = send_all(journal, make_requests(users, 25), client, delivery_attempts=12)
        counts = sandbox.delivery_counts()

    # A user with one endpoint delivered and one throttled is not sent to again as a user,
    # which would deliver twice to the first endpoint.
    assert counts == {(user, f"{user}-sms{k}"): 1 for user in users for k in range(2)}
    final = list(journal.final_results(run_id))
    assert {r.status for r in final} == {"SUCCESSFUL"}
    assert max(r.attempts for r in final) > 1
    assert len(final) == 200


def test_retries_stop_at_the_attempt_bound(journal, clients, tmp_path):
    users = user_ids(10)
    endpoints = endpoints_file(tmp_path / "endpoints.yaml", sms_endpoints(users, 1))
    with Sandbox(faults=Faults(endpoint_throttle_share=1.0), endpoints=endpoints) as sandbox:
        client = client_for(clients, sandbox)
        run_id = send_all(journal, make_requests(users, 10), client, delivery_attempts=3)
        received = sandbox.requests_received

    assert received == 3  # the request, then two SendMessages retries of its ten endpoints
    summary = summarize(journal, run_id)
    assert summary.endpoints == {"THROTTLED": 10}
    assert summary.exit_code == 1


def test_opt_outs_and_users_without_endpoints_are_final(journal, clients, tmp_path):
    endpoints = endpoints_file(
        tmp_path / "endpoints.yaml",
        {
            "ana": [
                {"id": "ana-1", "channel": "SMS", "address": "+15550000001", "opt_out": True},
                {"id": "ana-2", "channel": "SMS", "address": "+15550000002"},
            ],
            "bob": [],
            "eve": [{"id": "eve-1", "channel": "SMS", "address": "+15550000003"}],
        },
    )
    with Sandbox(endpoints=endpoints) as sandbox:
        client = client_for(clients, sandbox)
        run_id = send_all(journal, make_requests(["ana", "bob", "eve"]), client)
        received = sandbox.requests_received

    assert received == 1
    final = [
        (r.user_id, r.endpoint_id, r.status, r.attempts) for r in journal.final_results(run_id)
    ]
    assert final == [
        ("ana", "ana-1", "OPT_OUT", 1),
        ("ana", "ana-2", "SUCCESSFUL", 1),
        ("bob", "", "PERMANENT_FAILURE", 1),
        ("eve", "eve-1", "SUCCESSFUL", 1),
    ]
    summary = summarize(journal, run_id)
    assert summary.users == {"OPT_OUT": 1, "PERMANENT_FAILURE": 1, "SUCCESSFUL": 2}
    assert summary.exit_code == 1


# AWS errors and failures, with a scripted client.


@pytest.mark.parametrize(
    ("status", "code", "expected"),
    [
        (403, "ForbiddenException", r"403 ForbiddenException.*mobiletargeting:SendUsersMessages"),
        (404, "NotFoundException", r"404 NotFoundException.*check --app-id and --region"),
        (413, "PayloadTooLargeException", r"413 PayloadTooLargeException.*7 MB"),
    ],
)
def test_aws_errors_stop_the_run_naming_it_and_keep_it_resumable(journal, status, code, expected):
    run = journal.create_run(SEND_SPEC, make_requests(user_ids(30)))
    client = ScriptedClient(*[client_error(status, code, "refused")] * 3)

    with pytest.raises(
        SendError, match=rf"run {run.id} stopped at request \d: Pinpoint answered {expected}"
    ) as info:
        send_requests(journal, run.id, client=client, concurrency=1, backoff=FAST)

    assert info.value.exit_code == 3
    assert "--resume" in str(info.value)
    assert len(client.calls) == 1
    assert journal.run(run.id).status == "stopped"
    assert journal.progress(run.id).requests[PENDING] == 3  # refused: nothing delivered

    send_requests(journal, run.id, client=ScriptedClient(*[all_successful] * 3), backoff=FAST)
    assert journal.progress(run.id).users[ANSWERED] == 30


def test_throttling_left_over_by_botocore_is_queued_again(journal):
    run = journal.create_run(SEND_SPEC, make_requests(user_ids(5)))
    client = ScriptedClient(client_error(429, "TooManyRequestsException", "slow"), all_successful)
    send_requests(journal, run.id, client=client, backoff=FAST)
    assert len(client.calls) == 2
    assert summarize(journal, run.id).endpoints == {"SUCCESSFUL": 5}


def test_a_call_without_answer_stays_unknown_when_the_run_stops(journal):
    run = journal.create_run(SEND_SPEC, make_requests(user_ids(5)))
    closed = botocore.exceptions.ConnectionClosedError(endpoint_url="http://x")
    client = ScriptedClient(*[closed] * 4)
    with pytest.raises(SendError, match="no answer from Pinpoint"):
        send_requests(journal, run.id, client=client, backoff=FAST)
    assert len(client.calls) == 4  # the first call, then three more rounds
    [unknown] = journal.unknown(run.id)
    assert unknown.user_ids == tuple(user_ids(5))


def test_a_user_missing_from_the_answer_is_sent_again_alone(journal):
    run = journal.create_run(SEND_SPEC, make_requests(["ana", "bob"]))
    only_ana = {
        "SendUsersMessageResponse": {
            "Result": {"ana": {"ana-1": {"DeliveryStatus": "SUCCESSFUL", "StatusCode": 200}}}
        }
    }
    client = ScriptedClient(only_ana, all_successful)
    send_requests(journal, run.id, client=client, backoff=FAST)

    assert [op for op, _ in client.calls] == ["SendUsersMessages", "SendUsersMessages"]
    assert list(client.calls[1][1]["SendUsersMessageRequest"]["Users"]) == ["bob"]
    assert {(r.user_id, r.status) for r in journal.final_results(run.id)} == {
        ("ana", "SUCCESSFUL"),
        ("bob", "SUCCESSFUL"),
    }
