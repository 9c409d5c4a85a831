"""Per-user fields: one Jinja call per user, split back into the right fields."""

import json

from tests.render.support import project, render, users_of


def test_sub_emits_pinpoint_placeholders_and_substitutions_become_lists(tmp_path):
    root = project(
        tmp_path,
        """
        MessageConfiguration:
          SMSMessage: {Body: "{{ sub('FirstName') }} / {{ sub('Tags') }}"}
        PerUser:
          Substitutions:
            FirstName: "{{ user.first_name }}"
            Tags: ["{{ user.first_name | upper }}", "{{ user.id }}"]
        """,
    )
    [request] = render(root)
    body = request["SendUsersMessageRequest"]
    assert body["MessageConfiguration"]["SMSMessage"]["Body"] == "{{FirstName}} / {{Tags}}"
    assert body["Users"] == {
        "u-1": {"Substitutions": {"FirstName": ["Ana"], "Tags": ["ANA", "u-1"]}}
    }


def test_user_data_containing_the_field_separator_is_not_misplaced(tmp_path):
    root = project(
        tmp_path,
        """
        MessageConfiguration: {SMSMessage: {}}
        PerUser:
          TitleOverride: "{{ user.first_name }}"
          BodyOverride: "body"
        """,
        audience='users:\n  - {id: u-1, first_name: "a\\x1fb"}\n',
    )
    assert users_of(render(root))["u-1"] == {"TitleOverride": "a\x1fb", "BodyOverride": "body"}


def test_set_in_one_field_does_not_leak_into_the_next(tmp_path):
    root = project(
        tmp_path,
        """
        MessageConfiguration: {SMSMessage: {}}
        PerUser:
          TitleOverride: "{% set first_name = 'X' %}{{ first_name }}"
          BodyOverride: "{{ first_name | default('none') }}"
        """,
    )
    assert users_of(render(root))["u-1"] == {"TitleOverride": "X", "BodyOverride": "none"}


def test_raw_content_renders_to_json(tmp_path):
    root = project(
        tmp_path,
        """
        MessageConfiguration: {GCMMessage: {Action: OPEN_APP}}
        PerUser:
          RawContent: '{"data": {"name": {{ user.first_name | tojson }}}}'
        """,
    )
    raw = users_of(render(root))["u-1"]["RawContent"]
    assert json.loads(raw) == {"data": {"name": "Ana"}}
