"""The boto3 client: credentials, Region, retries, pacing, and what its errors mean."""

from __future__ import annotations

import time

import botocore.exceptions
import pytest

from pipeline.errors import InputError
from pipeline.sandbox import Sandbox
from pipeline.send.client import CredentialsError, classify, create_client
from tests.send.support import (
    client_error,
    client_for,
    isolate_aws,
    make_requests,
    send_all,
    user_ids,
)


def test_max_rps_paces_the_calls(journal, clients):
    with Sandbox() as sandbox:
        client = client_for(clients, sandbox, max_rps=20.0)
        started = time.monotonic()
        send_all(journal, make_requests(user_ids(10), 1), client)
        elapsed = time.monotonic() - started
    assert elapsed >= 9 / 20


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
