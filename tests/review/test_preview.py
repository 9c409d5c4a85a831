"""preview_message: what each user receives on each channel, as Pinpoint composes it."""

import json

import pytest

from pipeline.errors import InputError, TemplateError
from pipeline.review.preview import preview_message
from tests.helpers import build_tree
from tests.review.support import NOW, PREVIEW_PEOPLE, SMS_AND_PUSH


def previews(tmp_path, message, audience=PREVIEW_PEOPLE, **options):
    root = build_tree(tmp_path, {"templates/m/message.yaml": message, "audiences/a.yaml": audience})
    return list(preview_message("m", "a", root=root, now=NOW, **options))


def by_channel(preview):
    return {delivered.channel: delivered for delivered in preview.deliveries}


def test_user_substitutions_win_over_the_blocks_own(tmp_path):
    message = """
        MessageConfiguration:
          SMSMessage:
            Body: "{{ sub('Name') }} from {{ sub('Shop') }}"
            Substitutions: {Name: [Block name], Shop: [Example Shop]}
        PerUser:
          Substitutions: {Name: "{{ user.first_name }}"}
    """
    [ana, zoe] = previews(tmp_path, message)
    sms = by_channel(ana)["SMS"]
    assert sms.body == "Ana from Example Shop"
    assert sms.substitutions == {"Name": "Ana", "Shop": "Example Shop"}
    assert by_channel(zoe)["SMS"].body == "Zoë from Example Shop"


def test_overrides_replace_sms_and_push_but_not_email(tmp_path):
    message = """
        MessageConfiguration:
          SMSMessage: {Body: sms body}
          APNSMessage: {Title: push title, Body: push body}
          EmailMessage: {SimpleEmail: {Subject: {Data: email subject}, TextPart: {Data: email body}}}
        PerUser:
          BodyOverride: "Hi {{ user.first_name }}"
          TitleOverride: "For {{ user.first_name }}"
    """
    [ana, _] = previews(tmp_path, message)
    channels = by_channel(ana)
    assert list(channels) == ["SMS", "APNS", "EMAIL"]
    assert (channels["SMS"].title, channels["SMS"].body) == (None, "Hi Ana")
    assert (channels["APNS"].title, channels["APNS"].body) == ("For Ana", "Hi Ana")
    assert (channels["EMAIL"].title, channels["EMAIL"].body) == ("email subject", "email body")


def test_placeholders_in_an_override_are_filled_too(tmp_path):
    message = """
        MessageConfiguration:
          SMSMessage: {MessageType: TRANSACTIONAL}
        PerUser:
          BodyOverride: "Hi {{ sub('Name') }}, {{ sub('Missing') }}"
          Substitutions: {Name: "{{ user.first_name }}"}
    """
    sms = by_channel(previews(tmp_path, message)[0])["SMS"]
    assert sms.body == "Hi Ana, {{Missing}}"
    assert sms.unfilled == ("Missing",)


def test_raw_content_takes_precedence(tmp_path):
    message = """
        MessageConfiguration:
          GCMMessage: {Title: t, Body: b}
        PerUser:
          BodyOverride: ignored
          RawContent: '{"data": {"name": {{ user.first_name | tojson }}}}'
    """
    gcm = by_channel(previews(tmp_path, message)[0])["GCM"]
    assert (gcm.raw, gcm.title, gcm.body) == (True, None, None)
    assert json.loads(gcm.payload) == {"data": {"name": "Ana"}}
    assert gcm.payload_bytes == len(gcm.payload.encode())


def test_default_push_block_serves_each_push_channel_and_locale_is_kept(tmp_path):
    message = """
        MessageConfiguration:
          DefaultPushNotificationMessage: {Title: Hello, Body: "{{ locale }}"}
          GCMMessage: {Body: own block}
    """
    [ana, zoe] = previews(tmp_path, message)
    assert (ana.locale, zoe.locale) == ("fr-FR", None)
    channels = by_channel(ana)
    assert [c.block for c in channels.values()] == [
        "DefaultPushNotificationMessage",
        "GCMMessage",
        "DefaultPushNotificationMessage",
        "DefaultPushNotificationMessage",
    ]
    assert channels["APNS"].body == "fr-FR"
    assert (channels["APNS"].payload_limit, channels["ADM"].payload_limit) == (4096, 6144)


def test_choosing_users_and_channels(tmp_path):
    [zoe] = previews(tmp_path, SMS_AND_PUSH, users=["u-2"], channels=["fcm"])
    assert zoe.user_id == "u-2"
    [gcm] = zoe.deliveries
    assert gcm.channel == "GCM"


@pytest.mark.parametrize(
    ("options", "error"),
    [
        ({"users": ["u-9"]}, "no user 'u-9' in the audience"),
        ({"channels": ["pager"]}, "unknown channel 'pager'"),
        ({"channels": ["APNS"]}, "no block for channel APNS; it reaches SMS, GCM"),
    ],
)
def test_unknown_users_and_channels_are_input_errors(tmp_path, options, error):
    with pytest.raises(InputError, match=error):
        previews(tmp_path, SMS_AND_PUSH, **options)


def test_a_user_who_fails_to_render_stops_the_preview(tmp_path):
    with pytest.raises(TemplateError, match="user 'u-2'"):
        previews(tmp_path, SMS_AND_PUSH, "users:\n  - {id: u-1, first_name: A}\n  - {id: u-2}\n")


def test_json_form_of_a_preview(tmp_path):
    [ana, _] = previews(tmp_path, SMS_AND_PUSH)
    data = json.loads(json.dumps(ana.to_json()))
    assert data["user_id"] == "u-1"
    assert data["channels"]["SMS"]["sms"] == {
        "encoding": "UCS-2",
        "characters": 17,
        "units": 17,
        "parts": 1,
        "ucs2_characters": ["’"],
    }
    assert data["channels"]["GCM"]["payload_bytes"] > 0
    assert data["channels"]["GCM"]["payload"] is None


# --api send-messages: the channels a user's addresses reach.

ADDRESSED_PEOPLE = """
    users:
      - {id: u-1, first_name: Ana, addresses: {GCM: [tok-1, tok-2], APNS_SANDBOX: tok-x, EMAIL: a@example.com}}
      - {id: u-2, first_name: Zoë}
      - {id: u-3, first_name: Bo, addresses: {SMS: "+15550100003", GCM: tok-3}}
"""


def test_with_send_messages_users_get_the_channels_of_their_addresses(tmp_path):
    ana, zoe, bo = previews(tmp_path, SMS_AND_PUSH, ADDRESSED_PEOPLE, api="send-messages")
    assert list(by_channel(ana)) == ["GCM"]
    assert ana.to("GCM") == [("GCM", "tok-1"), ("GCM", "tok-2")]
    # SMS_AND_PUSH has no APNs or email block: Pinpoint would fail those addresses.
    assert ana.unreached == (("APNS_SANDBOX", "tok-x"), ("EMAIL", "a@example.com"))
    assert (zoe.deliveries, zoe.addresses) == ((), ())
    assert list(by_channel(bo)) == ["SMS", "GCM"]
    assert ana.to_json()["addresses"] == {
        "GCM": ["tok-1", "tok-2"],
        "APNS_SANDBOX": ["tok-x"],
        "EMAIL": ["a@example.com"],
    }
    assert ana.to_json()["unreached"] == ["APNS_SANDBOX", "EMAIL"]


def test_the_text_is_the_same_whichever_api(tmp_path):
    users_api = previews(tmp_path / "u", SMS_AND_PUSH, ADDRESSED_PEOPLE)
    messages_api = previews(tmp_path / "m", SMS_AND_PUSH, ADDRESSED_PEOPLE, api="send-messages")
    for mine, theirs in zip(messages_api, users_api, strict=True):
        for delivered in mine.deliveries:
            assert delivered == by_channel(theirs)[delivered.channel]
    assert "addresses" not in users_api[0].to_json()


def test_channels_asked_for_still_narrow_the_preview(tmp_path):
    [_, _, bo] = previews(
        tmp_path, SMS_AND_PUSH, ADDRESSED_PEOPLE, api="send-messages", channels=["gcm"]
    )
    assert list(by_channel(bo)) == ["GCM"]
