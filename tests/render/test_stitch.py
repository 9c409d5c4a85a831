"""RequestStitcher: requests stitched from chunks equal RequestBatcher's, byte for byte."""

import random

import pytest

from pipeline.api import Envelope, encode_request, to_json
from pipeline.errors import RequestError
from pipeline.render.batch import RequestBatcher
from pipeline.render.fragments import EnvelopeUsers, RenderedChunk
from pipeline.render.stitch import RequestStitcher


def envelope(name):
    body = {"MessageConfiguration": {"SMSMessage": {"Body": name}}}
    key = to_json(body)
    return Envelope(body, key, len(key.encode()))


def chunked(users, cuts):
    """Users (envelope, id, config, bound) cut into chunks the way a worker groups them."""
    chunks, start = [], 0
    for number, stop in enumerate([*cuts, len(users)]):
        chunk = RenderedChunk(number)
        groups = {}
        for position, (env, user_id, config, bound) in enumerate(users[start:stop]):
            chunk.read.ids.append(user_id)
            group = groups.get(env.key)
            if group is None:
                group = groups[env.key] = (EnvelopeUsers(env.key, env.size), [])
            text = (to_json(user_id) + ":" + to_json(config)).encode()
            group[1].append(text)
            group[0].ends.append(len(b",".join(group[1])))
            group[0].max_bytes.append(bound)
            group[0].positions.append(position)
        for users_of_envelope, texts in groups.values():
            users_of_envelope.text = b",".join(texts)
            chunk.envelopes.append(users_of_envelope)
        chunks.append(chunk)
        start = stop
    return chunks


def batched(users, app_id="app", **limits):
    batcher = RequestBatcher(app_id, **limits)
    out = []
    for env, user_id, config, bound in users:
        out.extend(batcher.add(env, user_id, config, bound))
    out.extend(batcher.flush())
    return [encode_request(request) for request in out]


def stitched(users, cuts, app_id="app", **limits):
    stitcher = RequestStitcher(app_id, **limits)
    out = []
    for chunk in chunked(users, cuts):
        out.extend(stitcher.add(chunk))
    out.extend(stitcher.flush())
    return [request.text for request in out]


def random_users(seed, count, envelopes, long_texts):
    rng = random.Random(seed)
    users = []
    for n in range(count):
        text = "é" * rng.randrange(0, 120 if long_texts else 10)
        bound = 6 * (len(text) + 8) + 40
        users.append((rng.choice(envelopes), f"u-{n}", {"BodyOverride": text}, bound))
    return users


@pytest.mark.parametrize("seed", range(12))
def test_stitched_requests_are_the_batchers_in_its_order(seed):
    rng = random.Random(seed)
    envelopes = [envelope(name) for name in ("en", "fr", "es")[: rng.randrange(1, 4)]]
    long_texts = seed % 2 == 0  # near the size limit, users are added one by one
    users = random_users(seed, rng.randrange(1, 160), envelopes, long_texts)
    cuts = sorted(rng.sample(range(1, len(users) + 1), min(len(users), rng.randrange(0, 9))))
    limits = {"max_users": rng.randrange(1, 12), "max_request_bytes": rng.randrange(900, 4_000)}
    assert stitched(users, cuts, **limits) == batched(users, **limits)


def test_with_the_real_limits_a_chunk_is_joined_a_run_at_a_time():
    envelopes = [envelope("en"), envelope("fr")]
    users = random_users(99, 1_000, envelopes, long_texts=False)
    assert stitched(users, [137, 500, 501, 999]) == batched(users)


def test_a_user_alone_over_the_limit_is_the_batchers_error():
    big = (envelope("en"), "big", {"BodyOverride": "x" * 2_000}, 12_100)
    users = [(envelope("en"), "a", {"BodyOverride": "a"}, 60), big]
    with pytest.raises(RequestError) as expected:
        batched(users, max_request_bytes=1_000)
    with pytest.raises(RequestError) as got:
        stitched(users, [1], max_request_bytes=1_000)
    assert str(got.value) == str(expected.value)
    assert got.value.user_id == "big"


def test_users_from_a_place_on_are_left_out():
    users = random_users(3, 30, [envelope("en")], long_texts=False)
    stitcher = RequestStitcher("app", max_users=4)
    [chunk] = chunked(users, [])
    requests = stitcher.add(chunk, before=10) + stitcher.flush()
    assert [request.users for request in requests] == [4, 4, 2]


@pytest.mark.parametrize(
    ("app_id", "name"), [("app\u2029", "en"), ("app", "line\u2028sep"), ("app", "en")]
)
def test_a_line_separator_in_the_app_id_or_the_envelope_is_escaped_as_the_batcher_does(
    app_id, name
):
    users = random_users(5, 40, [envelope(name), envelope("fr")], long_texts=False)
    got = stitched(users, [17], app_id=app_id, max_users=7)
    assert got == batched(users, app_id=app_id, max_users=7)
    assert not any("\u2028" in line or "\u2029" in line for line in got)
