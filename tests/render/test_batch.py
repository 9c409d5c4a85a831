"""RequestBatcher: users packed into requests of at most 100 users, under the payload limit."""

import json

import pytest

from pipeline.api import Envelope, to_json
from pipeline.render.batch import RequestBatcher


def test_batcher_keeps_requests_under_the_payload_limit():
    from pipeline.api import Envelope

    envelope_body = {"MessageConfiguration": {"SMSMessage": {}}}
    key = json.dumps(envelope_body, separators=(",", ":"))
    envelope = Envelope(envelope_body, key, len(key))
    batcher = RequestBatcher("app", max_request_bytes=5_000)
    requests = []
    for number in range(40):
        config = {"BodyOverride": "é" * 300}
        requests.extend(batcher.add(envelope, f"u{number}", config, 6 * 310 + 40))
    requests.extend(batcher.flush())
    assert sum(len(r["SendUsersMessageRequest"]["Users"]) for r in requests) == 40
    for request in requests:
        assert (
            len(
                json.dumps(
                    request["SendUsersMessageRequest"], ensure_ascii=False, separators=(",", ":")
                ).encode()
            )
            <= 5_000
        )
    assert len(requests) > 1


def test_a_user_alone_over_the_payload_limit_is_an_error():
    from pipeline.api import Envelope
    from pipeline.errors import RequestError

    envelope = Envelope({"MessageConfiguration": {}}, "{}", 2)
    batcher = RequestBatcher("app", max_request_bytes=1_000)
    with pytest.raises(RequestError, match="over the 1,000-byte payload limit") as caught:
        batcher.add(envelope, "big", {"BodyOverride": "x" * 2_000}, 12_100)
    assert caught.value.user_id == "big"


def envelope(text: str) -> Envelope:
    body = {"MessageConfiguration": {"SMSMessage": {"Body": text}}, "Context": {"c": "1"}}
    key = to_json(body)
    return Envelope(body, key, len(key.encode()))


def ids(request):
    return list(request["SendUsersMessageRequest"]["Users"])


def test_a_request_is_emitted_by_the_add_that_fills_it():
    batcher = RequestBatcher("app-1")
    hello = envelope("Hello")
    for number in range(99):
        assert batcher.add(hello, f"u{number:03d}", {}, 20) == ()
    [full] = batcher.add(hello, "u099", {}, 20)
    assert ids(full) == [f"u{number:03d}" for number in range(100)]
    assert batcher.add(hello, "u100", {}, 20) == ()
    [rest] = batcher.flush()
    assert ids(rest) == ["u100"]


def test_a_request_is_the_envelope_then_its_users():
    batcher = RequestBatcher("app-1", max_users=2)
    hello = envelope("Hello")
    batcher.add(hello, "a", {"BodyOverride": "A"}, 40)
    [request] = batcher.add(hello, "b", {}, 20)
    assert request == {
        "ApplicationId": "app-1",
        "SendUsersMessageRequest": {
            "MessageConfiguration": {"SMSMessage": {"Body": "Hello"}},
            "Context": {"c": "1"},
            "Users": {"a": {"BodyOverride": "A"}, "b": {}},
        },
    }
    assert list(request["SendUsersMessageRequest"])[-1] == "Users"


def test_envelopes_never_share_a_request_and_keep_audience_order():
    batcher = RequestBatcher("app-1", max_users=3)
    hello, salut = envelope("Hello"), envelope("Salut")
    emitted = []
    for number, chosen in enumerate([hello, salut, salut, hello, salut, hello, hello, salut]):
        emitted.extend(batcher.add(chosen, f"u{number}", {}, 20))
    emitted.extend(batcher.flush())
    bodies = [
        (r["SendUsersMessageRequest"]["MessageConfiguration"]["SMSMessage"]["Body"], ids(r))
        for r in emitted
    ]
    # Full requests as soon as they fill; then partial ones in the order their envelope
    # first appeared (hello before salut).
    assert bodies == [
        ("Salut", ["u1", "u2", "u4"]),
        ("Hello", ["u0", "u3", "u5"]),
        ("Hello", ["u6"]),
        ("Salut", ["u7"]),
    ]
    assert list(batcher.flush()) == []


def test_a_pessimistic_size_bound_does_not_split_a_request_that_fits():
    batcher = RequestBatcher("app-1", max_request_bytes=1_000)
    hello = envelope("Hello")
    emitted = []
    for number in range(8):
        # Each bound alone is 40% of the limit; the users' real text is a few bytes.
        emitted.extend(batcher.add(hello, f"u{number}", {"BodyOverride": "hi"}, 400))
    emitted.extend(batcher.flush())
    assert [len(ids(r)) for r in emitted] == [8]


def test_a_user_that_does_not_fit_starts_the_next_request():
    batcher = RequestBatcher("app-1", max_request_bytes=1_000)
    hello = envelope("Hello")
    emitted = []
    for number in range(5):
        config = {"BodyOverride": "x" * 300}
        emitted.extend(batcher.add(hello, f"u{number}", config, len(to_json(config)) + 10))
    emitted.extend(batcher.flush())
    assert [ids(r) for r in emitted] == [["u0", "u1"], ["u2", "u3"], ["u4"]]
    for request in emitted:
        assert len(to_json(request["SendUsersMessageRequest"]).encode()) <= 1_000
