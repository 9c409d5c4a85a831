"""send_requests: the concurrent sender, over real HTTP to the in-process sandbox (never AWS)."""

from __future__ import annotations

import itertools

import botocore.exceptions
import pytest

from pipeline.errors import SendError
from pipeline.sandbox import Faults, Sandbox
from pipeline.send.dispatch import send_requests
from pipeline.send.journal import ANSWERED, PENDING, STOPPED, Answer
from pipeline.send.results import summarize
from tests.send.support import (
    FAST,
    SEND_SPEC,
    SMS_ONLY,
    ScriptedClient,
    address_of,
    all_successful,
    client_error,
    client_for,
    endpoints_file,
    make_addressed,
    make_requests,
    send_all,
    sms_endpoints,
    user_ids,
)

# Fault injection: every user ends SUCCESSFUL and nobody is delivered twice.


def test_429s_and_500s_lose_nobody_and_dropped_connections_become_unknown(journal, clients):
    users = user_ids(400)
    faults = Faults(throttle_share=0.1, error_share=0.1, drop_share=0.05, seed=11)
    with Sandbox(faults=faults) as sandbox:
        client = client_for(clients, sandbox, concurrency=20)
        run_id = send_all(journal, make_requests(users, 20), client, concurrency=20)
        first = sandbox.delivery_counts()
        unknown = {user for request in journal.unknown(run_id) for user in request.user_ids}
        summary = summarize(journal, run_id)

        # A dropped connection may have been processed as far as the client can tell: its
        # users are unknown, never sent again unasked.
        assert unknown, "the seed drops some connections"
        assert {user for user, _ in first} == set(users) - unknown
        assert set(first.values()) == {1}
        assert summary.exit_code == 3
        assert summary.endpoints == {"SUCCESSFUL": 400 - len(unknown)}

        journal.resend_unknown(run_id)  # what --resume --resend-unknown does
        send_requests(journal, run_id, client=client, concurrency=20, backoff=FAST)
        counts = sandbox.delivery_counts()
        received = sandbox.requests_received

    assert received > 20  # faults were injected and retried
    assert sorted(user for user, _ in counts) == users
    assert set(counts.values()) == {1}  # the drops had delivered nothing
    assert summarize(journal, run_id).exit_code == 0


def test_a_burst_of_429s_is_ridden_out(journal, clients):
    users = user_ids(200)
    # The first 10 requests are throttled, whenever they come: a burst by count, not time.
    with Sandbox(faults=Faults(throttle_first=10)) as sandbox:
        client = client_for(clients, sandbox, concurrency=4)
        run_id = send_all(journal, make_requests(users, 20), client, concurrency=4)
        counts = sandbox.delivery_counts()
        received = sandbox.requests_received

    assert received == 10 + 10  # each throttled call retried once more by botocore
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


def test_a_call_without_answer_is_sent_once_and_its_users_are_unknown(journal):
    run = journal.create_run(SEND_SPEC, make_requests(user_ids(15)))
    closed = botocore.exceptions.ConnectionClosedError(endpoint_url="http://x")
    client = ScriptedClient(closed, all_successful)
    send_requests(journal, run.id, client=client, concurrency=1, backoff=FAST)
    assert len(client.calls) == 2  # each request once: the unanswered one is not resent
    [unknown] = journal.unknown(run.id)
    assert unknown.user_ids == tuple(user_ids(10))
    assert summarize(journal, run.id).exit_code == 3


def test_a_call_without_answer_is_resent_when_lost_answers_are(journal):
    run = journal.create_run(SEND_SPEC, make_requests(user_ids(5)))
    closed = botocore.exceptions.ReadTimeoutError(endpoint_url="http://x")
    client = ScriptedClient(closed, all_successful)
    send_requests(journal, run.id, client=client, backoff=FAST, resend_lost_answers=True)
    assert len(client.calls) == 2
    assert journal.unknown(run.id) == []
    assert summarize(journal, run.id).endpoints == {"SUCCESSFUL": 5}


def test_a_silent_service_stops_the_run_rather_than_make_everyone_unknown(journal):
    run = journal.create_run(SEND_SPEC, make_requests(user_ids(300)))  # 30 requests
    closed = botocore.exceptions.ConnectionClosedError(endpoint_url="http://x")
    client = ScriptedClient(*[closed] * 30)
    with pytest.raises(SendError, match=r"\d calls in a row got no answer"):
        send_requests(journal, run.id, client=client, concurrency=1, backoff=FAST)
    # The eighth stops the run; a call the one worker had already started may follow it.
    calls = len(client.calls)
    assert 8 <= calls <= 8 + 1
    assert len(journal.unknown(run.id)) == calls
    assert journal.progress(run.id).requests[PENDING] == 30 - calls


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


# The dispatcher's own rules, with a scripted client.


class RecordingMonitor:
    def __init__(self) -> None:
        self.started_with: dict[str, int] = {}
        self.advanced_by: list[int] = []
        self.notes: list[str] = []
        self.retries_pending: list[int] = []

    def started(self, *, total: int, done: int) -> None:
        self.started_with = {"total": total, "done": done}

    def advanced(self, users: int) -> None:
        self.advanced_by.append(users)

    def note(self, text: str) -> None:
        self.notes.append(text)

    def unknown(self, users: int) -> None:
        self.notes.append(f"{users} unknown")

    def rendered(self, users: int) -> None:
        self.notes.append(f"{users} rendered")

    def retries(self, pending: int) -> None:
        self.retries_pending.append(pending)

    def finished(self) -> None:
        self.notes.append("finished")


def stepping_clock(start: float = 1_000.0, step: float = 1.0):
    """A clock that moves ``step`` seconds at every look, so every backoff is over at once."""
    ticks = itertools.count()
    return lambda: start + step * next(ticks)


def test_concurrency_below_one_is_refused(journal):
    run = journal.create_run(SEND_SPEC, make_requests(user_ids(3)))
    with pytest.raises(SendError, match="concurrency must be at least 1"):
        send_requests(journal, run.id, client=ScriptedClient(), concurrency=0)
    assert journal.progress(run.id).requests[PENDING] == 1


def test_the_monitor_hears_the_total_and_every_answered_user(journal):
    run = journal.create_run(SEND_SPEC, make_requests(user_ids(30)))
    monitor = RecordingMonitor()
    client = ScriptedClient(*[all_successful] * 3)

    send_requests(journal, run.id, client=client, concurrency=2, backoff=FAST, monitor=monitor)

    assert monitor.started_with == {"total": 30, "done": 0}
    assert sum(monitor.advanced_by) == 30
    assert journal.progress(run.id).users[ANSWERED] == 30


def test_only_requests_still_pending_are_sent(journal):
    run = journal.create_run(SEND_SPEC, make_requests(user_ids(30)))
    first, *_ = journal.queued(run.id)
    [claimed] = journal.claim([first.id])
    rows = [(user, f"{user}-1", "SUCCESSFUL", 200, "m", None) for user in user_ids(10)]
    journal.record(run.id, [Answer(claimed.id, "r-1", 1, rows)])
    monitor = RecordingMonitor()
    client = ScriptedClient(*[all_successful] * 2)

    send_requests(journal, run.id, client=client, backoff=FAST, monitor=monitor)

    sent = [user for _, call in client.calls for user in call["SendUsersMessageRequest"]["Users"]]
    assert sorted(sent) == user_ids(30)[10:]  # workers may call in either order
    assert monitor.started_with == {"total": 30, "done": 10}


def test_endpoint_retries_go_out_as_send_messages_to_those_endpoints(journal):
    run = journal.create_run(SEND_SPEC, make_requests(["ana", "bob"]))
    first = {
        "SendUsersMessageResponse": {
            "Result": {
                "ana": {
                    "ana-1": {"DeliveryStatus": "SUCCESSFUL", "StatusCode": 200},
                    "ana-2": {"DeliveryStatus": "THROTTLED", "StatusCode": 429},
                },
                "bob": {"bob-1": {"DeliveryStatus": "SUCCESSFUL", "StatusCode": 200}},
            }
        }
    }
    retried = {
        "MessageResponse": {
            "EndpointResult": {"ana-2": {"DeliveryStatus": "SUCCESSFUL", "StatusCode": 200}}
        }
    }
    client = ScriptedClient(first, retried)

    send_requests(journal, run.id, client=client, backoff=FAST, clock=stepping_clock())

    assert [operation for operation, _ in client.calls] == ["SendUsersMessages", "SendMessages"]
    retry = client.calls[1][1]["MessageRequest"]
    assert retry["Endpoints"] == {"ana-2": {"Substitutions": {"Name": ["ana"]}}}
    assert retry["MessageConfiguration"] == SMS_ONLY
    final = {
        (r.user_id, r.endpoint_id): (r.status, r.attempts) for r in journal.final_results(run.id)
    }
    assert final == {
        ("ana", "ana-1"): ("SUCCESSFUL", 1),
        ("ana", "ana-2"): ("SUCCESSFUL", 2),
        ("bob", "bob-1"): ("SUCCESSFUL", 1),
    }


def test_server_errors_past_the_requeue_limit_stop_the_run_with_the_request_pending(journal):
    run = journal.create_run(SEND_SPEC, make_requests(user_ids(5)))
    failing = client_error(500, "InternalServerErrorException", "down")
    client = ScriptedClient(*[failing] * 4)

    with pytest.raises(SendError, match=r"stopped at request 1: Pinpoint answered 500"):
        send_requests(journal, run.id, client=client, backoff=FAST, clock=stepping_clock())

    assert len(client.calls) == 4  # the first call, then three more rounds
    assert journal.unknown(run.id) == []  # an error answer delivered nothing
    assert journal.progress(run.id).requests[PENDING] == 1
    assert journal.run(run.id).status == STOPPED


def test_a_bug_in_the_client_is_raised_as_itself_and_the_run_stops(journal):
    run = journal.create_run(SEND_SPEC, make_requests(user_ids(5)))
    client = ScriptedClient(ZeroDivisionError("a bug"))

    with pytest.raises(ZeroDivisionError, match="a bug"):
        send_requests(journal, run.id, client=client, backoff=FAST)

    assert journal.run(run.id).status == STOPPED
    # Nobody knows how far the call went: its request stays in flight, reported as unknown.
    assert [u.user_ids for u in journal.unknown(run.id)] == [tuple(user_ids(5))]


# SendMessages to addresses: the same guarantees, keyed by address.


def address_counts(sandbox):
    """Deliveries per address (the sandbox records address deliveries under user '')."""
    return {endpoint: count for (user, endpoint), count in sandbox.delivery_counts().items()}


def test_address_throttling_retries_only_the_failed_addresses(journal, clients):
    users = user_ids(100)
    faults = Faults(endpoint_throttle_share=0.3, endpoint_temporary_failure_share=0.1, seed=5)
    with Sandbox(faults=faults) as sandbox:
        client = client_for(clients, sandbox)
        items = make_addressed(users, 25, per_user=2)
        run_id = send_all(journal, items, client, delivery_attempts=12)
        counts = address_counts(sandbox)

    # A user with one address delivered and one throttled is sent to the throttled one only.
    assert counts == {address_of(user, k): 1 for user in users for k in range(2)}
    final = list(journal.final_results(run_id))
    assert {r.status for r in final} == {"SUCCESSFUL"}
    assert max(r.attempts for r in final) > 1
    assert {(r.user_id, r.endpoint_id) for r in final} == {
        (user, address_of(user, k)) for user in users for k in range(2)
    }


def test_address_retries_stop_at_the_attempt_bound(journal, clients):
    with Sandbox(faults=Faults(endpoint_throttle_share=1.0)) as sandbox:
        client = client_for(clients, sandbox)
        run_id = send_all(journal, make_addressed(user_ids(10)), client, delivery_attempts=3)
        received = sandbox.requests_received

    assert received == 3  # the request, then two retries of its ten addresses
    summary = summarize(journal, run_id)
    assert summary.endpoints == {"THROTTLED": 10}
    assert summary.exit_code == 1


def test_dropped_address_calls_are_unknown_by_address_and_resent_only_when_asked(journal, clients):
    users = user_ids(400)
    # As in the users test above: the seed's decisions, whoever arrives first, drop some.
    faults = Faults(throttle_share=0.1, error_share=0.1, drop_share=0.05, seed=11)
    with Sandbox(faults=faults) as sandbox:
        client = client_for(clients, sandbox, concurrency=20)
        run_id = send_all(journal, make_addressed(users, 20), client, concurrency=20)
        first = address_counts(sandbox)
        unknown = {a for request in journal.unknown(run_id) for a in request.endpoint_ids}

        assert unknown, "the seed drops some connections"
        assert set(first) == {address_of(user) for user in users} - unknown
        assert set(first.values()) == {1}

        journal.resend_unknown(run_id)
        send_requests(journal, run_id, client=client, concurrency=20, backoff=FAST)
        counts = address_counts(sandbox)

    assert set(counts) == {address_of(user) for user in users}
    assert set(counts.values()) == {1}  # the drops had delivered nothing
    assert summarize(journal, run_id).exit_code == 0


def test_address_retries_go_out_as_send_messages_to_those_addresses(journal):
    [item] = make_addressed(["u-1", "u-2"], per_user=2)
    run = journal.create_run(SEND_SPEC, [item])
    a1, a2, b1, b2 = item.owners
    first = {
        "MessageResponse": {
            "Result": {
                a1: {"DeliveryStatus": "SUCCESSFUL", "StatusCode": 200},
                a2: {"DeliveryStatus": "THROTTLED", "StatusCode": 429},
                b1: {"DeliveryStatus": "OPT_OUT", "StatusCode": 400},
                b2: {"DeliveryStatus": "TEMPORARY_FAILURE", "StatusCode": 500},
            }
        }
    }
    retried = {
        "MessageResponse": {
            "Result": {
                a2: {"DeliveryStatus": "SUCCESSFUL", "StatusCode": 200},
                b2: {"DeliveryStatus": "SUCCESSFUL", "StatusCode": 200},
            }
        }
    }
    client = ScriptedClient(first, retried)

    send_requests(journal, run.id, client=client, backoff=FAST, clock=stepping_clock())

    assert [operation for operation, _ in client.calls] == ["SendMessages", "SendMessages"]
    retry = client.calls[1][1]["MessageRequest"]
    assert retry["Addresses"] == {
        a2: {"ChannelType": "SMS", "Substitutions": {"Name": ["u-1"]}},
        b2: {"ChannelType": "SMS", "Substitutions": {"Name": ["u-2"]}},
    }
    assert retry["MessageConfiguration"] == SMS_ONLY
    final = {
        (r.user_id, r.endpoint_id): (r.status, r.attempts) for r in journal.final_results(run.id)
    }
    assert final == {
        ("u-1", a1): ("SUCCESSFUL", 1),
        ("u-1", a2): ("SUCCESSFUL", 2),
        ("u-2", b1): ("OPT_OUT", 1),
        ("u-2", b2): ("SUCCESSFUL", 2),
    }
