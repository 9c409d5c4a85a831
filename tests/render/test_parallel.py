"""render_lines: a render spread over worker processes is the one-process render, byte for byte."""

import json
import random

import pytest

import pipeline.chunks
from pipeline.api import MESSAGES_API, EncodedRequest, encode_request
from pipeline.errors import AudienceError, RequestError, TemplateError
from pipeline.render.address_batch import AddressedRequest
from pipeline.render.parallel import render_lines
from pipeline.shard import Shard
from tests.render.support import NOW, project, render

MESSAGE = """
    MessageConfiguration:
      SMSMessage: {Body: "{{ 'Hola' if locale == 'es' else 'Hi' }} {{ sub('Name') }}"}
      APNSMessage: {Title: "{{ locale }}", Body: "x"}
    PerUser:
      Substitutions:
        Name: "{{ user.name }}"
      TitleOverride: "{{ user.name }}, {{ user.n }}"
"""


def audience_users(count, seed=1):
    rng = random.Random(seed)
    # Locales chosen at random: requests of different envelopes interleave in the output,
    # and es and es-MX render alike, so they share requests.
    locales = ["en", "fr", "es", "es-MX", "de"]
    return [
        {
            "id": f"u-{n:04d}",
            # A few names hold a line separator, which only their requests escape.
            "name": "Li\u2028ne" if n % 50 == 7 else rng.choice(["Ana", "Zoë", "田中"]),
            "n": n,
            "locale": rng.choice(locales),
        }
        for n in range(count)
    ]


def as_jsonl(users):
    return "".join(json.dumps(user, ensure_ascii=False) + "\n" for user in users)


def as_csv(users):
    rows = [f'{u["id"]},"{u["name"]}, ""the"" user",{u["n"]},{u["locale"]}' for u in users]
    return "id,name,n,locale\n" + "".join(row + "\n" for row in rows)


def as_yaml(users):
    return "users:\n" + "".join(f"  - {json.dumps(u, ensure_ascii=False)}\n" for u in users)


@pytest.fixture
def small_chunks(monkeypatch):
    """Chunks of a few users, so that a small audience is many chunks."""
    monkeypatch.setattr(pipeline.chunks, "CHUNK_BYTES", 700)
    monkeypatch.setattr(pipeline.chunks, "CHUNK_USERS", 7)


def lines(root, audience, **options):
    options.setdefault("now", NOW)
    return [r.text for r in render_lines("m", audience, app_id="app-1", root=root, **options)]


@pytest.mark.parametrize(
    ("name", "write"), [("a.jsonl", as_jsonl), ("a.csv", as_csv), ("a.yaml", as_yaml)]
)
def test_any_number_of_workers_renders_the_same_bytes(tmp_path, small_chunks, name, write):
    root = project(tmp_path, MESSAGE, **{f"audiences/{name}": write(audience_users(1_234))})
    one = [encode_request(request) for request in render(root, audience=name)]
    assert len(one) > 13  # full requests, and partial ones of each envelope
    assert lines(root, name, workers=1) == one
    assert lines(root, name, workers=2) == one
    assert lines(root, name, workers=3) == one


def test_the_union_of_the_shards_is_the_whole_render_user_by_user(tmp_path, small_chunks):
    root = project(tmp_path, MESSAGE, **{"audiences/a.jsonl": as_jsonl(audience_users(900))})
    whole = users_by_id(lines(root, "a.jsonl", workers=1))
    union: dict[str, object] = {}
    for index in (1, 2, 3):
        shard = Shard(index, 3)
        part = users_by_id(lines(root, "a.jsonl", workers=2, shard=shard))
        assert all(shard.contains(user) for user in part)
        assert not union.keys() & part.keys()
        union.update(part)
        # The same shard renders alike in one process and in several.
        assert lines(root, "a.jsonl", workers=1, shard=shard) == lines(
            root, "a.jsonl", workers=3, shard=shard
        )
    assert union == whole


def users_by_id(texts):
    return {
        user: config
        for text in texts
        for user, config in json.loads(text)["SendUsersMessageRequest"]["Users"].items()
    }


def error_of(root, audience, workers, **options):
    with pytest.raises((AudienceError, TemplateError)) as caught:
        lines(root, audience, workers=workers, **options)
    return type(caught.value), str(caught.value)


def test_an_id_repeated_chunks_apart_names_both_lines(tmp_path, small_chunks):
    users = audience_users(300)
    users[250]["id"] = users[3]["id"]
    root = project(tmp_path, MESSAGE, **{"audiences/a.jsonl": as_jsonl(users)})
    kind, text = error_of(root, "a.jsonl", workers=3)
    assert kind is AudienceError
    assert "a.jsonl:251: duplicate user id 'u-0003', first at line 4" in text
    assert (kind, text) == error_of(root, "a.jsonl", workers=1)


@pytest.mark.parametrize(
    "break_it",
    [
        lambda users: users.insert(200, "not json"),
        lambda users: users[200].pop("name"),  # undefined value in PerUser
        lambda users: users[200].update(id=""),
    ],
)
def test_the_first_error_in_audience_order_is_the_one_raised(tmp_path, small_chunks, break_it):
    users = audience_users(400)
    users[260].pop("name")  # a later error, in a later chunk: never the one reported
    break_it(users)
    text = "".join(u if isinstance(u, str) else json.dumps(u) + "\n" for u in users)
    text = text.replace("not json", "not json\n")
    root = project(tmp_path, MESSAGE, **{"audiences/a.jsonl": text})
    assert error_of(root, "a.jsonl", workers=3) == error_of(root, "a.jsonl", workers=1)


def test_a_repeated_id_before_a_failing_user_is_reported_first(tmp_path, small_chunks):
    users = audience_users(300)
    users[240]["id"] = users[1]["id"]
    users[241].pop("name")
    root = project(tmp_path, MESSAGE, **{"audiences/a.jsonl": as_jsonl(users)})
    kind, text = error_of(root, "a.jsonl", workers=2)
    assert "duplicate user id 'u-0001'" in text
    assert (kind, text) == error_of(root, "a.jsonl", workers=1)


def test_an_audience_without_users_is_an_error_in_parallel_too(tmp_path, small_chunks):
    root = project(tmp_path, MESSAGE, **{"audiences/a.jsonl": "\n" * 2_000})
    assert error_of(root, "a.jsonl", workers=2) == error_of(root, "a.jsonl", workers=1)


def test_an_empty_shard_renders_nothing(tmp_path):
    root = project(tmp_path, MESSAGE, **{"audiences/a.jsonl": as_jsonl(audience_users(1))})
    owner = next(index for index in (1, 2) if Shard(index, 2).contains("u-0000"))
    assert lines(root, "a.jsonl", shard=Shard(3 - owner, 2)) == []


def test_an_address_listed_twice_chunks_apart_is_refused_as_one_process_refuses_it(
    tmp_path, small_chunks
):
    users = audience_users(300)
    for user in users:
        user["addresses"] = {"SMS": f"+1555{user['n']:07d}"}
    users[250]["addresses"] = {"SMS": "+15550000003"}  # u-0003's, chunks before
    root = project(tmp_path, MESSAGE, **{"audiences/a.jsonl": as_jsonl(users)})
    kind, text = error_of(root, "a.jsonl", workers=3)
    assert "address '+15550000003' (SMS) is also listed for user 'u-0003'" in text
    assert (kind, text) == error_of(root, "a.jsonl", workers=1)
    # Two shards would message that person twice: every shard refuses the audience.
    for index in (1, 2):
        assert error_of(root, "a.jsonl", workers=2, shard=Shard(index, 2))[1] == text


def with_addresses(users):
    """Users with one to three addresses each, and now and then none."""
    for user in users:
        n = user["n"]
        if n % 11 == 0:
            continue  # no address: in no request, reported as unaddressed
        addresses = {"SMS": f"+1555{n:07d}"}
        if n % 3:
            addresses["APNS"] = f"{n:064x}"
        if n % 5 == 0:
            addresses["GCM"] = f"gcm-token-{n}"
        user["addresses"] = addresses
    return users


def messages_items(root, audience, **options):
    """SendMessages output as comparable values: each request's text and owners, or users."""
    options.setdefault("now", NOW)
    items = render_lines("m", audience, app_id="app-1", root=root, api=MESSAGES_API, **options)
    values = []
    for item in items:
        if isinstance(item, AddressedRequest):  # packed in one process
            values.append((encode_request(item.request), item.owners))
        elif isinstance(item, EncodedRequest):  # packed as text from the workers' pieces
            assert item.users == len(set(item.owners.values()))
            values.append((item.text, item.owners))
        else:
            values.append(("unaddressed", item.user_ids))
    return values


@pytest.mark.parametrize(("name", "write"), [("a.jsonl", as_jsonl), ("a.yaml", as_yaml)])
def test_a_send_messages_render_on_workers_is_the_one_process_render(
    tmp_path, small_chunks, name, write
):
    users = with_addresses(audience_users(1_234))
    root = project(tmp_path, MESSAGE, **{f"audiences/{name}": write(users)})
    one = messages_items(root, name, workers=1)
    assert sum(1 for text, _ in one if text == "unaddressed") >= 1
    assert len(one) > 20  # full requests, partial ones of each envelope, the unaddressed
    assert messages_items(root, name, workers=2) == one
    assert messages_items(root, name, workers=3) == one


def test_send_messages_shards_on_workers_split_the_addresses_of_the_whole_render(
    tmp_path, small_chunks
):
    users = with_addresses(audience_users(900))
    root = project(tmp_path, MESSAGE, **{"audiences/a.jsonl": as_jsonl(users)})
    whole = {
        address: owner
        for text, owners in messages_items(root, "a.jsonl", workers=1)
        if text != "unaddressed"
        for address, owner in owners.items()
    }
    union: dict[str, str] = {}
    for index in (1, 2, 3):
        shard = Shard(index, 3)
        part = messages_items(root, "a.jsonl", workers=2, shard=shard)
        assert part == messages_items(root, "a.jsonl", workers=1, shard=shard)
        owners = {a: o for text, own in part if text != "unaddressed" for a, o in own.items()}
        assert all(shard.contains(owner) for owner in owners.values())
        assert not union.keys() & owners.keys()
        union.update(owners)
    assert union == whole


def messages_error_of(root, audience, workers):
    with pytest.raises((AudienceError, TemplateError, RequestError)) as caught:
        messages_items(root, audience, workers=workers)
    return type(caught.value), str(caught.value)


@pytest.mark.parametrize(
    "break_it",
    [
        lambda users: users[200].pop("name"),  # undefined value in PerUser
        lambda users: users[250].update(id=users[3]["id"]),  # an id repeated chunks apart
        lambda users: users[250].update(addresses={"SMS": "+15550000004"}),  # u-0004's
        lambda users: users[200].update(addresses={"FAX": "+15550000200"}),  # no such channel
    ],
)
def test_a_send_messages_render_on_workers_stops_at_the_first_error_as_one_process(
    tmp_path, small_chunks, break_it
):
    users = with_addresses(audience_users(400))
    users[300].pop("name")  # a later error, in a later chunk: never the one reported
    break_it(users)
    root = project(tmp_path, MESSAGE, **{"audiences/a.jsonl": as_jsonl(users)})
    kind, text = messages_error_of(root, "a.jsonl", workers=3)
    assert (kind, text) == messages_error_of(root, "a.jsonl", workers=1)
    assert "u-0300" not in text  # not the later error
