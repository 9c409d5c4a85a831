"""What SMS cost: the message's own characters that force UCS-2, and the audience's parts."""

import json
from datetime import UTC, datetime

import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.pinpoint.sms import gsm7_replacement
from pipeline.review.lint import lint_message
from tests.helpers import build_tree

runner = CliRunner()
NOW = datetime(2026, 1, 1, tzinfo=UTC)
PEOPLE = """
    users:
      - {id: u-1, first_name: Ana}
      - {id: u-2, first_name: Bob}
      - {id: u-3, first_name: Zoë}
"""


def lint(tmp_path, message, audience=PEOPLE, **files):
    tree = {"templates/m/message.yaml": message, "audiences/people.yaml": audience, **files}
    root = build_tree(tmp_path, tree)
    return lint_message("m", root=root, audience="people", now=NOW)


def text_findings(linted):
    return [finding for finding in linted.findings if finding.check == "sms-ucs2-text"]


@pytest.mark.parametrize(
    ("character", "replacement"),
    [
        ("’", "'"),
        ("‘", "'"),
        ("“", '"'),
        ("”", '"'),
        ("—", "-"),
        ("–", "-"),
        ("…", "..."),
        ("\xa0", " "),
        ("\u202f", " "),
        ("\u200b", ""),
        ("á", "a"),
        ("ç", "c"),
        ("é", "é"),  # in GSM-7 already
        ("😀", None),
        ("Д", None),
    ],
)
def test_gsm7_replacements(character, replacement):
    assert gsm7_replacement(character) == replacement


def test_the_messages_own_text_forcing_ucs2_is_named_with_positions(tmp_path):
    message = """
        MessageConfiguration:
          SMSMessage:
            Body: "{{ sub('Name') }}, it’s here — at last"
        PerUser:
          Substitutions: {Name: "{{ user.first_name }}"}
    """
    [finding] = text_findings(lint(tmp_path, message))
    assert (finding.severity, finding.line, finding.user_count) == ("warning", 3, 3)
    assert finding.file.endswith("templates/m/message.yaml")
    assert finding.message == (
        "MessageConfiguration.SMSMessage.Body puts characters outside GSM-7 in the SMS, which "
        "makes it UCS-2 (70 characters a part, not 160): ’ U+2019 at 3:33 (write '), "
        "— U+2014 at 3:41 (write -); these SMS take 3 parts, 3 with the replacements"
    )
    assert finding.fix == "write the replacements shown to send GSM-7"
    assert [f.check for f in lint(tmp_path / "b", message).findings] == ["sms-ucs2-text"]


def test_what_the_characters_cost(tmp_path):
    # 100 characters: one part in GSM-7, two in UCS-2.
    body = "x" * 90 + " it’s here"
    message = f"""
        MessageConfiguration: {{SMSMessage: {{}}}}
        PerUser: {{BodyOverride: "{body}"}}
    """
    linted = lint(tmp_path, message)
    [finding] = text_findings(linted)
    assert "these SMS take 6 parts, 3 with the replacements" in finding.message
    assert linted.sms is not None
    assert linted.sms.to_json() == {
        "users": 3,
        "parts": 6,
        "by_encoding": {"GSM-7": {"users": 0, "parts": 0}, "UCS-2": {"users": 3, "parts": 6}},
    }


def test_characters_in_a_translated_file_are_placed_by_line_and_column(tmp_path):
    message = """
        MessageConfiguration: {SMSMessage: {}}
        PerUser: {BodyOverride: "{% include 'm/body.j2' %}"}
    """
    files = {
        "templates/m/body.j2": "Hello {{ user.first_name }}\nSee you soon\n",
        "templates/m/body.fr.j2": "{# l’accent ne compte pas #}Bonjour {{ user.first_name }}\nÀ bientôt… {{ '—' }}\n",
    }
    audience = (
        "users:\n  - {id: u-1, first_name: Ana}\n  - {id: u-2, first_name: Léa, locale: fr-FR}\n"
    )
    [finding] = text_findings(lint(tmp_path, message, audience, **files))
    assert finding.file.endswith("templates/m/body.fr.j2") and finding.line == 2
    assert "À U+00C0 at 2:1 (write A)" in finding.message  # GSM-7 has à, not À
    assert "ô U+00F4 at 2:8 (write o)" in finding.message
    assert "… U+2026 at 2:10 (write ...)" in finding.message
    assert "— U+2014 at 2:16 (write -)" in finding.message  # a string literal is output
    assert "’" not in finding.message  # a comment is not
    assert finding.users == ("u-2",)


def test_what_is_not_the_sms_text_is_not_reported(tmp_path):
    message = """
        vars: {push_only: "🎉", shop: "Shop"}
        MessageConfiguration:
          SMSMessage: {Body: "{{ sub('Name') }} {{ vars.shop }} {# don’t #}"}
          APNSMessage: {Body: "{{ sub('Emoji') }} {{ vars.push_only }} — hi"}
        PerUser:
          Substitutions: {Name: "{{ user.first_name }}", Emoji: "🎉"}
    """
    assert text_findings(lint(tmp_path, message)) == []


def test_variables_and_emoji(tmp_path):
    message = """
        vars: {shop: "Café’s"}
        MessageConfiguration:
          SMSMessage: {Body: "{{ vars.shop }} 🎉"}
    """
    found = {f.message.split(" ")[0]: f for f in text_findings(lint(tmp_path, message))}
    assert "🎉 U+1F389 at 3:39 (no GSM-7 equivalent: leave it out)" in (
        found["MessageConfiguration.SMSMessage.Body"].message
    )
    assert (
        found["vars.shop"].line == 1 and "’ U+2019 at 1:19 (write ')" in found["vars.shop"].message
    )


def test_a_text_in_a_script_gsm7_cannot_write_is_not_reported(tmp_path):
    message = """
        MessageConfiguration:
          SMSMessage: {Body: "Привет — {{ sub('Name') }}"}
        PerUser:
          Substitutions: {Name: "{{ user.first_name }}"}
    """
    assert text_findings(lint(tmp_path, message)) == []


def test_no_break_spaces_of_the_locales_formats_are_explained(tmp_path):
    message = """
        MessageConfiguration: {SMSMessage: {}}
        PerUser: {BodyOverride: "You have {{ user.points | number }} points"}
    """
    audience = "users:\n  - {id: u-1, points: 2300, locale: fr-FR}\n"
    [finding] = lint(tmp_path, message, audience).findings
    assert finding.check == "sms-ucs2"
    assert "U+202F narrow no-break space" in finding.message
    assert "no-break spaces; | replace('\\u202f', ' ')" in finding.fix


# --- totals in lint and preview ------------------------------------------------------------

MESSAGE = """
    MessageConfiguration:
      SMSMessage: {Body: "{{ sub('Name') }}, hello", MessageType: TRANSACTIONAL}
      APNSMessage: {Body: "{{ sub('Name') }}, hello"}
    PerUser:
      Substitutions: {Name: "{{ user.first_name }}"}
"""


def project(tmp_path):
    return build_tree(
        tmp_path, {"templates/m/message.yaml": MESSAGE, "audiences/people.yaml": PEOPLE}
    )


def test_lint_reports_the_audiences_sms_parts(tmp_path):
    root = project(tmp_path)
    result = runner.invoke(app, ["lint", "m", "--audience", "people", "--root", str(root)])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-2:] == [
        "m: SMS: 3 parts for 3 users (GSM-7: 2 users, 2 parts; UCS-2: 1 user, 1 part)",
        "0 errors, 1 warning in 1 message (3 users rendered)",
    ]
    result = runner.invoke(
        app, ["lint", "m", "--audience", "people", "--root", str(root), "--format", "json"]
    )
    document = json.loads(result.stdout)
    assert [f["check"] for f in document["findings"]] == ["sms-ucs2"]
    [linted] = document["messages"]
    assert (linted["message_name"], linted["users"]) == ("m", 3)
    assert linted["sms"] == {
        "users": 3,
        "parts": 3,
        "by_encoding": {"GSM-7": {"users": 2, "parts": 2}, "UCS-2": {"users": 1, "parts": 1}},
    }
    assert (document["errors"], document["warnings"]) == (0, 1)


def test_preview_reports_the_sms_parts_of_the_users_shown(tmp_path):
    root = project(tmp_path)
    base = ["preview", "m", "people", "--root", str(root)]
    text = runner.invoke(app, base).stdout
    assert text.splitlines()[-1] == (
        "SMS: 3 parts for 3 users (GSM-7: 2 users, 2 parts; UCS-2: 1 user, 1 part)"
    )
    one = runner.invoke(app, [*base, "--user", "u-3"]).stdout
    assert one.splitlines()[-1] == "SMS: 1 part for 1 user (UCS-2: 1 user, 1 part)"
    document = json.loads(runner.invoke(app, [*base, "--format", "json"]).stdout)
    assert [user["user_id"] for user in document["users"]] == ["u-1", "u-2", "u-3"]
    assert document["sms"]["parts"] == 3
    push_only = json.loads(
        runner.invoke(app, [*base, "--format", "json", "--channel", "apns"]).stdout
    )
    assert push_only["sms"] is None and len(push_only["users"]) == 3
    assert "SMS:" not in runner.invoke(app, [*base, "--channel", "apns"]).stdout
