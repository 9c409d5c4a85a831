"""The Jinja environment: includes across messages, the sandbox, no way out of templates/."""

import pytest

from pipeline.errors import TemplateError
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
