"""The Jinja environment: translations found by locale, includes across messages, the sandbox, no
way out of templates/, the date and number filters, sub()."""


import jinja2
import pytest

from pipeline.errors import TemplateError
from pipeline.render.templating import (
    locale_chain,
    localized_names,
    make_environment,
    sub,
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
