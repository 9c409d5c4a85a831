"""Users' addresses, read from each audience format and checked at load."""

import json

import pytest

from pipeline.addresses import AddressBook, read_addresses
from pipeline.audience import load_audience
from pipeline.errors import AddressError, AudienceError
from tests.helpers import build_tree


def addresses_of(path):
    return [(user.id, user.addresses) for user in load_audience(path).users()]


def test_three_formats_give_the_same_addresses(tmp_path):
    build_tree(
        tmp_path,
        {
            "a.yaml": """
                users:
                  - id: u-1
                    addresses: {SMS: "+15550100001", APNS_SANDBOX: [tok-1, tok-2]}
                  - {id: u-2}
                  - {id: u-3, addresses: {EMAIL: bo@example.com, SMS: []}}
            """,
            "a.jsonl": json.dumps(
                {
                    "id": "u-1",
                    "addresses": {"SMS": "+15550100001", "APNS_SANDBOX": ["tok-1", "tok-2"]},
                }
            )
            + '\n{"id": "u-2"}\n{"id": "u-3", "addresses": {"EMAIL": "bo@example.com", "SMS": null}}\n',
            # One address per cell, so CSV holds one address per channel: u-1's second
            # token cannot be written.
            "a.csv": "id,addresses.SMS,addresses.APNS_SANDBOX,addresses.EMAIL\n"
            "u-1,+15550100001,tok-1,\n"
            "u-2,,,\n"
            "u-3,,,bo@example.com\n",
        },
    )
    expected = [
        ("u-1", (("SMS", "+15550100001"), ("APNS_SANDBOX", "tok-1"), ("APNS_SANDBOX", "tok-2"))),
        ("u-2", ()),
        ("u-3", (("EMAIL", "bo@example.com"),)),
    ]
    assert addresses_of(tmp_path / "a.yaml") == expected
    assert addresses_of(tmp_path / "a.jsonl") == expected
    csv_expected = [expected[0][:1] + (expected[0][1][:2],), *expected[1:]]
    assert addresses_of(tmp_path / "a.csv") == csv_expected


def test_csv_address_columns_become_one_addresses_attribute(tmp_path):
    path = build_tree(tmp_path, {"a.csv": "id,name,addresses.SMS\nu-1,Ana,+1555\nu-2,Bo,\n"})
    users = list(load_audience(path / "a.csv").users())
    assert users[0].attributes == {"id": "u-1", "name": "Ana", "addresses": {"SMS": ["+1555"]}}
    assert users[1].attributes == {"id": "u-2", "name": "Bo"}


def test_the_raw_addresses_stay_an_attribute_and_reading_twice_gives_the_same(tmp_path):
    path = build_tree(tmp_path, {"a.yaml": "users:\n  - {id: a, addresses: {SMS: '+1'}}\n"})
    audience = load_audience(path / "a.yaml")
    first = list(audience.users())
    again = list(audience.users())  # a YAML audience is read from the same parsed list
    assert first == again
    assert first[0].attributes["addresses"] == {"SMS": "+1"}


@pytest.mark.parametrize(
    ("name", "content", "pattern"),
    [
        (
            "d.jsonl",
            '{"id": "a", "addresses": {"SMS": "+1"}}\n{"id": "b"}\n'
            '{"id": "c", "addresses": {"VOICE": ["+2", "+1"]}}\n',
            r"d\.jsonl:3: address '\+1' \(VOICE\) is also listed for user 'a' at line 1 "
            r"\(user 'c'\)",
        ),
        (
            "d.yaml",
            "users:\n  - {id: a, addresses: {SMS: '+1'}}\n  - {id: b}\n"
            "  - {id: c, addresses: {SMS: '+1'}}\n",
            r"d\.yaml:4: address '\+1' \(SMS\) is also listed for user 'a' at line 2",
        ),
        (
            "d.csv",
            "id,addresses.SMS,addresses.APNS\na,+1,tok\nb,tok,\n",
            r"d\.csv:3: address 'tok' \(SMS\) is also listed for user 'a' at line 2",
        ),
        (
            "t.jsonl",
            '{"id": "a", "addresses": {"SMS": ["+1", "+1"]}}\n',
            r"t\.jsonl:1: address '\+1' is listed twice under SMS for this user \(user 'a'\)",
        ),
        (
            "t.yaml",
            "users:\n  - {id: x}\n  - {id: a, addresses: {SMS: '+1', VOICE: '+1'}}\n",
            r"t\.yaml:3: address '\+1' is listed under both SMS and VOICE for this user",
        ),
        (
            "c.jsonl",
            '{"id": "a", "addresses": {"sms": "+1"}}\n',
            r"c\.jsonl:1: unknown address channel 'sms' \(user 'a'\); did you mean 'SMS'\?",
        ),
        (
            "c.yaml",
            "users:\n  - {id: a, addresses: {FAX: '+1'}}\n",
            r"c\.yaml:2: unknown address channel 'FAX' \(user 'a'\); use one of SMS, ",
        ),
        (
            "c.csv",
            "id,addresses.PAGER\na,1\n",
            r"c\.csv:1: unknown address channel 'PAGER'",
        ),
        (
            "e.jsonl",
            '{"id": "a", "addresses": {"SMS": ""}}\n',
            r"e\.jsonl:1: empty address under SMS \(user 'a'\)",
        ),
        (
            "e.yaml",
            "users:\n  - {id: a, addresses: {SMS: ['+1', ' ']}}\n",
            r"e\.yaml:2: empty address under SMS",
        ),
        (
            "n.yaml",
            "users:\n  - {id: a, addresses: {SMS: 15550100}}\n",
            r"the address under SMS must be a string, not the number 15550100 .*quote it",
        ),
        (
            "s.jsonl",
            '{"id": "a", "addresses": {"SMS": " +1"}}\n',
            r"the address ' \+1' under SMS has spaces around it",
        ),
        (
            "m.jsonl",
            '{"id": "a", "addresses": ["+1"]}\n',
            r"'addresses' must be a mapping of channel type to address\(es\), not a list",
        ),
        (
            "m.csv",
            "id,addresses\na,+1\n",
            r"m\.csv:1: a CSV column cannot be called 'addresses'",
        ),
        (
            "f.yaml",
            "defaults: {addresses: {SMS: '+1'}}\nusers:\n  - {id: a}\n",
            r"'defaults' cannot set 'addresses'",
        ),
        (
            "x.jsonl",
            json.dumps({"id": "a", "addresses": {"APNS": [f"t{n}" for n in range(101)]}}) + "\n",
            r"101 addresses; a user's addresses go in one SendMessages request, which holds "
            r"at most 100",
        ),
    ],
)
def test_bad_addresses_name_the_places(tmp_path, name, content, pattern):
    path = build_tree(tmp_path, {name: content}) / name
    with pytest.raises(AudienceError, match=pattern) as caught:
        list(load_audience(path).users())
    assert "\n" not in str(caught.value)
    assert caught.value.exit_code == 2


def test_address_errors_are_their_own_kind(tmp_path):
    path = build_tree(tmp_path, {"a.jsonl": '{"id": "a", "addresses": {"SMS": ""}}\n'})
    with pytest.raises(AddressError):
        list(load_audience(path / "a.jsonl").users())


def test_a_hash_collision_is_not_a_duplicate():
    """The index holds hashes: a match the file does not confirm is let through."""

    def fail(what, fix):
        return AddressError(what, fix=fix)

    looked_up = []
    book = AddressBook(lambda address, position: looked_up.append((address, position)))
    book.add(read_addresses({"SMS": "+1"}, fail), 0, fail)
    book.add(read_addresses({"VOICE": "+1"}, fail), 1, fail)  # same hash: the file decides
    assert looked_up == [("+1", 1)]


def test_addresses_of_many_users_are_all_checked(tmp_path):
    path = tmp_path / "big.jsonl"
    with path.open("w") as out:
        for number in range(5000):
            out.write(json.dumps({"id": f"u{number}", "addresses": {"SMS": f"+1{number}"}}) + "\n")
        out.write(json.dumps({"id": "late", "addresses": {"SMS": "+14321"}}) + "\n")
    with pytest.raises(AddressError, match=r"big\.jsonl:5001: .* for user 'u4321' at line 4322"):
        list(load_audience(path).users())
