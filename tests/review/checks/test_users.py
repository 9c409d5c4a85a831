"""Checks that render every user: undefined values, user in a block, other render failures."""

from tests.review.support import GOOD, lint, only


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


def test_after_a_render_runs_out_of_time_no_further_user_is_rendered(tmp_path, monkeypatch):
    # 10**10 iterations never end: whatever the machine, the limit is what stops them.
    monkeypatch.setenv("PIPELINE_RENDER_LIMITS", "seconds=0.05")
    message = GOOD.replace(
        "{{ user.first_name }}",
        "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
    )
    audience = "users:\n" + "".join(f"  - {{id: u-{i}}}\n" for i in range(50))
    [finding] = lint(tmp_path, message, audience)
    assert finding.check == "render-failed"
    assert "longer than the limit of 0.05 s" in finding.message
    assert "lint rendered no further users of this message" in finding.message
    assert finding.users == ("u-0",)
