"""lint_message and lint_messages: every check before sending, message by message."""

from pathlib import Path

import pytest

from pipeline.errors import InputError
from pipeline.review.lint import lint_message, lint_messages
from tests.helpers import REPO, build_tree
from tests.review.support import GOOD, NOW, PEOPLE, lint


def test_a_good_message_has_no_findings(tmp_path):
    assert lint(tmp_path) == []


@pytest.mark.parametrize(
    ("message", "check", "line", "text"),
    [
        ("MessageConfiguration:\n  SMSMessage: {Bdy: hi}\n", "unknown-field", 2, "'Bdy'"),
        ("MessageConfiguration:\n  SMSMesage: {Body: hi}\n", "unknown-field", 2, "'SMSMesage'"),
        ("MessageConfiguration: [\n", "message-invalid", 2, "invalid YAML"),
        ("MessageConfiguration:\n  SMSMessage: {Body: 3}\n", "message-invalid", 2, "string"),
    ],
)
def test_a_message_that_does_not_load_is_one_finding(tmp_path, message, check, line, text):
    [finding] = lint(tmp_path, message)
    assert (finding.check, finding.line, finding.severity) == (check, line, "error")
    assert text in finding.message


def test_unknown_field_suggests_the_right_name(tmp_path):
    [finding] = lint(tmp_path, "MessageConfiguration:\n  SMSMessage: {Bdy: hi}\n")
    assert finding.fix == "did you mean 'Body'?"


def test_every_schema_mistake_of_a_message_is_reported_at_once(tmp_path):
    message = (
        "MessageConfiguration:\n"
        "  SMSMessage: {Bdy: hi, MessageType: 3}\n"
        "  APNSMesage: {}\n"
        "PerUser: {TitleOveride: x}\n"
        "TraceID: y\n"
    )
    findings = lint(tmp_path, message)
    assert sorted((f.line, f.check) for f in findings) == [
        (2, "message-invalid"),
        (2, "unknown-field"),
        (3, "unknown-field"),
        (4, "unknown-field"),
        (5, "unknown-field"),
    ]
    assert [f.fix for f in findings if f.check == "unknown-field"] == [
        "did you mean 'Body'?",
        "did you mean 'APNSMessage'?",
        "did you mean 'TitleOverride'?",
        "did you mean 'TraceId'?",
    ]


TRANSLATED = """
    locale: en-US
    MessageConfiguration:
      SMSMessage: {MessageType: PROMOTIONAL}
    PerUser:
      BodyOverride: "{% include 'm/body.j2' %}"
"""


def test_missing_translation_for_a_locale_of_the_audience(tmp_path):
    files = {"templates/m/body.j2": "Hello", "templates/m/body.fr.j2": "Bonjour"}
    audience = """
        users:
          - {id: u-1, locale: fr-CA}
          - {id: u-2, locale: en-GB}
          - {id: u-3, locale: de-DE}
          - {id: u-4, locale: de-AT}
          - {id: u-5, locale: de-DE}
    """
    findings = lint(tmp_path, TRANSLATED, audience, **files)
    assert [(f.check, Path(f.file).name, f.users) for f in findings] == [
        ("missing-translation", "body.j2", ("u-4",)),
        ("missing-translation", "body.j2", ("u-3", "u-5")),
    ]
    assert "not for de-AT" in findings[0].message
    assert findings[0].fix.startswith("add body.de.j2")
    assert (
        lint(tmp_path, TRANSLATED, audience, **files, **{"templates/m/body.de.j2": "Hallo"}) == []
    )


def test_untranslated_messages_need_no_translations(tmp_path):
    audience = "users:\n  - {id: u-1, locale: de-DE}\n"
    assert lint(tmp_path, TRANSLATED, audience, **{"templates/m/body.j2": "Hello"}) == []


def test_no_audience_runs_the_static_checks_and_says_so(tmp_path):
    findings = lint(tmp_path, GOOD.replace("sub('Name')", "sub('Nme')"), audience=None)
    assert [(f.check, f.severity) for f in findings] == [
        ("no-audience", "warning"),
        ("sub-undeclared", "error"),
        ("sub-unused", "warning"),  # Name: the typo leaves it unused
    ]


def test_the_declared_audience_is_the_default(tmp_path):
    root = build_tree(
        tmp_path,
        {
            "templates/m/message.yaml": GOOD + "    audience: people\n",
            "audiences/people.yaml": PEOPLE,
        },
    )
    result = lint_message("m", root=root, now=NOW)
    assert (result.findings, result.users, result.audience.name) == ((), 2, "people.yaml")


def test_a_declared_audience_that_does_not_exist(tmp_path):
    [finding] = lint(tmp_path, GOOD + "    audience: nobody\n", audience=None)
    assert (finding.check, finding.line) == ("audience-invalid", 5)


def test_an_audience_that_does_not_parse_is_a_finding(tmp_path):
    [finding] = lint(
        tmp_path, GOOD, "users:\n  - {id: u-1, first_name: A}\n  - {id: u-1, first_name: B}\n"
    )
    assert finding.check == "audience-invalid"
    assert "duplicate user id 'u-1'" in finding.message


def test_ignored_findings_are_counted(tmp_path):
    root = build_tree(
        tmp_path,
        {
            "templates/m/message.yaml": GOOD
            + "    TraceId: '{{ message }}'\n    lint: {ignore: [trace-id-template]}\n",
            "audiences/people.yaml": PEOPLE,
        },
    )
    result = lint_message("m", root=root, audience="people", now=NOW)
    assert (result.findings, result.ignored) == ((), 1)


def test_lint_every_message_and_strict(tmp_path):
    root = build_tree(
        tmp_path,
        {
            "templates/good/message.yaml": GOOD,
            "templates/group/warned/message.yaml": GOOD.replace("{Name:", "{Extra: x, Name:"),
            "templates/_shared/footer.j2": "bye",
            "audiences/people.yaml": PEOPLE,
        },
    )
    report = lint_messages(root=root, audience="people", now=NOW)
    assert [m.name for m in report.messages] == ["good", "group/warned"]
    assert (report.errors, report.warnings) == (0, 1)
    assert not report.failed()
    assert report.failed(strict=True)


def test_no_messages_at_all_is_a_usage_error(tmp_path):
    (tmp_path / "templates").mkdir()
    with pytest.raises(InputError, match="no messages under"):
        lint_messages(root=tmp_path)


def test_the_example_content_lints_with_only_its_documented_warnings():
    report = lint_messages(root=REPO, now=NOW)
    found = sorted((m.name, f.check) for m in report.messages for f in m.findings)
    # beta_testers holds names outside GSM-7 on purpose, so the messages with an SMS
    # body show the UCS-2 warning; reference ignores sub-unused (its substitutions are
    # there to measure their cost), which the summary counts. weekly_digest: French
    # numbers carry CLDR's no-break spaces, and the Spanish text writes "envío".
    assert found == [
        ("order_shipped", "sms-ucs2"),
        ("reference", "sms-ucs2"),
        ("weekly_digest", "sms-ucs2"),
        ("weekly_digest", "sms-ucs2"),
        ("weekly_digest", "sms-ucs2"),
        ("weekly_digest", "sms-ucs2-text"),
    ]
    assert report.errors == 0
