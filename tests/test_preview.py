import json
from datetime import UTC, datetime

import pytest
from typer.testing import CliRunner

from pipeline.cli import _register_commands, app
from pipeline.errors import InputError, TemplateError
from pipeline.review.preview import preview_message
from tests.helpers import build_tree

_register_commands()
runner = CliRunner()
NOW = datetime(2026, 1, 1, tzinfo=UTC)

PEOPLE = """
    users:
      - {id: u-1, first_name: Ana, locale: fr-FR}
      - {id: u-2, first_name: Zoë}
"""


def previews(tmp_path, message, audience=PEOPLE, **options):
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


SMS_AND_PUSH = """
    MessageConfiguration:
      SMSMessage: {Body: "{{ sub('Name') }}, it’s shipped"}
      GCMMessage: {Body: "{{ sub('Name') }}"}
    PerUser:
      Substitutions: {Name: "{{ user.first_name }}"}
"""


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


# --- the command ---------------------------------------------------------------------------


def invoke(tmp_path, *args, message=SMS_AND_PUSH, audience=PEOPLE):
    root = build_tree(tmp_path, {"templates/m/message.yaml": message, "audiences/a.yaml": audience})
    return runner.invoke(
        app,
        ["preview", "m", "a", *args, "--root", str(root), "--now", "2026-01-01T00:00:00Z"],
        env={"COLUMNS": "120"},
    )


def test_cli_text_shows_one_block_per_user_and_channel(tmp_path):
    result = invoke(tmp_path)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert [line.split("·")[0].strip("╭─ ") for line in out.splitlines() if "╭" in line] == [
        "u-1",
        "u-1",
        "u-2",
        "u-2",
    ]
    assert "u-1 · fr-FR · SMS" in out
    assert "Ana, it’s shipped" in out
    assert "UCS-2 · 17 characters · 1 part" in out
    assert "UCS-2 because of ’ U+2019" in out
    assert "Payload  " in out and " / 4,096 bytes" in out


def test_cli_text_shows_what_is_wrong(tmp_path):
    message = """
        MessageConfiguration:
          SMSMessage: {Body: "{{ sub('Nope') }} and {{ vars.text }}"}
          GCMMessage: {Body: "{{ vars.text }}"}
        vars: {text: ""}
    """
    result = invoke(tmp_path, "--user", "u-1", "--var", f"text={'x' * 4100}", message=message)
    assert result.exit_code == 0, result.output
    assert "Unfilled  {{Nope}}: no substitution fills it" in result.stdout
    assert (
        "GSM-7 · 4,113 characters (4,117 units) · 27 parts · over AWS's 1,530-unit limit"
        in result.stdout
    )
    assert "over the limit" in result.stdout


def test_cli_json_is_a_list_of_users(tmp_path):
    result = invoke(tmp_path, "--format", "json", "--channel", "sms")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)["users"]
    assert [(user["user_id"], list(user["channels"])) for user in data] == [
        ("u-1", ["SMS"]),
        ("u-2", ["SMS"]),
    ]
    assert data[1]["channels"]["SMS"]["body"] == "Zoë, it’s shipped"


def test_cli_unknown_user_is_a_one_line_error(tmp_path):
    result = invoke(tmp_path, "--user", "u-9")
    assert result.exit_code == 2
    assert result.stderr == (
        "Error: no user 'u-9' in the audience; give a user id from the audience file\n"
    )
    assert result.stdout == ""
