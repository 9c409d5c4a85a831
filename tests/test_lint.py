import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline.cli import _register_commands, app
from pipeline.errors import InputError
from pipeline.review.lint import CHECKS, Finding, lint_message, lint_messages
from tests.helpers import build_tree

_register_commands()
runner = CliRunner()
NOW = datetime(2026, 1, 1, tzinfo=UTC)
PROJECT = Path(__file__).resolve().parent.parent

GOOD = """
    MessageConfiguration:
      SMSMessage: {Body: "{{ sub('Name') }}, hi", MessageType: TRANSACTIONAL}
    PerUser:
      Substitutions: {Name: "{{ user.first_name }}"}
"""
PEOPLE = """
    users:
      - {id: u-1, first_name: Ana}
      - {id: u-2, first_name: Bob}
"""


def lint(tmp_path, message=GOOD, audience=PEOPLE, **files):
    """Lint message ``m`` of a project written inline, against audience ``people``."""
    tree = {"templates/m/message.yaml": message, **files}
    if audience is not None:
        tree["audiences/people.yaml"] = audience
    root = build_tree(tmp_path, tree)
    return list(
        lint_message("m", root=root, audience="people" if audience else None, now=NOW).findings
    )


def only(findings: list[Finding], check: str) -> list[Finding]:
    return [finding for finding in findings if finding.check == check]


def test_a_good_message_has_no_findings(tmp_path):
    assert lint(tmp_path) == []


# --- templates -------------------------------------------------------------------------


def test_template_syntax_in_a_field_and_in_an_included_file(tmp_path):
    message = """
        MessageConfiguration:
          SMSMessage: {Body: "{{ sub('Name') }"}
          APNSMessage: {Body: "{% include 'm/push.j2' %}"}
        PerUser:
          Substitutions: {Name: "{{ user.first_name }}"}
    """
    findings = only(
        lint(tmp_path, message, **{"templates/m/push.j2": "ok\n{% if %}\n"}), "template-syntax"
    )
    assert [(Path(f.file).name, f.line, f.severity) for f in findings] == [
        ("message.yaml", 2, "error"),
        ("push.j2", 2, "error"),
    ]
    assert "unexpected '}'" in findings[0].message


def test_template_not_found_names_the_include(tmp_path):
    message = GOOD.replace("hi", "hi {% include 'm/footer.j2' %}")
    [finding] = only(lint(tmp_path, message), "template-not-found")
    assert finding.message.startswith("template not found: m/footer.j2")
    assert finding.line == 2
    assert lint(tmp_path, message, **{"templates/m/footer.j2": "bye"}) == []


def test_undefined_reports_every_failing_field_and_groups_users(tmp_path):
    message = """
        MessageConfiguration:
          SMSMessage: {MessageType: TRANSACTIONAL}
        PerUser:
          BodyOverride: "Hi {{ user.first_name }}"
          TitleOverride: "{{ user.nickname }}"
    """
    audience = """
        users:
          - {id: u-1, first_name: Ana, nickname: A}
          - {id: u-2}
          - {id: u-3}
    """
    findings = only(lint(tmp_path, message, audience), "undefined")
    assert [(f.line, f.users, f.user_count) for f in findings] == [
        (4, ("u-2", "u-3"), 2),
        (5, ("u-2", "u-3"), 2),
    ]
    assert "'first_name'" in findings[0].message
    assert "PerUser.BodyOverride" in findings[0].message
    fixed = message.replace("user.first_name", "user.first_name | default('there')")
    fixed = fixed.replace("user.nickname", "user.nickname | default('')")
    assert lint(tmp_path, fixed, audience) == []


def test_many_failing_users_make_one_finding_with_a_sample(tmp_path):
    audience = "users:\n" + "".join(f"  - {{id: u-{n}}}\n" for n in range(40))
    [finding] = lint(tmp_path, GOOD, audience)
    assert finding.check == "undefined"
    assert finding.user_count == 40
    assert finding.users == ("u-0", "u-1", "u-2", "u-3", "u-4")
    assert "(for 40 users: u-0, u-1, u-2, u-3, u-4, ...)" in finding.text()


def test_user_in_a_channel_block(tmp_path):
    message = GOOD.replace("{{ sub('Name') }}", "{{ user.first_name }}")
    [finding] = only(lint(tmp_path, message), "user-in-block")
    assert finding.line == 2
    assert finding.user_count == 2
    assert "PerUser" in (finding.fix or "")


def test_render_failed_for_other_template_errors(tmp_path):
    message = GOOD.replace("first_name }}", "when | date }}")
    audience = "users:\n  - {id: u-1, when: 2026-01-01}\n  - {id: u-2, when: soon}\n"
    [finding] = only(lint(tmp_path, message, audience), "render-failed")
    assert finding.users == ("u-2",)
    assert lint(tmp_path, message, "users:\n  - {id: u-1, when: '2026-01-01'}\n") == []


# --- substitutions and placeholders ------------------------------------------------------


def test_sub_undeclared_points_at_the_call_with_a_suggestion(tmp_path):
    message = GOOD.replace("sub('Name')", "sub('Nme')")
    findings = lint(tmp_path, message)
    [undeclared] = only(findings, "sub-undeclared")
    assert (undeclared.line, undeclared.severity) == (2, "error")
    assert undeclared.fix == "did you mean 'Name'?"
    assert only(findings, "leftover-braces") == []  # reported once, where sub() is written


def test_sub_undeclared_in_an_included_file(tmp_path):
    message = GOOD.replace("hi", "{% include 'm/body.j2' %}")
    findings = lint(tmp_path, message, **{"templates/m/body.j2": "line one\n{{ sub('Other') }}"})
    [finding] = only(findings, "sub-undeclared")
    assert (Path(finding.file).name, finding.line) == ("body.j2", 2)


def test_sub_unused(tmp_path):
    message = GOOD.replace("{Name:", "{Extra: '{{ user.id }}', Name:")
    [finding] = lint(tmp_path, message)
    assert (finding.check, finding.severity, finding.line) == ("sub-unused", "warning", 4)
    assert "Extra" in finding.message
    dynamic = message.replace("sub('Name')", "sub(vars.key)") + "    vars: {key: Name}\n"
    assert only(lint(tmp_path, dynamic), "sub-unused") == []


def test_leftover_braces_from_the_template_and_from_user_data(tmp_path):
    message = """
        MessageConfiguration:
          SMSMessage: {MessageType: TRANSACTIONAL}
          GCMMessage: {Action: OPEN_APP}
        PerUser:
          BodyOverride: "{% raw %}{{#if vip}}{% endraw %}Hi {{ user.first_name }}"
    """
    audience = "users:\n  - {id: u-1, first_name: Ana}\n  - {id: u-2, first_name: '{{x}}'}\n"
    findings = only(lint(tmp_path, message, audience), "leftover-braces")
    assert [(f.line, f.users) for f in findings] == [(5, ("u-1", "u-2")), (5, ("u-2",))]
    assert "'{{#if vip}}'" in findings[0].message
    assert "(on SMS, GCM)" in findings[0].message
    assert "no substitution fills it" in findings[1].message
    clean = message.replace("{% raw %}{{#if vip}}{% endraw %}", "")
    assert lint(tmp_path, clean, PEOPLE) == []


# --- message.yaml against the API ----------------------------------------------------------


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


def test_hidden_by_override(tmp_path):
    message = """
        MessageConfiguration:
          SMSMessage: {Body: never sent}
          APNSMessage: {Title: never shown, Body: never sent}
          EmailMessage: {Body: email keeps its body}
        PerUser:
          BodyOverride: "Hi {{ user.first_name }}"
    """
    findings = lint(tmp_path, message)
    assert [(f.check, f.line, f.severity) for f in findings] == [
        ("hidden-by-override", 2, "warning"),
        ("hidden-by-override", 3, "warning"),
    ]
    assert findings[0].message.startswith("SMSMessage.Body is never sent")
    with_title = message.replace("BodyOverride:", "TitleOverride: T\n          BodyOverride:")
    assert len(only(lint(tmp_path, with_title), "hidden-by-override")) == 3


def test_default_message_body_that_reaches_email_is_not_hidden(tmp_path):
    message = """
        MessageConfiguration:
          DefaultMessage: {Body: for email and voice}
        PerUser:
          BodyOverride: "Hi {{ user.first_name }}"
    """
    assert only(lint(tmp_path, message), "hidden-by-override") == []


def test_missing_url(tmp_path):
    message = """
        vars: {link: ""}
        MessageConfiguration:
          APNSMessage: {Body: hi, Action: URL}
          GCMMessage: {Body: hi, Action: DEEP_LINK, Url: "{{ vars.link }}"}
          ADMMessage: {Body: hi, Action: URL, Url: ""}
    """
    findings = only(lint(tmp_path, message), "missing-url")
    assert [(f.line, f.user_count) for f in findings] == [(3, 0), (4, 2), (5, 0)]
    assert "renders empty" in findings[1].message
    fixed = message.replace("Action: URL}", "Action: URL, Url: 'https://x'}")
    fixed = fixed.replace('Url: ""', "Url: https://x")
    assert lint(tmp_path, fixed.replace('link: ""', "link: app://x")) == []


def test_raw_content_that_is_not_json(tmp_path):
    message = """
        MessageConfiguration:
          GCMMessage: {Action: OPEN_APP}
        PerUser:
          RawContent: '{"data": {"name": "{{ user.first_name }}"}}'
    """
    audience = "users:\n  - {id: u-1, first_name: Ana}\n  - {id: u-2, first_name: 'Bo\"b'}\n"
    [finding] = only(lint(tmp_path, message, audience), "raw-content-json")
    assert (finding.line, finding.users) == (4, ("u-2",))
    fixed = message.replace('"{{ user.first_name }}"', "{{ user.first_name | tojson }}")
    assert lint(tmp_path, fixed, audience) == []


def test_raw_content_of_a_block_that_is_not_json(tmp_path):
    message = """
        MessageConfiguration:
          APNSMessage: {RawContent: '{"aps": {"alert": "{{ vars.text }}"}}'}
        vars: {text: 'say "hi"'}
    """
    [finding] = lint(tmp_path, message)
    assert (finding.check, finding.line, finding.user_count) == ("raw-content-json", 2, 2)
    assert finding.message.startswith("APNSMessage.RawContent is not valid JSON: Expecting")
    assert lint(tmp_path, message.replace('say "hi"', "say hi")) == []


def test_trace_id_with_template_data(tmp_path):
    [finding] = lint(tmp_path, GOOD + "    TraceId: 'run-{{ now }}'\n")
    assert (finding.check, finding.line, finding.severity) == ("trace-id-template", 5, "error")
    assert lint(tmp_path, GOOD + "    TraceId: spring-sale\n") == []


# --- SMS and push ----------------------------------------------------------------------------


def test_sms_over_the_part_budget_and_a_budget_per_message(tmp_path):
    long_body = GOOD.replace("hi", "x" * 700)  # 5 parts of 153
    [finding] = lint(tmp_path, long_body)
    assert (finding.check, finding.line, finding.user_count) == ("sms-parts", 2, 2)
    assert "5 parts, over the budget of 3" in finding.message
    assert lint(tmp_path, long_body + "    lint: {sms_max_parts: 5}\n") == []


def test_sms_over_the_aws_limit(tmp_path):
    [finding] = lint(tmp_path, GOOD.replace("hi", "x" * 1600))
    assert finding.check == "sms-too-long"
    assert "1,530-character GSM-7 limit" in finding.message


def test_sms_switched_to_ucs2_by_a_users_data(tmp_path):
    message = GOOD.replace("hi", "your order of " + "x" * 80 + " has shipped")
    audience = "users:\n  - {id: u-1, first_name: Ana}\n  - {id: u-2, first_name: Zoë}\n"
    [finding] = lint(tmp_path, message, audience)
    assert (finding.check, finding.severity, finding.users) == ("sms-ucs2", "warning", ("u-2",))
    assert "2 parts instead of 1" in finding.message
    assert "ë U+00EB" in finding.message
    assert lint(tmp_path, message) == []


def test_a_template_that_is_ucs2_itself_is_not_blamed_on_the_data(tmp_path):
    message = GOOD.replace("hi", "it’s here")
    audience = "users:\n  - {id: u-1, first_name: Zoë}\n"
    assert [f.check for f in lint(tmp_path, message, audience)] == ["sms-ucs2-text"]
    from_a_variable = GOOD.replace("hi", "{{ vars.shop }}") + "    vars: {shop: Café Ÿ}\n"
    assert [f.check for f in lint(tmp_path / "vars", from_a_variable, audience)] == ["sms-ucs2-text"]


def test_push_payload_over_the_limit_for_one_user(tmp_path):
    message = """
        MessageConfiguration:
          GCMMessage: {Action: OPEN_APP}
          ADMMessage: {Action: OPEN_APP}
        PerUser:
          BodyOverride: "{{ user.note }}"
    """
    audience = f"users:\n  - {{id: u-1, note: short}}\n  - {{id: u-2, note: {'x' * 5000}}}\n"
    [finding] = lint(tmp_path, message, audience)
    assert (finding.check, finding.users, finding.line) == ("push-payload", ("u-2",), 5)
    assert "GCM payload is over the service's 4,096-byte limit" in finding.message
    assert "largest, in bytes: 5," in finding.message  # ADM's limit is 6 KB: not reported


# --- locales ---------------------------------------------------------------------------------


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


# --- audiences and settings ------------------------------------------------------------------


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


def test_lint_settings_ignore_and_their_mistakes(tmp_path):
    message = GOOD.replace("{Name:", "{Extra: x, Name:")
    assert only(lint(tmp_path, message), "sub-unused")
    ignored = tmp_path / "ignored"
    result = lint(ignored, message + "    lint: {ignore: [sub-unused]}\n")
    assert result == []
    wrong = message + "    lint: {ignore: [sub-unusd], sms_max_parts: 0, budget: 3}\n"
    findings = only(lint(tmp_path / "wrong", wrong), "lint-config")
    assert sorted(f.message for f in findings) == [
        "lint.sms_max_parts must be a whole number of parts, 1 or more, not 0",
        "unknown check id 'sub-unusd' in lint.ignore",
        "unknown lint setting 'budget'",
    ]


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


def test_every_check_has_a_severity():
    assert {check.severity for check in CHECKS.values()} == {"error", "warning"}


# --- several messages ----------------------------------------------------------------------


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
    report = lint_messages(root=PROJECT, now=NOW)
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


# --- the command ---------------------------------------------------------------------------


def invoke(root, *args):
    return runner.invoke(app, ["lint", *args, "--root", str(root), "--now", "2026-01-01T00:00:00Z"])


def broken_project(tmp_path):
    return build_tree(
        tmp_path,
        {
            "templates/m/message.yaml": GOOD.replace("hi", "{{ sub('Nme') }}"),
            "templates/ok/message.yaml": GOOD.replace("{Name:", "{Extra: x, Name:"),
            "audiences/people.yaml": PEOPLE,
        },
    )


def test_cli_text_output_and_exit_code(tmp_path):
    root = broken_project(tmp_path)
    result = invoke(root, "--audience", "people")
    assert result.exit_code == 1, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == (
        f"{root}/templates/m/message.yaml:2: error sub-undeclared: sub('Nme'): Nme is not a "
        "declared substitution, so {{Nme}} reaches Pinpoint unfilled; did you mean 'Name'?"
    )
    assert lines[1].startswith(f"{root}/templates/ok/message.yaml:4: warning sub-unused: ")
    assert lines[-1] == "1 error, 1 warning in 2 messages (4 users rendered)"


def test_cli_warnings_fail_only_with_strict(tmp_path):
    root = broken_project(tmp_path)
    assert invoke(root, "ok", "--audience", "people").exit_code == 0
    result = invoke(root, "ok", "--audience", "people", "--strict")
    assert result.exit_code == 1
    assert result.stdout.splitlines()[-1].endswith("--strict: warnings fail")


def test_cli_json(tmp_path):
    root = broken_project(tmp_path)
    result = invoke(root, "m", "--audience", "people", "--format", "json")
    assert result.exit_code == 1
    [finding] = json.loads(result.stdout)["findings"]
    assert finding["check"] == "sub-undeclared"
    assert (finding["line"], finding["severity"], finding["message_name"]) == (2, "error", "m")
    assert "1 error" in result.stderr


def test_cli_github_annotations(tmp_path):
    root = broken_project(tmp_path)
    result = invoke(root, "--audience", "people", "--format", "github")
    assert result.exit_code == 1
    error, warning = result.stdout.splitlines()
    assert error.startswith(
        f"::error file={root}/templates/m/message.yaml,line=2,title=sub-undeclared::sub('Nme')"
    )
    assert warning.startswith("::warning file=")


def test_cli_list_checks():
    result = runner.invoke(app, ["lint", "--list-checks"])
    assert result.exit_code == 0
    assert [line.split()[0] for line in result.stdout.splitlines()] == list(CHECKS)


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["nope"], "no message 'nope'"),
        (["m", "--audience", "nobody"], "no audience 'nobody'"),
        (["m", "--var", "novalue"], "is not KEY=VALUE"),
    ],
)
def test_cli_usage_errors(tmp_path, args, error):
    root = broken_project(tmp_path)
    result = invoke(root, *args)
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: ")
    assert error in result.stderr
    assert result.stdout == ""
