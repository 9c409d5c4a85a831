"""Lint warns about locales CLDR does not know, whose users get a fallback's formats."""

import textwrap
from datetime import UTC, datetime

from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.review.lint import lint_message
from tests.helpers import build_tree

NOW = datetime(2026, 1, 1, tzinfo=UTC)
MESSAGE = """
    MessageConfiguration:
      SMSMessage: {MessageType: TRANSACTIONAL}
    PerUser:
      BodyOverride: "{{ user.points | number }} points"
"""


def findings(tmp_path, message=MESSAGE, audience=None):
    tree = {"templates/m/message.yaml": message}
    if audience is not None:
        tree["audiences/people.yaml"] = audience
    root = build_tree(tmp_path, tree)
    linted = lint_message("m", root=root, audience="people" if audience else None, now=NOW)
    return [finding for finding in linted.findings if finding.check == "unknown-locale"]


def test_users_in_a_locale_cldr_does_not_know(tmp_path):
    audience = """
        users:
          - {id: u-1, points: 1, locale: fr-XX}
          - {id: u-2, points: 2, locale: fr-FR}
          - {id: u-3, points: 3, locale: xx-YY}
          - {id: u-4, points: 4, locale: fr-XX}
          - {id: u-5, points: 5}
    """
    french, unknown = findings(tmp_path, audience=audience)
    assert (french.severity, french.line) == ("warning", None)
    assert french.file.endswith("audiences/people.yaml")
    assert french.message == (
        "CLDR does not know the locale 'fr-XX': numbers, money and dates are written as for 'fr'"
    )
    assert (french.users, french.user_count) == (("u-1", "u-4"), 2)
    assert "written as for 'en'" in unknown.message and unknown.users == ("u-3",)


def test_the_messages_own_locale_is_reported_at_its_line(tmp_path):
    message = "locale: pt-XX\n" + textwrap.dedent(MESSAGE)
    [finding] = findings(tmp_path, message=message, audience="users:\n  - {id: u-1, points: 1}\n")
    assert (finding.file.endswith("templates/m/message.yaml"), finding.line) == (True, 1)
    assert "written as for 'pt'" in finding.message and finding.user_count == 1
    # Without an audience the message's locale is still checked.
    assert len(findings(tmp_path / "alone", message=message)) == 1


def test_known_locales_are_not_reported(tmp_path):
    audience = (
        "users:\n  - {id: u-1, points: 1, locale: zh-TW}\n  - {id: u-2, points: 2, locale: en_GB}\n"
    )
    assert findings(tmp_path, audience=audience) == []


def test_the_check_is_listed():
    result = CliRunner().invoke(app, ["lint", "--list-checks"])
    assert result.exit_code == 0
    assert any(
        line.split()[:2] == ["unknown-locale", "warning"] for line in result.stdout.splitlines()
    )
