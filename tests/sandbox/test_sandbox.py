"""Sandbox as a library object: what it delivered, counted per user and endpoint."""

from __future__ import annotations

import threading

from pipeline.sandbox import Sandbox, synthetic_endpoints
from tests.sandbox.support import MakeClient, send


def test_sending_twice_counts_twice(sandbox: Sandbox, make_client: MakeClient) -> None:
    client = make_client(sandbox.url)
    send(client, {"ana": {}, "bob": {}})
    send(client, {"ana": {}})
    sms_of = {user: synthetic_endpoints(user, ["SMS"])[0].id for user in ("ana", "bob")}
    assert sandbox.delivery_counts() == {("ana", sms_of["ana"]): 2, ("bob", sms_of["bob"]): 1}
    assert [d.user_id for d in sandbox.deliveries()] == ["ana", "bob", "ana"]


def test_a_hold_after_a_count_lets_exactly_that_many_through(
    sandbox: Sandbox, make_client: MakeClient
) -> None:
    client = make_client(sandbox.url)
    sandbox.hold(after=2)
    send(client, {"ana": {}})
    send(client, {"bob": {}})  # the second call is still let through
    held = threading.Thread(target=send, args=(client, {"cy": {}}))
    held.start()
    sandbox.wait_until_held(1)
    assert [d.user_id for d in sandbox.deliveries()] == ["ana", "bob"]
    sandbox.release()
    held.join()
    assert [d.user_id for d in sandbox.deliveries()] == ["ana", "bob", "cy"]
