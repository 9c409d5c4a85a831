"""Checks on message.yaml that need no audience: substitutions, hidden bodies, links, settings."""

from tests.review.support import GOOD, lint, only


def test_sub_undeclared_points_at_the_call_with_a_suggestion(tmp_path):
    message = GOOD.replace("sub('Name')", "sub('Nme')")
    findings = lint(tmp_path, message)
    [undeclared] = only(findings, "sub-undeclared")
    assert (undeclared.line, undeclared.severity) == (2, "error")
    assert undeclared.fix == "did you mean 'Name'?"
    assert only(findings, "leftover-braces") == []  # reported once, where sub() is written


def test_sub_unused(tmp_path):
    message = GOOD.replace("{Name:", "{Extra: '{{ user.id }}', Name:")
    [finding] = lint(tmp_path, message)
    assert (finding.check, finding.severity, finding.line) == ("sub-unused", "warning", 4)
    assert "Extra" in finding.message
    dynamic = message.replace("sub('Name')", "sub(vars.key)") + "    vars: {key: Name}\n"
    assert only(lint(tmp_path, dynamic), "sub-unused") == []


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


def test_trace_id_with_template_data(tmp_path):
    [finding] = lint(tmp_path, GOOD + "    TraceId: 'run-{{ now }}'\n")
    assert (finding.check, finding.line, finding.severity) == ("trace-id-template", 5, "error")
    assert lint(tmp_path, GOOD + "    TraceId: spring-sale\n") == []


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
