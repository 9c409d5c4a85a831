"""Checks on what each user receives: leftover braces, RawContent, SMS parts, push payloads."""

from tests.review.support import GOOD, PEOPLE, lint, only


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
