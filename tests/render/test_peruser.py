"""Per-user fields: one Jinja call per user, split back into the right fields."""

import json

import pytest

from pipeline.api import to_json
from pipeline.audience import User
from pipeline.errors import TemplateError
from pipeline.message import load_message
from pipeline.project import templates_root
from pipeline.render.peruser import PerUserTemplate
from pipeline.render.renderer import template_scope
from pipeline.render.templating import make_environment
from tests.helpers import build_tree
from tests.render.support import NOW, project, render, users_of


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


def per_user_template(tmp_path, message_text, locale=None):
    """The per-user template of message ``m``, compiled as the renderer compiles it."""
    root = build_tree(tmp_path, {"templates/m/message.yaml": message_text})
    message = load_message(root, root / "templates" / "m")
    environment = make_environment(templates_root(root), locale)
    scope = template_scope(environment, message, message.variables, locale, NOW)
    return PerUserTemplate(message, environment, scope)


def test_fields_come_out_in_message_yaml_order(tmp_path):
    root = project(
        tmp_path,
        """
        MessageConfiguration: {SMSMessage: {}}
        PerUser:
          TitleOverride: "T {{ user.id }}"
          Context: {plan: "{{ user.first_name }}", id: "{{ user.id }}"}
          BodyOverride: "B"
          Substitutions: {Tags: [x, "{{ user.id }}"], Name: "{{ user.first_name }}"}
        """,
    )
    config = users_of(render(root))["u-1"]
    assert list(config) == ["TitleOverride", "Context", "BodyOverride", "Substitutions"]
    assert config["Context"] == {"plan": "Ana", "id": "u-1"}
    assert list(config["Substitutions"].items()) == [("Tags", ["x", "u-1"]), ("Name", ["Ana"])]


def test_a_value_set_for_one_user_does_not_reach_the_next(tmp_path):
    root = project(
        tmp_path,
        """
        MessageConfiguration: {SMSMessage: {}}
        PerUser:
          BodyOverride: "{% if user.vip %}{% set tier = 'VIP' %}{% endif %}{{ tier | default('none') }}"
        """,
        audience="users:\n  - {id: a, vip: true}\n  - {id: b, vip: false}\n  - {id: c, vip: true}\n",
    )
    bodies = {user: config["BodyOverride"] for user, config in users_of(render(root)).items()}
    assert bodies == {"a": "VIP", "b": "none", "c": "VIP"}


def test_a_field_that_extends_a_template_renders_with_the_others(tmp_path):
    root = project(
        tmp_path,
        """
        MessageConfiguration: {SMSMessage: {}}
        PerUser:
          TitleOverride: "{{ user.first_name }}"
          BodyOverride: "{% extends 'base.j2' %}{% block name %}{{ user.first_name }}{% endblock %}"
        """,
        **{"templates/base.j2": "Hello [{% block name %}{% endblock %}]"},
    )
    assert users_of(render(root))["u-1"] == {"TitleOverride": "Ana", "BodyOverride": "Hello [Ana]"}


@pytest.mark.parametrize(
    ("per_user", "field", "line"),
    [
        (
            '  TitleOverride: "ok"\n  BodyOverride: "{{ user.nickname }}"\n',
            "PerUser.BodyOverride",
            4,
        ),
        (
            '  Substitutions:\n    Tags: [a, "{{ user.nickname }}"]\n',
            "PerUser.Substitutions.Tags.1",
            4,
        ),
    ],
)
def test_a_field_that_fails_for_one_user_names_the_field_and_the_user(
    tmp_path, per_user, field, line
):
    root = project(
        tmp_path,
        "MessageConfiguration: {SMSMessage: {}}\nPerUser:\n" + per_user,
        audience="users:\n  - {id: u-1, nickname: A}\n  - {id: u-2}\n",
    )
    with pytest.raises(
        TemplateError, match="undefined value: no key or attribute 'nickname'"
    ) as caught:
        render(root)
    assert (caught.value.user_id, caught.value.field, caught.value.line) == ("u-2", field, line)


def test_raw_content_that_is_not_json_fails_for_that_user(tmp_path):
    root = project(
        tmp_path,
        """
        MessageConfiguration: {GCMMessage: {}}
        PerUser:
          RawContent: '{"name": "{{ user.first_name }}"}'
        """,
        audience="users:\n  - {id: u-1, first_name: Ana}\n  - {id: u-2, first_name: 'B\"o'}\n",
    )
    with pytest.raises(TemplateError, match="RawContent is not valid JSON") as caught:
        render(root)
    assert (caught.value.user_id, caught.value.field) == ("u-2", "PerUser.RawContent")


@pytest.mark.parametrize(
    "value",
    ["Ana", "", "Zoë 😀 ’", 'quo"te \\ back', "tab\tnew\nline\x01\x1f", "x" * 5000],
)
def test_the_size_bound_covers_each_users_json(tmp_path, value):
    template = per_user_template(
        tmp_path,
        """
        MessageConfiguration: {SMSMessage: {}}
        PerUser:
          TitleOverride: "{{ user.v }}"
          BodyOverride: "{{ user.v }}{{ user.v }}"
          Substitutions: {A: "{{ user.v }}", B: ["{{ user.v }}", "-"]}
          Context: {v: "{{ user.v }}"}
        """,
    )
    user = User(id="ü-1", attributes={"id": "ü-1", "v": value}, line=1)
    config, bound = template.render(user)
    assert config["BodyOverride"] == value * 2
    # What the user adds to a request's Users map: its id, a colon and its configuration.
    assert len(to_json({user.id: config}).encode()) <= bound


@pytest.mark.parametrize("raw", ["[" * 10_000 + "]" * 10_000, "[1" + "0" * 5000 + "]"])
def test_raw_content_json_that_python_cannot_hold_is_one_error(tmp_path, raw):
    root = project(
        tmp_path,
        "MessageConfiguration: {GCMMessage: {}}\nPerUser:\n  RawContent: '{{ user.raw }}'\n",
        audience=f"users:\n  - {{id: u-1, raw: '{raw}'}}\n",
    )
    with pytest.raises(TemplateError, match="RawContent is JSON nested too deeply, or with a number too long") as caught:
        render(root)
    assert (caught.value.user_id, caught.value.field) == ("u-1", "PerUser.RawContent")


def test_a_lone_surrogate_a_template_makes_names_its_field_and_user(tmp_path):
    root = project(
        tmp_path,
        "MessageConfiguration: {SMSMessage: {}}\n"
        "PerUser:\n  TitleOverride: '{{ user.first_name }}'\n  BodyOverride: \"{{ '%c' % 55296 }}\"\n",
    )
    with pytest.raises(TemplateError, match=r"a lone surrogate \(U\+D800\) in the rendered text") as caught:
        render(root)
    assert (caught.value.user_id, caught.value.field, caught.value.line) == ("u-1", "PerUser.BodyOverride", 4)
