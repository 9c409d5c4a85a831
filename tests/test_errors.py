"""The error tree: one line each, built from what, where, for whom and the fix; exit codes."""

import pytest

from pipeline.errors import (
    AudienceError,
    InputError,
    MessageError,
    PipelineError,
    RequestError,
    SendError,
    TemplateError,
)


def test_the_message_reads_where_what_for_whom_and_the_fix():
    error = TemplateError(
        "undefined value: no key 'nickname'",
        path="templates/m/message.yaml",
        line=6,
        user_id="u-9",
        field="PerUser.BodyOverride",
        fix="give a fallback with | default('...')",
    )
    assert str(error) == (
        "templates/m/message.yaml:6: undefined value: no key 'nickname' "
        "(user 'u-9', field PerUser.BodyOverride); give a fallback with | default('...')"
    )


@pytest.mark.parametrize(
    ("options", "text"),
    [
        ({}, "it broke"),
        ({"path": "a.yaml"}, "a.yaml: it broke"),
        ({"path": "a.yaml", "line": 3}, "a.yaml:3: it broke"),
        ({"field": "Context"}, "it broke (field Context)"),
        ({"user_id": "u-1"}, "it broke (user 'u-1')"),
        ({"fix": "mend it"}, "it broke; mend it"),
    ],
)
def test_each_part_appears_only_when_given(options, text):
    assert str(PipelineError("it broke", **options)) == text


def test_text_over_several_lines_becomes_one_line():
    error = InputError("first line\n  second line", fix="do\nthis")
    assert str(error) == "first line second line; do this"


@pytest.mark.parametrize(
    ("kind", "code"),
    [
        (PipelineError, 1),
        (InputError, 2),
        (MessageError, 2),
        (TemplateError, 2),
        (AudienceError, 2),
        (RequestError, 2),
        (SendError, 3),
    ],
)
def test_exit_codes(kind, code):
    assert kind("x").exit_code == code
