"""AddressBatcher: rendered users packed into SendMessages requests to their addresses."""

import pytest

from pipeline.api import Envelope, to_json, validation_errors
from pipeline.audience import User
from pipeline.errors import RequestError
from pipeline.render.address_batch import AddressBatcher, AddressedRequest, Unaddressed


def envelope(text: str) -> Envelope:
    body = {"MessageConfiguration": {"SMSMessage": {"Body": text}}, "Context": {"c": "1"}}
    key = to_json(body)
    return Envelope(body, key, len(key.encode()))


def user(user_id, *addresses):
    return User(user_id, {"id": user_id}, 0, tuple(addresses))


def config(user_id):
    return {"Substitutions": {"Name": [user_id]}}


def add_all(batcher, users, env=None, size=200):
    env = env or envelope("Hi {{Name}}")
    items = []
    for each in users:
        items.extend(batcher.add(env, each, config(each.id), size))
    items.extend(batcher.flush())
    return items


def requests_of(items):
    return [item for item in items if isinstance(item, AddressedRequest)]


def test_each_address_gets_the_users_configuration_plus_its_channel_type():
    items = add_all(
        AddressBatcher("app-1"),
        [user("ana", ("SMS", "+1555"), ("APNS_SANDBOX", "tok-a")), user("bo", ("GCM", "tok-b"))],
    )
    [item] = items
    assert item.request == {
        "ApplicationId": "app-1",
        "MessageRequest": {
            "MessageConfiguration": {"SMSMessage": {"Body": "Hi {{Name}}"}},
            "Context": {"c": "1"},
            "Addresses": {
                "+1555": {"ChannelType": "SMS", "Substitutions": {"Name": ["ana"]}},
                "tok-a": {"ChannelType": "APNS_SANDBOX", "Substitutions": {"Name": ["ana"]}},
                "tok-b": {"ChannelType": "GCM", "Substitutions": {"Name": ["bo"]}},
            },
        },
    }
    assert item.owners == {"+1555": "ana", "tok-a": "ana", "tok-b": "bo"}
    assert validation_errors(item.request) is None


def test_requests_hold_at_most_100_addresses_and_a_users_addresses_stay_together():
    users = [user(f"u{n}", ("SMS", f"+1{n}")) for n in range(98)]
    users.append(user("three", ("SMS", "+a"), ("GCM", "g"), ("APNS", "p")))
    users.extend(user(f"v{n}", ("SMS", f"+2{n}")) for n in range(150))
    requests = requests_of(add_all(AddressBatcher("app"), users))
    sizes = [len(r.request["MessageRequest"]["Addresses"]) for r in requests]
    assert sizes == [98, 100, 53]  # "three" opens the second request rather than split
    assert set(requests[1].owners.values()) >= {"three"}
    assert list(requests[1].owners)[:3] == ["+a", "g", "p"]


def test_a_request_is_emitted_by_the_add_that_fills_it():
    batcher = AddressBatcher("app")
    hello = envelope("Hello")
    for n in range(99):
        assert batcher.add(hello, user(f"u{n}", ("SMS", f"+{n}")), config("x"), 100) == ()
    [full] = batcher.add(hello, user("last", ("SMS", "+last")), config("x"), 100)
    assert len(full.owners) == 100
    assert list(batcher.flush()) == []


def test_users_of_different_envelopes_never_share_a_request():
    batcher = AddressBatcher("app")
    batcher.add(envelope("Hello"), user("a", ("SMS", "+1")), config("a"), 100)
    batcher.add(envelope("Bonjour"), user("b", ("SMS", "+2")), config("b"), 100)
    batcher.add(envelope("Hello"), user("c", ("SMS", "+3")), config("c"), 100)
    items = list(batcher.flush())
    assert [list(item.owners.values()) for item in items] == [["a", "c"], ["b"]]


def test_users_without_addresses_come_out_apart_in_hundreds():
    users = [user(f"n{n}") for n in range(150)] + [user("ana", ("SMS", "+1"))]
    items = add_all(AddressBatcher("app"), users)
    unaddressed = [item for item in items if isinstance(item, Unaddressed)]
    assert [len(item.user_ids) for item in unaddressed] == [100, 50]
    assert unaddressed[0].user_ids[:2] == ("n0", "n1")
    assert [r.owners for r in requests_of(items)] == [{"+1": "ana"}]


def test_requests_stay_under_the_payload_limit():
    big = {"BodyOverride": "é" * 300}
    batcher = AddressBatcher("app", max_request_bytes=5_000)
    items = []
    env = envelope("x")
    for n in range(30):
        each = user(f"u{n}", ("SMS", f"+1{n}"), ("GCM", f"tok-{n}"))
        items.extend(batcher.add(env, each, big, 6 * 310 + 40))
    items.extend(batcher.flush())
    requests = requests_of(items)
    assert len(requests) > 1
    assert sum(len(r.owners) for r in requests) == 60
    for request in requests:
        assert len(to_json(request.request["MessageRequest"]).encode()) <= 5_000
        assert len(set(request.owners.values())) * 2 == len(request.owners)  # users whole


def test_a_user_whose_addresses_alone_are_over_the_limit_is_an_error():
    batcher = AddressBatcher("app", max_request_bytes=1_000)
    many = user("big", *[("APNS", f"token-{n}") for n in range(20)])
    with pytest.raises(RequestError, match=r"\(20 addresses\) is [\d,]+ bytes, over the 1,000"):
        batcher.add(envelope("x"), many, {"BodyOverride": "x" * 60}, 400)
