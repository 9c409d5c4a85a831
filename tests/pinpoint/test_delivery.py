import json
from typing import Any

import pytest

from pipeline.pinpoint.channels import CHANNELS, PUSH_CHANNELS, block_for, channels_of
from pipeline.pinpoint.compose import leftover_braces, placeholders
from pipeline.pinpoint.delivery import deliver

PUSH = ["APNS", "GCM", "ADM", "BAIDU"]
PUSH_BLOCKS = {
    "APNS": "APNSMessage",
    "GCM": "GCMMessage",
    "ADM": "ADMMessage",
    "BAIDU": "BaiduMessage",
}


def request(configuration: dict[str, Any], user: dict[str, Any] | None = None, **top: Any) -> Any:
    return {"MessageConfiguration": configuration, "Users": {"u1": user or {}}, **top}


def every_block(body: str = "block body", title: str = "block title") -> dict[str, Any]:
    return {
        "SMSMessage": {"Body": body},
        "VoiceMessage": {"Body": body},
        "EmailMessage": {
            "SimpleEmail": {"Subject": {"Data": title}, "TextPart": {"Data": body}},
        },
        **{block: {"Title": title, "Body": body} for block in PUSH_BLOCKS.values()},
    }


# --- which block reaches which channel ---------------------------------------------------


@pytest.mark.parametrize(
    ("blocks", "expected"),
    [
        ({}, []),
        ({"SMSMessage": {}}, ["SMS"]),
        ({"SMSMessage": None}, []),
        ({"GCMMessage": {"Body": "b"}}, ["GCM"]),
        ({"EmailMessage": {}, "VoiceMessage": {}}, ["EMAIL", "VOICE"]),
        ({"DefaultPushNotificationMessage": {}}, PUSH),
        ({"DefaultPushNotificationMessage": {}, "SMSMessage": {}}, ["SMS", *PUSH]),
        ({"DefaultMessage": {}}, list(CHANNELS)),
        ({"DefaultMessage": {}, "APNSMessage": {}}, list(CHANNELS)),
        ({"APNSMessage": {}, "BaiduMessage": {}}, ["APNS", "BAIDU"]),
    ],
)
def test_channels_of(blocks: dict[str, Any], expected: list[str]) -> None:
    assert channels_of(blocks) == expected


DEFAULTS: dict[str, Any] = {"DefaultMessage": {}, "DefaultPushNotificationMessage": {}}


@pytest.mark.parametrize(
    ("blocks", "channel", "expected"),
    [
        ({"SMSMessage": {}, **DEFAULTS}, "SMS", "SMSMessage"),
        (DEFAULTS, "SMS", "DefaultMessage"),
        (DEFAULTS, "EMAIL", "DefaultMessage"),
        (DEFAULTS, "VOICE", "DefaultMessage"),
        (DEFAULTS, "GCM", "DefaultPushNotificationMessage"),
        ({"GCMMessage": {}, **DEFAULTS}, "GCM", "GCMMessage"),
        ({"GCMMessage": {}, **DEFAULTS}, "APNS", "DefaultPushNotificationMessage"),
        ({"DefaultMessage": {}}, "ADM", "DefaultMessage"),
        ({"SMSMessage": {}}, "APNS", None),
        ({"DefaultPushNotificationMessage": {}}, "SMS", None),
    ],
)
def test_block_for(blocks: dict[str, Any], channel: str, expected: str | None) -> None:
    assert block_for(blocks, channel) == expected


# --- what the user gets -------------------------------------------------------------------


@pytest.mark.parametrize("channel", ["SMS", *PUSH])
def test_overrides_replace_block_text_on_sms_and_push(channel: str) -> None:
    user = {"BodyOverride": "override body", "TitleOverride": "override title"}
    delivered = deliver(request(every_block(), user), "u1", channel)
    assert delivered.body == "override body"
    # SMS has no title at all, overridden or not.
    assert delivered.title == (None if channel == "SMS" else "override title")
    if delivered.payload is not None:
        assert "override body" in delivered.payload
        assert "block body" not in delivered.payload


@pytest.mark.parametrize("channel", ["SMS", *PUSH])
def test_block_text_without_overrides(channel: str) -> None:
    delivered = deliver(request(every_block()), "u1", channel)
    assert delivered.block == ("SMSMessage" if channel == "SMS" else PUSH_BLOCKS[channel])
    assert delivered.body == "block body"
    assert delivered.title == (None if channel == "SMS" else "block title")
    assert delivered.raw is False


def test_title_override_alone_keeps_block_body() -> None:
    delivered = deliver(request(every_block(), {"TitleOverride": "new"}), "u1", "APNS")
    assert (delivered.title, delivered.body) == ("new", "block body")


@pytest.mark.parametrize(
    ("channel", "title", "body"),
    [("EMAIL", "block title", "block body"), ("VOICE", None, "block body")],
)
def test_email_and_voice_are_not_overridden(channel: str, title: str | None, body: str) -> None:
    user = {"BodyOverride": "override body", "TitleOverride": "override title"}
    delivered = deliver(request(every_block(), user), "u1", channel)
    assert (delivered.title, delivered.body) == (title, body)
    assert delivered.payload is None


@pytest.mark.parametrize("channel", list(CHANNELS))
def test_user_raw_content_replaces_everything(channel: str) -> None:
    raw = '{"aps":{"alert":"Hi {{FirstName}} ’"}}'
    user = {
        "RawContent": raw,
        "BodyOverride": "override",
        "TitleOverride": "title",
        "Substitutions": {"FirstName": ["Ana"]},
    }
    delivered = deliver(request(every_block(), user), "u1", channel)
    assert delivered.raw is True
    assert (delivered.title, delivered.body, delivered.sms) == (None, None, None)
    assert delivered.payload == raw  # verbatim: no substitution inside raw content
    assert delivered.payload_bytes == len(raw.encode("utf-8")) == len(raw) + 2
    assert delivered.substitutions == {}


def test_block_raw_content_beats_overrides_but_not_user_raw_content() -> None:
    blocks = {"GCMMessage": {"Body": "b", "RawContent": '{"data":{"block":"1"}}'}}
    by_block = deliver(request(blocks, {"BodyOverride": "o"}), "u1", "GCM")
    assert (by_block.raw, by_block.payload) == (True, '{"data":{"block":"1"}}')
    by_user = deliver(request(blocks, {"RawContent": '{"data":{"user":"1"}}'}), "u1", "GCM")
    assert by_user.payload == '{"data":{"user":"1"}}'


@pytest.mark.parametrize(
    ("user_subs", "block_subs", "body", "applied", "unfilled"),
    [
        (
            {"Name": ["Ana"]},
            {"Name": ["Blk"], "N": ["2"]},
            "Hi Ana, 2",
            {"Name": "Ana", "N": "2"},
            (),
        ),
        ({}, {"Name": ["Blk"], "N": ["2"]}, "Hi Blk, 2", {"Name": "Blk", "N": "2"}, ()),
        ({"Name": ["Ana", "Bob"]}, {}, "Hi Ana, {{N}}", {"Name": "Ana"}, ("N",)),
        ({"Name": []}, {"Name": ["Blk"]}, "Hi Blk, {{N}}", {"Name": "Blk"}, ("N",)),
        ({"N": ["3"]}, {"N": ["9"]}, "Hi {{ Name }}, 3", {"N": "3"}, ("Name",)),
        ({"Other": ["x"]}, {}, "Hi {{ Name }}, {{N}}", {}, ("Name", "N")),
    ],
)
def test_substitution_precedence(
    user_subs: dict[str, list[str]],
    block_subs: dict[str, list[str]],
    body: str,
    applied: dict[str, str],
    unfilled: tuple[str, ...],
) -> None:
    blocks = {"SMSMessage": {"Body": "Hi {{ Name }}, {{N}}", "Substitutions": block_subs}}
    delivered = deliver(request(blocks, {"Substitutions": user_subs}), "u1", "SMS")
    assert delivered.body == body
    assert delivered.substitutions == applied
    assert delivered.unfilled == unfilled


def test_default_block_substitutions_are_not_used() -> None:
    blocks = {
        "GCMMessage": {"Body": "Hi {{Name}}"},
        "DefaultPushNotificationMessage": {"Body": "x", "Substitutions": {"Name": ["Push"]}},
        "DefaultMessage": {"Body": "x", "Substitutions": {"Name": ["Default"]}},
    }
    delivered = deliver(request(blocks), "u1", "GCM")
    assert delivered.body == "Hi {{Name}}"
    assert delivered.unfilled == ("Name",)


def test_substitutions_fill_overrides_and_titles() -> None:
    user = {
        "BodyOverride": "Hello {{FirstName}}",
        "TitleOverride": "{{FirstName}}, your week",
        "Substitutions": {"FirstName": ["Ana"]},
    }
    delivered = deliver(request(every_block(), user), "u1", "APNS")
    assert (delivered.title, delivered.body) == ("Ana, your week", "Hello Ana")
    assert json.loads(delivered.payload or "")["aps"]["alert"] == {
        "title": "Ana, your week",
        "body": "Hello Ana",
    }


def test_unfilled_placeholder_is_left_as_written_and_reported_once() -> None:
    blocks = {"SMSMessage": {"Body": "{{User.UserAttributes.Name}} {{ x-y }} {{x-y}}"}}
    delivered = deliver(request(blocks), "u1", "SMS")
    assert delivered.body == "{{User.UserAttributes.Name}} {{ x-y }} {{x-y}}"
    assert delivered.unfilled == ("User.UserAttributes.Name", "x-y")


def test_default_push_fallback() -> None:
    blocks = {
        "DefaultPushNotificationMessage": {
            "Title": "push title",
            "Body": "push body",
            "Action": "URL",
            "Url": "https://example.com/x",
        },
        "DefaultMessage": {"Body": "default body"},
        "SMSMessage": {"Body": "sms body"},
    }
    for channel in PUSH:
        delivered = deliver(request(blocks), "u1", channel)
        assert delivered.block == "DefaultPushNotificationMessage"
        assert (delivered.title, delivered.body) == ("push title", "push body")
        assert "push body" in (delivered.payload or "")
        assert "https://example.com/x" in (delivered.payload or "")
    assert deliver(request(blocks), "u1", "SMS").body == "sms body"
    assert deliver(request(blocks), "u1", "EMAIL").body == "default body"


@pytest.mark.parametrize("channel", list(CHANNELS))
def test_default_message_fallback(channel: str) -> None:
    delivered = deliver(request({"DefaultMessage": {"Body": "everyone"}}), "u1", channel)
    assert (delivered.block, delivered.title, delivered.body) == (
        "DefaultMessage",
        None,
        "everyone",
    )
    assert (delivered.payload is not None) is (channel in PUSH_CHANNELS)


def test_blocks_are_not_merged_field_by_field() -> None:
    blocks = {
        "APNSMessage": {"Action": "OPEN_APP"},
        "DefaultPushNotificationMessage": {"Title": "t", "Body": "default push body"},
    }
    delivered = deliver(request(blocks), "u1", "APNS")
    assert (delivered.block, delivered.title, delivered.body) == ("APNSMessage", None, None)
    assert "alert" not in json.loads(delivered.payload or "")["aps"]


# --- SMS measurements and push payloads ---------------------------------------------------


def test_sms_is_measured_after_substitution() -> None:
    # "Bob's name pushes the SMS to three parts": same template, different users.
    body = "{{FirstName}}, " + "x" * 290
    short = deliver(request({"SMSMessage": {"Body": body}}, sub("Bob")), "u1", "SMS")
    long = deliver(request({"SMSMessage": {"Body": body}}, sub("Bob" * 5)), "u1", "SMS")
    assert short.sms is not None and long.sms is not None
    assert (short.sms.units, short.sms.parts) == (295, 2)
    assert (long.sms.units, long.sms.parts) == (307, 3)
    curly = deliver(request({"SMSMessage": {"Body": body}}, sub("Zo’e")), "u1", "SMS")
    assert curly.sms is not None and curly.sms.encoding == "UCS-2"
    assert curly.sms.ucs2_characters == ("’",)


def sub(name: str) -> dict[str, Any]:
    return {"Substitutions": {"FirstName": [name]}}


def test_sms_without_body_has_no_measurements() -> None:
    assert deliver(request({"SMSMessage": {"MessageType": "PROMOTIONAL"}}), "u1", "SMS").sms is None


@pytest.mark.parametrize(
    ("channel", "body_chars", "limit", "over"),
    [
        ("APNS", 3900, 4096, False),
        ("APNS", 4100, 4096, True),
        ("GCM", 3900, 4096, False),
        ("GCM", 4100, 4096, True),
        ("BAIDU", 4100, 4096, True),
        ("ADM", 4100, 6144, False),
        ("ADM", 6150, 6144, True),
    ],
)
def test_payload_size_against_limit(channel: str, body_chars: int, limit: int, over: bool) -> None:
    blocks = {PUSH_BLOCKS[channel]: {"Title": "t", "Body": "b" * body_chars}}
    delivered = deliver(request(blocks), "u1", channel)
    assert delivered.payload is not None
    assert delivered.payload_bytes == len(delivered.payload.encode("utf-8"))
    assert delivered.payload_bytes > body_chars
    assert delivered.payload_limit == limit
    assert delivered.over_payload_limit is over


def test_payload_bytes_count_utf8_not_characters() -> None:
    ascii_body = deliver(request({"GCMMessage": {"Body": "e" * 100}}), "u1", "GCM")
    accented = deliver(request({"GCMMessage": {"Body": "é" * 100}}), "u1", "GCM")
    assert accented.payload_bytes == (ascii_body.payload_bytes or 0) + 100


@pytest.mark.parametrize("channel", ["SMS", "EMAIL", "VOICE"])
def test_no_payload_off_push(channel: str) -> None:
    delivered = deliver(request(every_block()), "u1", channel)
    assert (delivered.payload, delivered.payload_bytes, delivered.payload_limit) == (None,) * 3
    assert delivered.over_payload_limit is False


def test_apns_payload() -> None:
    blocks = {
        "APNSMessage": {
            "Title": "t",
            "Body": "b",
            "Badge": 3,
            "Sound": "default",
            "Action": "DEEP_LINK",
            "Url": "app://orders",
            "MediaUrl": "https://example.com/i.png",
            "Data": {"k": "v"},
        }
    }
    user = {"Context": {"segment": "pro", "campaign": "user wins"}}
    top = {"Context": {"campaign": "order_shipped", "run": "7"}}
    payload = json.loads(deliver(request(blocks, user, **top), "u1", "APNS").payload or "")
    assert payload["aps"] == {
        "alert": {"title": "t", "body": "b"},
        "badge": 3,
        "sound": "default",
        "mutable-content": 1,
    }
    assert payload["data"]["pinpoint"] == {
        "campaign": "user wins",
        "run": "7",
        "segment": "pro",
        "deeplink": "app://orders",
    }
    assert payload["data"]["jsonBody"] == {"k": "v"}
    assert payload["data"]["media-url"] == "https://example.com/i.png"


def test_apns_silent_push_has_no_alert() -> None:
    blocks = {"APNSMessage": {"Title": "t", "Body": "b", "SilentPush": True, "Badge": 1}}
    payload = json.loads(deliver(request(blocks), "u1", "APNS").payload or "")
    assert payload["aps"] == {"content-available": 1}
    assert (payload["data"]["title"], payload["data"]["body"]) == ("t", "b")


@pytest.mark.parametrize(
    ("action", "url", "key", "value"),
    [
        ("URL", "https://x.example", "pinpoint.url", "https://x.example"),
        ("DEEP_LINK", "app://x", "pinpoint.deeplink", "app://x"),
        ("OPEN_APP", "https://ignored", "pinpoint.openApp", "true"),
        (None, None, "pinpoint.openApp", "true"),
    ],
)
def test_gcm_payload_action(action: str | None, url: str | None, key: str, value: str) -> None:
    block: dict[str, Any] = {"Title": "t", "Body": "b", "TimeToLive": 60, "Data": {"k": "v"}}
    block |= {k: v for k, v in (("Action", action), ("Url", url)) if v is not None}
    payload = json.loads(deliver(request({"GCMMessage": block}), "u1", "GCM").payload or "")
    data = payload["data"]
    assert data[key] == value
    assert data["pinpoint.notification.title"] == "t"
    assert data["pinpoint.notification.body"] == "b"
    assert json.loads(data["pinpoint.jsonBody"]) == {"k": "v"}
    assert payload["time_to_live"] == 60
    assert all(isinstance(v, str) for v in data.values())  # FCM data values are strings


def test_adm_and_baidu_envelopes() -> None:
    adm = {"ADMMessage": {"Body": "b", "ConsolidationKey": "c", "ExpiresAfter": "60"}}
    payload = json.loads(deliver(request(adm), "u1", "ADM").payload or "")
    assert (payload["consolidationKey"], payload["expiresAfter"]) == ("c", "60")
    baidu = {"BaiduMessage": {"Title": "t", "Body": "b"}}
    payload = json.loads(deliver(request(baidu), "u1", "BAIDU").payload or "")
    assert (payload["title"], payload["description"]) == ("t", "b")
    assert "pinpoint.notification.body" not in payload["custom_content"]


@pytest.mark.parametrize(
    ("req", "user_id", "channel", "error"),
    [
        (request({"SMSMessage": {}}), "nobody", "SMS", KeyError),
        (request({"SMSMessage": {}}), "u1", "FAX", ValueError),
        (request({"SMSMessage": {}}), "u1", "APNS", ValueError),
    ],
)
def test_deliver_errors(req: Any, user_id: str, channel: str, error: type[Exception]) -> None:
    with pytest.raises(error):
        deliver(req, user_id, channel)


# --- placeholders and leftovers ---------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("no placeholders", []),
        ("{{Name}}", ["Name"]),
        ("{{ Name }} and {{Name}} and {{Other}}", ["Name", "Other"]),
        ("{{User.UserAttributes.first-name_2}}", ["User.UserAttributes.first-name_2"]),
        ("{{#if x}}{{/if}} {{ }} {{a b}} {% sub %}", []),
        ("{{{Name}}}", ["Name"]),
    ],
)
def test_placeholders(text: str, names: list[str]) -> None:
    assert placeholders(text) == names


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        ("plain text, {single} braces", []),
        ("Hi {{Name}}!", ["{{Name}}"]),
        ("{{#if vip}}VIP{{/if}}", ["{{#if vip}}", "{{/if}}"]),
        ("a {% if x %} b {%endif%}", ["{% if x %}", "{%endif%}"]),
        ("{{ multi\nline }} end", ["{{ multi\nline }}"]),
        ("unclosed {{ Name\nnext line", ["{{ Name"]),
        ("unclosed {% tag", ["{% tag"]),
    ],
)
def test_leftover_braces(text: str, fragments: list[str]) -> None:
    assert leftover_braces(text) == fragments
