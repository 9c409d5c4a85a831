"""Users' endpoints in the sandbox: synthetic ones, or an endpoints file's."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pipeline.errors import InputError
from pipeline.sandbox import Sandbox, synthetic_endpoints
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
