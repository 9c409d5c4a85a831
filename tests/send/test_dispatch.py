"""The sender over real HTTP: boto3 against the in-process sandbox (never AWS)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import botocore.exceptions
import pytest

from pipeline.errors import InputError, SendError
from pipeline.sandbox import Faults, Sandbox
from pipeline.send.client import (
    SANDBOX_CREDENTIALS,
    CredentialsError,
    classify,
    create_client,
)
from pipeline.send.dispatch import send_requests
from pipeline.send.journal import ANSWERED, PENDING, Claimed, Journal, RunSpec
from pipeline.send.ratelimit import RateLimiter
from pipeline.send.results import summarize
from pipeline.send.retry import Backoff, plan_retries
from tests.send.support import (
    APP,
    SMS_ONLY,
    endpoints_file,
    isolate_aws,
    make_requests,
    sms_endpoints,
    user_ids,
)

FAST = Backoff(base=0.01, cap=0.05)
SPEC = RunSpec(
    message="hello", audience="people", application_id=APP, target="t", region=None, root="/"
)


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Journal]:
    with Journal(tmp_path / "journal.sqlite") as opened:
        yield opened


@pytest.fixture
def clients() -> Iterator[list[Any]]:
    made: list[Any] = []
    yield made
    for client in made:
        client.close()


def client_for(clients: list[Any], sandbox: Sandbox, **options: Any) -> Any:
    client = create_client(
        endpoint_url=sandbox.url,
        region="us-east-1",
        credentials=SANDBOX_CREDENTIALS,
        **options,
    )
    clients.append(client)
    return client


def send_all(journal: Journal, requests: list[Any], client: Any, **options: Any) -> int:
    run = journal.create_run(SPEC, requests)
    options.setdefault("backoff", FAST)
    send_requests(journal, run.id, client=client, **options)
    return run.id


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


def test_max_rps_paces_the_calls(journal, clients):
    with Sandbox() as sandbox:
        client = client_for(clients, sandbox, max_rps=20.0)
        started = time.monotonic()
        send_all(journal, make_requests(user_ids(10), 1), client)
        elapsed = time.monotonic() - started
    assert elapsed >= 9 / 20


# AWS errors and failures, with a scripted client.


class ScriptedClient:
    """Answers each call with the next scripted reply: a response dict or an exception."""

    def __init__(self, *replies: Any) -> None:
        self.replies = list(replies)
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.lock = threading.Lock()

    def _next(self, operation: str, kwargs: dict[str, Any]) -> Any:
        with self.lock:
            self.calls.append((operation, kwargs))
            reply = self.replies.pop(0)
        if isinstance(reply, Exception):
            raise reply
        return reply(kwargs) if callable(reply) else reply

    def send_users_messages(self, **kwargs: Any) -> Any:
        return self._next("SendUsersMessages", kwargs)

    def send_messages(self, **kwargs: Any) -> Any:
        return self._next("SendMessages", kwargs)


def client_error(status: int, code: str, message: str) -> botocore.exceptions.ClientError:
    return botocore.exceptions.ClientError(
        {
            "Error": {"Code": code, "Message": message},
            "ResponseMetadata": {"HTTPStatusCode": status},
        },
        "SendUsersMessages",
    )


def all_successful(kwargs: dict[str, Any]) -> dict[str, Any]:
    users = kwargs["SendUsersMessageRequest"]["Users"]
    result = {
        user: {f"{user}-1": {"DeliveryStatus": "SUCCESSFUL", "StatusCode": 200}} for user in users
    }
    return {"SendUsersMessageResponse": {"Result": result}}


@pytest.mark.parametrize(
    ("status", "code", "expected"),
    [
        (403, "ForbiddenException", r"403 ForbiddenException.*mobiletargeting:SendUsersMessages"),
        (404, "NotFoundException", r"404 NotFoundException.*check --app-id and --region"),
        (413, "PayloadTooLargeException", r"413 PayloadTooLargeException.*7 MB"),
    ],
)
def test_aws_errors_stop_the_run_naming_it_and_keep_it_resumable(journal, status, code, expected):
    run = journal.create_run(SPEC, make_requests(user_ids(30)))
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
    run = journal.create_run(SPEC, make_requests(user_ids(5)))
    client = ScriptedClient(client_error(429, "TooManyRequestsException", "slow"), all_successful)
    send_requests(journal, run.id, client=client, backoff=FAST)
    assert len(client.calls) == 2
    assert summarize(journal, run.id).endpoints == {"SUCCESSFUL": 5}


def test_a_call_without_answer_stays_unknown_when_the_run_stops(journal):
    run = journal.create_run(SPEC, make_requests(user_ids(5)))
    closed = botocore.exceptions.ConnectionClosedError(endpoint_url="http://x")
    client = ScriptedClient(*[closed] * 4)
    with pytest.raises(SendError, match="no answer from Pinpoint"):
        send_requests(journal, run.id, client=client, backoff=FAST)
    assert len(client.calls) == 4  # the first call, then three more rounds
    [unknown] = journal.unknown(run.id)
    assert unknown.user_ids == tuple(user_ids(5))


def test_a_user_missing_from_the_answer_is_sent_again_alone(journal):
    run = journal.create_run(SPEC, make_requests(["ana", "bob"]))
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


# Retry planning, error reading, rate limiting, client creation.


def claimed(kind: str = "users", attempt: int = 1, recipients: str | None = None) -> Claimed:
    return Claimed(7, 1, kind, "{}", recipients, 7, attempt, 2, None)


SENT = {
    "ApplicationId": APP,
    "SendUsersMessageRequest": {
        "MessageConfiguration": SMS_ONLY,
        "Context": {"campaign": "x"},
        "Users": {"ana": {"Substitutions": {"Name": ["Ana"]}}, "bob": {"BodyOverride": "Hi"}},
    },
}


def test_a_retry_addresses_only_the_failed_endpoints_with_the_same_content():
    rows = [
        ("ana", "ana-1", "SUCCESSFUL", 200, "m", None),
        ("ana", "ana-2", "THROTTLED", 429, None, None),
        ("bob", "bob-1", "TEMPORARY_FAILURE", 500, None, None),
        ("bob", "bob-2", "OPT_OUT", 400, None, None),
    ]
    [retry] = plan_retries(claimed(), SENT, rows, max_attempts=5, backoff=FAST, now=100.0)

    assert retry.kind == "endpoints"
    assert json.loads(retry.body) == {
        "ApplicationId": APP,
        "MessageRequest": {
            "MessageConfiguration": SMS_ONLY,
            "Context": {"campaign": "x"},
            "Endpoints": {
                "ana-2": {"Substitutions": {"Name": ["Ana"]}},
                "bob-1": {"BodyOverride": "Hi"},
            },
        },
    }
    assert json.loads(retry.recipients or "") == {"ana-2": "ana", "bob-1": "bob"}
    assert (retry.attempt, retry.parent, retry.origin, retry.users) == (2, 7, 7, 2)
    assert 100.0 < retry.not_before <= 100.05


@pytest.mark.parametrize(
    "status", ["SUCCESSFUL", "PERMANENT_FAILURE", "OPT_OUT", "DUPLICATE", "SOMETHING_NEW"]
)
def test_final_statuses_are_never_retried(status):
    rows = [("ana", "ana-1", status, 400, None, None)]
    assert plan_retries(claimed(), SENT, rows, max_attempts=5, backoff=FAST, now=0) == []


@pytest.mark.parametrize("status", ["THROTTLED", "TEMPORARY_FAILURE", "UNKNOWN_FAILURE", "TIMEOUT"])
def test_retryable_statuses_are_retried_until_the_bound(status):
    rows = [("ana", "ana-1", status, 429, None, None)]
    assert len(plan_retries(claimed(), SENT, rows, max_attempts=5, backoff=FAST, now=0)) == 1
    last = claimed(attempt=5)
    assert plan_retries(last, SENT, rows, max_attempts=5, backoff=FAST, now=0) == []


def test_a_retry_of_a_retry_keeps_each_endpoints_configuration():
    sent = {
        "ApplicationId": APP,
        "MessageRequest": {
            "MessageConfiguration": SMS_ONLY,
            "Endpoints": {"ana-2": {"BodyOverride": "A"}, "bob-1": {"BodyOverride": "B"}},
        },
    }
    request = claimed("endpoints", 2, json.dumps({"ana-2": "ana", "bob-1": "bob"}))
    rows = [("bob", "bob-1", "THROTTLED", 429, None, None)]
    [retry] = plan_retries(request, sent, rows, max_attempts=5, backoff=FAST, now=0)
    assert json.loads(retry.body)["MessageRequest"]["Endpoints"] == {"bob-1": {"BodyOverride": "B"}}
    assert retry.attempt == 3


def test_many_failed_endpoints_are_split_into_requests_of_100():
    users = {f"u{n}": {} for n in range(150)}
    sent = {
        "ApplicationId": APP,
        "SendUsersMessageRequest": {"MessageConfiguration": SMS_ONLY, "Users": users},
    }
    rows = [(user, f"{user}-{k}", "THROTTLED", 429, None, None) for user in users for k in range(2)]
    retries = plan_retries(claimed(), sent, rows, max_attempts=5, backoff=FAST, now=0)
    assert [len(json.loads(r.recipients or "")) for r in retries] == [100, 100, 100]


@pytest.mark.parametrize(
    ("error", "retry", "delivered_nothing", "what"),
    [
        (client_error(429, "TooManyRequestsException", "x"), True, True, "429"),
        (client_error(500, "InternalServerErrorException", "x"), True, True, "500"),
        (client_error(403, "ForbiddenException", "x"), False, True, "403"),
        (client_error(400, "BadRequestException", "x"), False, True, "400"),
        (
            botocore.exceptions.EndpointConnectionError(endpoint_url="u"),
            False,
            True,
            "cannot reach",
        ),
        (botocore.exceptions.ConnectTimeoutError(endpoint_url="u"), False, True, "cannot reach"),
        (botocore.exceptions.ReadTimeoutError(endpoint_url="u"), True, False, "no answer"),
        (botocore.exceptions.ConnectionClosedError(endpoint_url="u"), True, False, "no answer"),
        (botocore.exceptions.NoCredentialsError(), False, True, "credentials"),
    ],
)
def test_botocore_errors_are_read_for_safety(error, retry, delivered_nothing, what):
    failure = classify(error)
    assert (failure.retry, failure.delivered_nothing) == (retry, delivered_nothing)
    assert what in failure.what


def test_a_foreign_exception_is_a_bug_not_a_failure():
    with pytest.raises(ZeroDivisionError):
        classify(ZeroDivisionError())


def test_the_rate_limiter_spaces_calls():
    now = [0.0]
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(round(seconds, 6))

    limiter = RateLimiter(10.0, burst=2, clock=lambda: now[0], sleep=sleep)
    for _ in range(4):
        limiter.acquire()
    assert waits == [0.1, 0.2]


def test_missing_credentials_fail_before_anything_is_sent(monkeypatch):
    isolate_aws(monkeypatch, credentials=False)
    with pytest.raises(CredentialsError, match="no AWS credentials found") as info:
        create_client(endpoint_url="http://127.0.0.1:9")
    assert info.value.exit_code == 3


def test_an_unknown_profile_is_a_credentials_error(monkeypatch):
    isolate_aws(monkeypatch, credentials=True)
    with pytest.raises(CredentialsError, match="no AWS profile 'nope'"):
        create_client(profile="nope")


def test_no_region_is_a_usage_error(monkeypatch):
    isolate_aws(monkeypatch, credentials=True)
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    monkeypatch.delenv("AWS_REGION", raising=False)
    with pytest.raises(InputError, match="no AWS Region"):
        create_client()


def test_the_client_retries_enough_and_pools_enough_connections(monkeypatch):
    isolate_aws(monkeypatch, credentials=True)
    client = create_client(concurrency=64, max_attempts=12)
    try:
        config = client.meta.config  # type: ignore[attr-defined]
        assert config.retries == {"mode": "standard", "total_max_attempts": 12}
        assert config.max_pool_connections == 64
    finally:
        client.close()  # type: ignore[attr-defined]
