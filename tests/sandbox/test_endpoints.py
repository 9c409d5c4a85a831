"""Users' endpoints in the sandbox: synthetic ones, or an endpoints file's."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from pipeline.errors import InputError
from pipeline.sandbox import Sandbox, load_endpoints, synthetic_endpoints
from pipeline.sandbox.endpoints import EndpointDirectory, synthetic_channels
from tests.sandbox.support import MakeClient, send, write


def test_synthetic_endpoints_are_derived_from_the_user_id() -> None:
    ids = {e.channel: e.id for e in synthetic_endpoints("u-1", ["SMS", "EMAIL", "GCM"])}
    assert ids == {e.channel: e.id for e in synthetic_endpoints("u-1", ["SMS", "EMAIL", "GCM"])}
    assert ids["SMS"] != synthetic_endpoints("u-2", ["SMS"])[0].id


@pytest.mark.parametrize(
    ("configuration", "channels"),
    [
        ({"DefaultMessage": {"Body": "x"}}, ["SMS"]),
        ({"DefaultPushNotificationMessage": {"Body": "x"}}, ["GCM"]),
        ({"DefaultPushNotificationMessage": {"Body": "x"}, "APNSMessage": {}}, ["APNS"]),
        ({"EmailMessage": {"Body": "x"}, "VoiceMessage": {"Body": "x"}}, ["EMAIL", "VOICE"]),
    ],
)
def test_channels_of_synthetic_endpoints(
    sandbox: Sandbox, make_client: MakeClient, configuration: Any, channels: list[str]
) -> None:
    response = send(make_client(sandbox.url), {"u": {}}, configuration)
    expected = [e.id for e in synthetic_endpoints("u", channels)]
    assert list(response["Result"]["u"]) == expected


def test_endpoints_file_can_give_unlisted_users_synthetic_endpoints(
    tmp_path: Path, make_client: MakeClient
) -> None:
    endpoints = write(tmp_path / "e.yaml", "unlisted: synthetic\nusers:\n  bob: []\n")
    with Sandbox(endpoints=endpoints) as sandbox:
        result = send(make_client(sandbox.url), {"ana": {}, "bob": {}})
    assert list(result["Result"]["ana"]) == [synthetic_endpoints("ana", ["SMS"])[0].id]
    assert list(result["Result"]["bob"]) == [""]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("users: [", r"e\.yaml:\d+: invalid YAML"),
        ("people: {}", r"e\.yaml:1: an endpoints file is a mapping with a 'users' mapping"),
        (
            "users:\n  ana:\n    - {id: a, channel: SMS, address: +15550100}",
            r"e\.yaml:3: endpoint field 'address' must be a non-empty string \(user 'ana'\); "
            "quote it",
        ),
        (
            "users:\n  ana:\n    - id: a\n      channel: FAX\n      address: x",
            r"e\.yaml:4: unknown channel 'FAX'",
        ),
        (
            "users:\n  ana:\n    - {id: a, channel: SMS, address: x, colour: red}",
            r"e\.yaml:3: unknown endpoint field 'colour'",
        ),
        (
            "users:\n  ana:\n    - {id: a, channel: SMS, address: x}\n"
            "  bob:\n    - {id: a, channel: SMS, address: y}",
            r"e\.yaml:5: endpoint id 'a' is also used by user 'ana'",
        ),
        ("users: {}\nunlisted: all", r"e\.yaml:2: unlisted must be 'none' or 'synthetic'"),
    ],
)
def test_bad_endpoints_files_are_reported_with_their_line(
    tmp_path: Path, text: str, message: str
) -> None:
    path = write(tmp_path / "e.yaml", text)
    with pytest.raises(InputError, match=message):
        Sandbox(endpoints=path)


def test_missing_endpoints_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read the file"):
        Sandbox(endpoints=tmp_path / "missing.yaml")


def test_synthetic_ids_and_addresses_have_the_documented_shapes() -> None:
    sms, email, apns = synthetic_endpoints("u-1", ["SMS", "EMAIL", "APNS"])
    assert re.fullmatch(r"sms-[0-9a-f]{12}-u-1", sms.id) and re.fullmatch(
        r"\+1555\d{7}", sms.address
    )
    assert re.fullmatch(r"email-[0-9a-f]{12}-u-1", email.id)
    assert re.fullmatch(r"[0-9a-f]{12}@example\.com", email.address)
    assert re.fullmatch(r"[0-9a-f]{64}", apns.address)
    assert all(endpoint.synthetic for endpoint in (sms, email, apns))


@pytest.mark.parametrize(
    ("configuration", "channels"),
    [
        ({"SMSMessage": {}, "EmailMessage": {}}, ("SMS", "EMAIL")),
        ({"DefaultPushNotificationMessage": {}}, ("GCM",)),
        ({"DefaultPushNotificationMessage": {}, "ADMMessage": {}}, ("ADM",)),
        ({"DefaultMessage": {}}, ("SMS",)),
        ({"DefaultMessage": {}, "VoiceMessage": {}}, ("VOICE",)),
        ({"SMSMessage": None}, ()),
    ],
)
def test_synthetic_channels_follow_the_blocks_of_the_request(
    configuration: dict[str, Any], channels: tuple[str, ...]
) -> None:
    assert synthetic_channels(configuration) == channels


def test_a_synthetic_endpoint_id_leads_back_to_its_user() -> None:
    directory = EndpointDirectory()
    [sms] = synthetic_endpoints("u-7", ["SMS"])
    assert directory.find(sms.id) == ("u-7", sms)
    forged = sms.id.replace(sms.id.split("-")[1], "0" * 12)
    assert directory.find(forged) is None  # the hash does not match the user
    assert directory.find("fax-0123456789ab-u-7") is None


def test_listed_users_have_exactly_their_endpoints(tmp_path: Path) -> None:
    path = write(
        tmp_path / "e.yaml",
        "unlisted: synthetic\nusers:\n  ana:\n"
        "    - {id: ana-1, channel: SMS, address: '+15550100001'}\n"
        "    - {id: ana-2, channel: APNS_VOIP, address: tok, active: false}\n",
    )
    directory = load_endpoints(path)
    [only] = directory.endpoints_of("ana", ["SMS", "GCM"])
    assert (only.id, only.channel, only.synthetic) == ("ana-1", "SMS", False)
    assert directory.find("ana-1") == ("ana", only)
    assert directory.find("ana-2") is None  # inactive: not an endpoint at all
    # A listed user gets no synthetic endpoints, even with unlisted: synthetic.
    [ana_sms] = synthetic_endpoints("ana", ["SMS"])
    assert directory.find(ana_sms.id) is None
    assert [e.channel for e in directory.endpoints_of("bob", ["SMS", "GCM"])] == ["SMS", "GCM"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "users:\n  ana:\n"
            + "".join(f"    - {{id: a{n}, channel: SMS, address: x}}\n" for n in range(16)),
            r"e\.yaml:2: 16 endpoints, Pinpoint allows 15 per user \(user 'ana'\)",
        ),
        (
            "users:\n  ana:\n    - {id: a, channel: SMS, address: x, opt_out: maybe}\n",
            r"e\.yaml:3: endpoint field 'opt_out' must be true or false",
        ),
        ("users:\n  ana: {id: a}\n", r"e\.yaml:2: a user's endpoints are a list"),
        (
            "users:\n  ana:\n    - {channel: SMS, address: x}\n",
            r"endpoint field 'id' must be a non-empty string.*add 'id:'",
        ),
        ("users: {}\ncolour: red\n", r"e\.yaml:2: unknown key 'colour'"),
    ],
)
def test_more_bad_endpoints_files(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        load_endpoints(write(tmp_path / "e.yaml", text))
