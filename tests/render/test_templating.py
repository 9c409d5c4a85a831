"""The Jinja environment: translations found by locale, includes across messages, the sandbox, no
way out of templates/, the date and number filters, sub()."""


import jinja2
import pytest

from pipeline.errors import RenderLimitError, RenderTimeError, TemplateError, UndefinedValueError
from pipeline.render.limits import ENVIRONMENT_VARIABLE
from pipeline.render.templating import (
    locale_chain,
    localized_names,
    make_environment,
    sub,
    template_error,
)
from tests.helpers import build_tree
from tests.render.support import project, render, users_of


def test_include_import_and_extends_work_across_templates(tmp_path):
    root = project(
        tmp_path,
        """
        MessageConfiguration:
          SMSMessage: {}
        PerUser:
          BodyOverride: "{% include 'm/body.j2' %}"
        """,
        **{
            "templates/_shared/macros.j2": "{% macro shout(x) %}{{ x | upper }}!{% endmacro %}",
            "templates/_shared/base.j2": "[{% block content %}{% endblock %}]",
            "templates/m/body.j2": "{% extends '_shared/base.j2' %}{% block content %}"
            "{% import '_shared/macros.j2' as m %}{{ m.shout(user.first_name) }}{% endblock %}",
        },
    )
    assert users_of(render(root))["u-1"]["BodyOverride"] == "[ANA!]"


def test_template_file_final_newline_is_dropped(tmp_path):
    root = project(
        tmp_path,
        "MessageConfiguration: {SMSMessage: {}}\nPerUser: {BodyOverride: \"{% include 'm/b.j2' %}\"}\n",
        **{"templates/m/b.j2": "line one\nline two\n"},
    )
    assert users_of(render(root))["u-1"]["BodyOverride"] == "line one\nline two"


def test_templates_cannot_reach_outside_templates(tmp_path):
    (tmp_path / "secret.txt").write_text("s3cret")
    root = project(
        tmp_path,
        "MessageConfiguration: {SMSMessage: {}}\nPerUser: {BodyOverride: \"{% include '../secret.txt' %}\"}\n",
    )
    with pytest.raises(TemplateError, match="template not found"):
        render(root)
    (tmp_path / "templates" / "link.j2").symlink_to(tmp_path / "secret.txt")
    root = project(
        tmp_path,
        "MessageConfiguration: {SMSMessage: {}}\nPerUser: {BodyOverride: \"{% include 'link.j2' %}\"}\n",
    )
    with pytest.raises(TemplateError, match="template not found: link.j2"):
        render(root)


def test_sandbox_refuses_unsafe_attributes(tmp_path):
    root = project(
        tmp_path,
        "MessageConfiguration: {SMSMessage: {}}\nPerUser: {BodyOverride: '{{ user.__class__.__mro__ }}'}\n",
    )
    with pytest.raises(TemplateError, match="not allowed in a template"):
        render(root)


@pytest.mark.parametrize(
    ("locale", "chain"),
    [
        (None, []),
        ("", []),
        ("fr", ["fr"]),
        ("fr-CA", ["fr-CA", "fr"]),
        ("fr_BE", ["fr_BE", "fr"]),
        ("zh-Hant-TW", ["zh-Hant-TW", "zh-Hant", "zh"]),
    ],
)
def test_locale_chain_goes_from_the_most_specific(locale, chain):
    assert locale_chain(locale) == chain


@pytest.mark.parametrize(
    ("filename", "names"),
    [
        ("body.j2", ["body.fr-CA.j2", "body.fr.j2", "body.j2"]),
        ("raw.json.j2", ["raw.json.fr-CA.j2", "raw.json.fr.j2", "raw.json.j2"]),
        ("footer", ["footer.fr-CA", "footer.fr", "footer"]),
        (".hidden", [".hidden.fr-CA", ".hidden.fr", ".hidden"]),
    ],
)
def test_the_locale_goes_before_the_last_extension(filename, names):
    assert localized_names(filename, "fr-CA") == names
    assert localized_names(filename, None) == [filename]


def test_a_translation_is_found_for_includes_too(tmp_path):
    build_tree(
        tmp_path,
        {
            "templates/m/body.j2": "{% include 'm/greeting.j2' %} / body",
            "templates/m/greeting.j2": "Hello",
            "templates/m/greeting.fr.j2": "Bonjour",
        },
    )
    french = make_environment(tmp_path / "templates", "fr-CA")
    english = make_environment(tmp_path / "templates", "en")
    assert french.get_template("m/body.j2").render() == "Bonjour / body"
    assert english.get_template("m/body.j2").render() == "Hello / body"


def test_user_attributes_are_keys_before_dict_methods(tmp_path):
    root = project(
        tmp_path,
        """
        MessageConfiguration: {SMSMessage: {}}
        PerUser:
          BodyOverride: "{{ user.items }} {{ user.keys }} {{ user.get('first_name') }}"
        """,
        audience="users:\n  - {id: u-1, first_name: Ana, items: 3, keys: front door}\n",
    )
    assert users_of(render(root))["u-1"]["BodyOverride"] == "3 front door Ana"


# The date and number filters are Babel's now: tests/render/test_filters.py.


@pytest.mark.parametrize("name", ["Name", "first_name", "User.UserAttributes.x-1"])
def test_sub_writes_pinpoints_placeholder(name):
    assert sub(name) == "{{" + name + "}}"


@pytest.mark.parametrize("name", ["", "two words", "x}}{{y", 7])
def test_sub_refuses_what_is_no_substitution_name(name):
    with pytest.raises(jinja2.TemplateRuntimeError, match="a substitution name is"):
        sub(name)


def test_a_byte_order_mark_at_the_start_of_a_template_file_is_dropped(tmp_path):
    root = project(
        tmp_path,
        'MessageConfiguration: {SMSMessage: {}}\nPerUser: {BodyOverride: "{% include \'m/b.j2\' %}"}\n',
        **{"templates/m/b.j2": "\ufeffHi {{ user.first_name }}"},
    )
    assert users_of(render(root))["u-1"]["BodyOverride"] == "Hi Ana"


@pytest.mark.parametrize(
    "expression", ["[user.missing]", "{'a': user.missing}", "(1, user.missing)", "[[user.missing]]"]
)
def test_an_undefined_value_inside_a_list_or_a_dict_is_an_undefined_error(tmp_path, expression):
    root = project(
        tmp_path,
        f'MessageConfiguration: {{SMSMessage: {{}}}}\nPerUser: {{BodyOverride: "{{{{ {expression} }}}}"}}\n',
    )
    with pytest.raises(UndefinedValueError, match=r"undefined value: no key or attribute 'missing'"):
        render(root)


def test_a_render_over_a_limit_names_the_template_the_field_and_the_limit(tmp_path, monkeypatch):
    monkeypatch.setenv(ENVIRONMENT_VARIABLE, "characters=50")
    root = project(
        tmp_path,
        'MessageConfiguration: {SMSMessage: {}}\nPerUser: {BodyOverride: "{% include \'m/b.j2\' %}"}\n',
        **{"templates/m/b.j2": "line one\n{{ user.first_name * 100 }}"},
    )
    with pytest.raises(RenderLimitError) as caught:
        render(root)
    assert caught.value.path == str(root / "templates/m/b.j2")
    assert caught.value.line == 2
    assert caught.value.field == "PerUser.BodyOverride"
    assert caught.value.user_id == "u-1"
    assert "a value of 300 characters or items is over the limit of 50" in str(caught.value)
    assert ENVIRONMENT_VARIABLE in str(caught.value)


def test_a_render_out_of_time_is_a_render_time_error(tmp_path):
    from pipeline.render.limits import RenderLimits

    env = make_environment(tmp_path, None, limits=RenderLimits(seconds=0))
    template = env.from_string("{% for i in range(10) %}{{ i }}{% endfor %}")
    with pytest.raises(Exception) as caught:
        template.render()
    error = template_error(caught.value, path=tmp_path / "m.yaml", line=3, field="PerUser.X")
    assert isinstance(error, RenderTimeError)
    assert "longer than the limit of 0 s" in str(error)
