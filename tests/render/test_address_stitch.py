"""AddressPacker: SendMessages requests packed from text are AddressBatcher's, byte for byte."""

import random

import pytest

from pipeline.api import Envelope, encode_request, to_json
from pipeline.audience import User
from pipeline.errors import RequestError
from pipeline.render.address_batch import (
    AddressBatcher,
    AddressedRequest,
    address_entries,
    entries_bound,
)
from pipeline.render.address_stitch import AddressPacker


def envelope(text):
    body = {"MessageConfiguration": {"SMSMessage": {"Body": text}}}
    key = to_json(body)
    return Envelope(body, key, len(key.encode()))


ENVELOPES = [envelope("Hi"), envelope("Hola"), envelope("Grüß dich \u2028")]


def rendered_users(count, seed):
    """Users as a render leaves them: envelope, user, configuration and its size bound."""
    rng = random.Random(seed)
    users = []
    for n in range(count):
        channels = rng.choice([(), ("SMS",), ("SMS", "APNS"), ("SMS", "APNS", "GCM")])
        addresses = tuple((channel, f"{channel.lower()}-{n}") for channel in channels)
        configuration = {"Substitutions": {"Name": ["Zoë" * rng.randint(0, 40)]}}
        max_bytes = len(to_json(configuration).encode()) + rng.randint(0, 30)
        users.append((rng.choice(ENVELOPES), User(f"u-{n}", {}, n + 1, addresses), configuration, max_bytes))
    return users


def by_batcher(users, **limits):
    batcher = AddressBatcher("app-1", **limits)
    out = []
    for envelope_, user, configuration, max_bytes in users:
        out.extend(batcher.add(envelope_, user, configuration, max_bytes))
    out.extend(batcher.flush())
    return [
        (encode_request(item.request), item.owners) if isinstance(item, AddressedRequest)
        else ("unaddressed", item.user_ids)
        for item in out
    ]


def by_packer(users, **limits):
    packer = AddressPacker("app-1", **limits)
    out = []
    for envelope_, user, configuration, max_bytes in users:
        entries = address_entries(user, configuration)
        piece = to_json(entries)[1:-1]
        encoded = (0, user.id, tuple(entries), piece, len(piece.encode()), entries_bound(entries, max_bytes))
        if not user.addresses:
            encoded = (0, user.id, (), "", 0, 0)
        out.extend(packer.add(envelope_.key, envelope_.size, encoded))
    out.extend(packer.flush())
    return [
        ("unaddressed", item.user_ids) if not hasattr(item, "text") else (item.text, item.owners)
        for item in out
    ]


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize(
    "limits",
    [
        {},
        {"max_addresses": 7},
        {"max_request_bytes": 2_000},  # near the limit: the exact sizes decide
        {"max_request_bytes": 900, "max_addresses": 5},
    ],
)
def test_the_packer_makes_the_batchers_requests_byte_for_byte(seed, limits):
    users = rendered_users(600, seed)
    expected = by_batcher(users, **limits)
    assert len(expected) > 10
    assert by_packer(users, **limits) == expected


def test_a_user_over_the_limit_alone_is_refused_as_the_batcher_refuses_it():
    users = rendered_users(50, 1)
    users[30][2]["Substitutions"]["Name"] = ["x" * 5_000]
    with pytest.raises(RequestError) as batcher_error:
        by_batcher(users, max_request_bytes=3_000)
    with pytest.raises(RequestError) as packer_error:
        by_packer(users, max_request_bytes=3_000)
    assert str(packer_error.value) == str(batcher_error.value)
    assert "u-30" in str(packer_error.value)
