"""The HTTP server: routes, the payload limit, keep-alive, latency, a prompt stop."""

from __future__ import annotations

import socket
import socketserver
import threading
import time
from typing import Any

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


def test_keep_alive_connections_have_nagle_off_and_answers_in_one_write(
    sandbox: Sandbox, make_client: MakeClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # With Nagle's algorithm on and an answer written in pieces, each request of a
    # keep-alive connection stalls ~40 ms on delayed ACKs. Checked as properties of the
    # server's sockets and writes, not by timing a busy machine.
    writes: list[int] = []
    original = socketserver._SocketWriter.write  # the handler's unbuffered socket writer

    def counting(self: Any, data: Any) -> int:
        writes.append(len(data))
        return original(self, data)

    monkeypatch.setattr(socketserver._SocketWriter, "write", counting)
    client = make_client(sandbox.url)
    for i in range(5):
        send(client, {f"u{i}": {}})
    assert len(writes) == 5  # one write per answer, head and body together
    server = sandbox._server
    assert server is not None
    with server._connections_lock:
        connections = list(server._connections)
    assert connections
    assert all(c.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) for c in connections)


def test_latency_holds_back_the_answer_and_stop_is_prompt_with_open_connections(
    make_client: MakeClient,
) -> None:
    sandbox = Sandbox(faults=Faults(latency=0.2)).start()
    try:
        client = make_client(sandbox.url)
        started = time.perf_counter()
        send(client, {"ana": {}})
        assert time.perf_counter() - started >= 0.2  # a lower bound: a busy machine only adds
    finally:
        stopper = threading.Thread(target=sandbox.stop)
        stopper.start()  # the client's keep-alive connection is still open
        stopper.join(timeout=60)  # a guard against a hang, not a measure of speed
    assert not stopper.is_alive()
    assert len(sandbox.deliveries()) == 1


