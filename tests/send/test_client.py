"""The boto3 client: credentials, Region, retries, pacing, and what its errors mean."""

from __future__ import annotations

import json

import botocore.exceptions
import pytest

from pipeline.errors import CredentialsError, InputError
from pipeline.sandbox import Faults, Sandbox
from pipeline.send.client import (
    SANDBOX_CREDENTIALS,
    call,
    classify,
    create_client,
    endpoint_of,
    is_loopback,
    limit_rate,
    request_id,
)
from pipeline.send.journal import Claimed
from tests.send.support import (
    APP,
    SMS_ONLY,
    ScriptedClient,
    client_error,
    client_for,
    isolate_aws,
    make_requests,
    send_all,
    user_ids,
)


def test_max_rps_paces_every_http_request(journal, clients):
    # The pacing itself is tested with a fake clock (test_the_rate_limiter_spaces_calls);
    # here: every HTTP request the client makes, retries included, passes the limiter.
    with Sandbox(faults=Faults(throttle_first=3)) as sandbox:
        client = client_for(clients, sandbox)
        limiter = limit_rate(client, 1000.0)
        paced: list[float] = []
        acquire = limiter.acquire

        def counted() -> None:
            paced.append(1.0)
            acquire()

        limiter.acquire = counted  # type: ignore[method-assign]
        send_all(journal, make_requests(user_ids(10), 1), client)
        received = sandbox.requests_received
    assert received == 10 + 3
    assert len(paced) == received


@pytest.mark.parametrize(
    ("error", "retry", "maybe_processed", "what"),
    [
        (client_error(429, "TooManyRequestsException", "x"), True, False, "429"),
        (client_error(500, "InternalServerErrorException", "x"), True, False, "500"),
        (client_error(403, "ForbiddenException", "x"), False, False, "403"),
        (client_error(400, "BadRequestException", "x"), False, False, "400"),
        (
            botocore.exceptions.EndpointConnectionError(endpoint_url="u"),
            False,
            False,
            "cannot reach",
        ),
        (botocore.exceptions.ConnectTimeoutError(endpoint_url="u"), False, False, "cannot reach"),
        (botocore.exceptions.ReadTimeoutError(endpoint_url="u"), False, True, "no answer"),
        (botocore.exceptions.ConnectionClosedError(endpoint_url="u"), False, True, "no answer"),
        (botocore.exceptions.SSLError(endpoint_url="u", error="x"), False, True, "no answer"),
        (botocore.exceptions.NoCredentialsError(), False, False, "credentials"),
    ],
)
def test_botocore_errors_are_read_for_safety(error, retry, maybe_processed, what):
    failure = classify(error, history=False)
    assert (failure.retry, failure.maybe_processed) == (retry, maybe_processed)
    assert what in failure.what


@pytest.mark.parametrize(
    "error",
    [
        client_error(429, "TooManyRequestsException", "x"),
        client_error(500, "InternalServerErrorException", "x"),
        botocore.exceptions.EndpointConnectionError(endpoint_url="u"),
    ],
)
def test_a_call_is_judged_by_its_whole_history_not_its_last_error(error):
    # An earlier attempt went unanswered: whatever the last one says, it may have been sent.
    failure = classify(error, history=True)
    assert (failure.retry, failure.maybe_processed) == (False, True)


def test_lost_answers_are_retried_only_when_asked():
    lost = botocore.exceptions.ReadTimeoutError(endpoint_url="u")
    assert classify(lost, history=False, resend_lost_answers=True).retry is True
    assert classify(lost, history=False).retry is False


def test_a_foreign_exception_is_a_bug_not_a_failure():
    with pytest.raises(ZeroDivisionError):
        classify(ZeroDivisionError())


@pytest.mark.parametrize("endpoint_url", [None, "https://pinpoint.example.com"])
def test_missing_credentials_fail_before_anything_is_sent(monkeypatch, endpoint_url):
    isolate_aws(monkeypatch, credentials=False)
    with pytest.raises(CredentialsError, match="no AWS credentials found") as info:
        create_client(endpoint_url=endpoint_url)
    assert info.value.exit_code == 3


@pytest.mark.parametrize(
    ("url", "loopback"),
    [
        ("http://127.0.0.1:8642", True),
        ("http://127.9.9.9:1", True),
        ("http://localhost:8642/", True),
        ("http://[::1]:8642", True),
        ("https://pinpoint.us-east-1.amazonaws.com", False),
        ("http://10.0.0.1:8642", False),
        ("http://localhost.example.com", False),
        (None, False),
    ],
)
def test_loopback_means_this_machine_only(url, loopback):
    assert is_loopback(url) is loopback


def closing(client):
    try:
        return endpoint_of(client), client.meta.region_name, client._request_signer._credentials
    finally:
        client.close()


def test_a_sandbox_on_this_machine_needs_no_credentials_and_no_region(monkeypatch):
    # `pipeline sandbox &` then `send --endpoint-url http://127.0.0.1:8642`, nothing else set.
    isolate_aws(monkeypatch, credentials=False)
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    url, region, credentials = closing(create_client(endpoint_url="http://127.0.0.1:8642/"))
    assert (url, region) == ("http://127.0.0.1:8642", "us-east-1")
    assert credentials.access_key == SANDBOX_CREDENTIALS["aws_access_key_id"]


def test_the_environments_endpoint_counts_as_the_sandbox_too(monkeypatch):
    isolate_aws(monkeypatch, credentials=False)
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://localhost:8642")
    assert closing(create_client())[:2] == ("http://localhost:8642", "us-east-1")


def test_real_credentials_are_kept_for_a_sandbox_on_this_machine(monkeypatch):
    isolate_aws(monkeypatch, credentials=True)
    _, _, credentials = closing(create_client(endpoint_url="http://127.0.0.1:8642"))
    assert credentials.access_key == "testing"


@pytest.mark.parametrize(
    ("variables", "region"),
    [
        ({"AWS_DEFAULT_REGION": "us-east-1"}, "us-east-1"),
        ({"AWS_REGION": "eu-west-1"}, "eu-west-1"),
        ({"AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "us-east-1"}, "eu-west-1"),
    ],
)
def test_the_region_comes_from_aws_region_before_aws_default_region(monkeypatch, variables, region):
    isolate_aws(monkeypatch, credentials=True)
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    url, found, _ = closing(create_client())
    assert (url, found) == (f"https://pinpoint.{region}.amazonaws.com", region)
    # --region wins over both.
    assert closing(create_client(region="ap-south-1"))[1] == "ap-south-1"


@pytest.mark.parametrize(
    ("variables", "url"),
    [
        ({"AWS_ENDPOINT_URL": "http://127.0.0.1:1"}, "http://127.0.0.1:1"),
        ({"AWS_ENDPOINT_URL_PINPOINT": "http://127.0.0.1:2"}, "http://127.0.0.1:2"),
        (
            {
                "AWS_ENDPOINT_URL": "http://127.0.0.1:1",
                "AWS_ENDPOINT_URL_PINPOINT": "http://127.0.0.1:2",
            },
            "http://127.0.0.1:2",
        ),
    ],
)
def test_the_endpoint_used_is_botocores_choice_including_the_environment(
    monkeypatch, variables, url
):
    isolate_aws(monkeypatch, credentials=True)
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    assert closing(create_client())[0] == url
    assert closing(create_client(endpoint_url="http://127.0.0.1:3"))[0] == "http://127.0.0.1:3"


def test_an_unknown_profile_is_a_credentials_error(monkeypatch):
    isolate_aws(monkeypatch, credentials=True)
    with pytest.raises(CredentialsError, match="no AWS profile 'nope'"):
        create_client(profile="nope")


def test_no_region_is_a_usage_error(monkeypatch):
    isolate_aws(monkeypatch, credentials=True)
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    monkeypatch.delenv("AWS_REGION", raising=False)
    with pytest.raises(InputError, match="no AWS Region") as caught:
        create_client()
    assert "pass --region, set AWS_REGION or AWS_DEFAULT_REGION, or give the profile" in str(
        caught.value
    )


def test_the_client_retries_enough_and_pools_enough_connections(monkeypatch):
    isolate_aws(monkeypatch, credentials=True)
    client = create_client(concurrency=64, max_attempts=12)
    try:
        config = client.meta.config  # type: ignore[attr-defined]
        assert config.retries == {"mode": "standard", "total_max_attempts": 12}
        assert config.max_pool_connections == 64
    finally:
        client.close()  # type: ignore[attr-defined]


def sandbox_client(**options):
    return create_client(
        endpoint_url="http://127.0.0.1:9",
        region="us-east-1",
        credentials=SANDBOX_CREDENTIALS,
        **options,
    )


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"retry_mode": "eager"}, "unknown retry mode 'eager'"),
        ({"max_attempts": 0}, "--max-attempts must be at least 1, not 0"),
        ({"max_rps": 0.0}, "--max-rps must be positive, not 0.0"),
        ({"endpoint_url": "not a url"}, "bad --endpoint-url 'not a url'"),
    ],
)
def test_bad_client_settings_are_usage_errors(options, message):
    settings = {"endpoint_url": "http://127.0.0.1:9", **options}
    with pytest.raises(InputError, match=message) as caught:
        create_client(region="us-east-1", credentials=SANDBOX_CREDENTIALS, **settings)
    assert caught.value.exit_code == 2


def test_explicit_keys_need_nothing_from_the_environment(monkeypatch):
    isolate_aws(monkeypatch, credentials=False)
    client = sandbox_client(retry_mode="adaptive", max_attempts=3)
    try:
        config = client.meta.config  # type: ignore[attr-defined]
        assert config.retries == {"mode": "adaptive", "total_max_attempts": 3}
        assert client.meta.region_name == "us-east-1"  # type: ignore[attr-defined]
    finally:
        client.close()  # type: ignore[attr-defined]


def claimed(kind: str, body: dict, recipients: str | None = None) -> Claimed:
    return Claimed(1, 1, kind, json.dumps(body), recipients, 1, 1, 1, None)


def test_a_journaled_request_is_sent_with_the_call_of_its_kind():
    users_body = make_requests(["ana"])[0]
    endpoints_body = {
        "ApplicationId": APP,
        "MessageRequest": {"MessageConfiguration": SMS_ONLY, "Endpoints": {"ana-2": {}}},
    }
    client = ScriptedClient({"answer": 1}, {"answer": 2})

    sent_users, first = call(client, claimed("users", users_body))
    sent_endpoints, second = call(client, claimed("endpoints", endpoints_body, '{"ana-2": "ana"}'))

    assert [operation for operation, _ in client.calls] == ["SendUsersMessages", "SendMessages"]
    assert [kwargs for _, kwargs in client.calls] == [users_body, endpoints_body]
    assert (sent_users, sent_endpoints) == (users_body, endpoints_body)
    assert (first, second) == ({"answer": 1}, {"answer": 2})


def test_the_aws_request_id_is_read_from_the_answer():
    assert request_id({"ResponseMetadata": {"RequestId": "abc-123"}}) == "abc-123"
    assert request_id({"ResponseMetadata": {}}) is None
    assert request_id({}) is None


@pytest.mark.parametrize(
    ("status", "fix"),
    [
        (400, "check the rendered request with `pipeline render`"),
        (403, "mobiletargeting:SendUsersMessages"),
        (404, "check --app-id and --region"),
        (413, "7 MB limit"),
    ],
)
def test_refusals_say_what_to_fix(status, fix):
    failure = classify(client_error(status, "Refused", "no"), history=False)
    assert failure.fix is not None and fix in failure.fix
    assert (failure.retry, failure.maybe_processed) == (False, False)


@pytest.mark.parametrize("status", [429, 500, 503])
def test_throttling_and_server_errors_are_worth_another_try(status):
    failure = classify(client_error(status, "Busy", "later"), history=False)
    assert (failure.retry, failure.maybe_processed, failure.fix) == (True, False, None)
    assert failure.what == f"Pinpoint answered {status} Busy: later"


def test_the_client_does_not_validate_again_what_was_validated_at_render(sandbox, clients):
    client = client_for(clients, sandbox)
    malformed = {"Users": {"ana": {}}}  # no MessageConfiguration, which the API requires
    # boto3 would refuse this before sending (ParamValidationError); the service refuses it.
    with pytest.raises(botocore.exceptions.ClientError, match="BadRequestException"):
        client.send_users_messages(ApplicationId=APP, SendUsersMessageRequest=malformed)
    assert sandbox.requests_received == 1
