"""RequestBatcher: users packed into requests of at most 100 users, under the payload limit."""

import json

import pytest

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
