"""The HTTP server: routes, the payload limit, keep-alive, latency, a prompt stop."""

from __future__ import annotations

import time

import pytest

from pipeline.sandbox import Faults, Sandbox
from tests.sandbox.support import APP, MakeClient, raw_request, send


def test_unknown_path_is_not_found_in_boto3(sandbox: Sandbox, make_client: MakeClient) -> None:
    client = make_client(sandbox.url + "/elsewhere")
    with pytest.raises(client.exceptions.NotFoundException):
        send(client, {"ana": {}})


def test_wrong_method_is_not_allowed(sandbox: Sandbox) -> None:
    status, headers, _ = raw_request(sandbox.url, "GET", f"/v1/apps/{APP}/users-messages")
    assert status == 405
    assert headers["x-amzn-ErrorType"] == "MethodNotAllowedException"


def test_payload_over_7_mb_is_too_large_in_boto3(sandbox: Sandbox, make_client: MakeClient) -> None:
    client = make_client(sandbox.url)
    with pytest.raises(client.exceptions.PayloadTooLargeException):
        send(client, {"ana": {"BodyOverride": "x" * (7 * 1024 * 1024 + 1)}})
    assert sandbox.deliveries() == []
    send(client, {"ana": {}})  # the connection is still usable
    assert len(sandbox.deliveries()) == 1


def test_keep_alive_requests_do_not_stall(sandbox: Sandbox, make_client: MakeClient) -> None:
    client = make_client(sandbox.url)
    send(client, {"warm": {}})
    started = time.perf_counter()
    for i in range(20):
        send(client, {f"u{i}": {}})
    # With Nagle's algorithm and a response written in pieces, each request takes ~40 ms.
    assert time.perf_counter() - started < 0.6


def test_latency_is_added_and_stop_is_prompt_with_open_connections(
    make_client: MakeClient,
) -> None:
    sandbox = Sandbox(faults=Faults(latency=0.2)).start()
    try:
        client = make_client(sandbox.url)
        started = time.perf_counter()
        send(client, {"ana": {}})
        assert time.perf_counter() - started >= 0.2
    finally:
        started = time.perf_counter()
        sandbox.stop()  # the client's keep-alive connection is still open
    assert time.perf_counter() - started < 1.0
    assert len(sandbox.deliveries()) == 1
