"""The error tree: one line each, built from what, where, for whom and the fix; exit codes."""

import errno
import os

import pytest

from pipeline import errors
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


@pytest.mark.parametrize(
    ("kind", "exit_code"),
    [
        (errors.MessageError, 2),
        (errors.UnknownFieldError, 2),
        (errors.TemplateSyntaxError, 2),
        (errors.MissingTemplateError, 2),
        (errors.UndefinedValueError, 2),
        (errors.UserInBlockError, 2),
        (errors.AudienceError, 2),
        (errors.RequestError, 2),
        (errors.DuplicateRunError, 2),
        (errors.RenderLimitError, 2),
        (errors.RenderTimeError, 2),
        (errors.CredentialsError, 3),
        (errors.JournalError, 3),
        (errors.StorageError, 3),
    ],
)
def test_each_new_kind_carries_its_exit_code(kind: type[errors.PipelineError], exit_code: int) -> None:
    assert kind("x").exit_code == exit_code


def test_run_stopped_keeps_the_place_of_what_it_wraps() -> None:
    cause = errors.SendError("boom", path="j.sqlite", line=7, user_id="u-2", field="F", fix="retry")
    stopped = errors.RunStopped(cause, summary={"sent": 1})
    assert str(stopped) == str(cause)
    assert (stopped.path, stopped.line, stopped.user_id, stopped.field) == ("j.sqlite", 7, "u-2", "F")
    assert stopped.cause is cause
    assert stopped.summary == {"sent": 1}
    assert stopped.exit_code == 3


def test_every_error_class_lives_in_errors_py() -> None:
    import importlib
    import pkgutil

    import pipeline

    outside = []
    for module_info in pkgutil.walk_packages(pipeline.__path__, "pipeline."):
        if module_info.name.startswith(("pipeline.cli", "pipeline.__main__")):
            continue  # importing cli modules registers commands; none defines errors
        module = importlib.import_module(module_info.name)
        for name, value in vars(module).items():
            if (
                isinstance(value, type)
                and issubclass(value, errors.PipelineError)
                and value.__module__ == module_info.name
                and module_info.name != "pipeline.errors"
            ):
                outside.append(f"{module_info.name}.{name}")
    assert outside == []


@pytest.mark.parametrize(
    ("number", "fix"),
    [
        (errno.ENOSPC, "free some disk space"),
        (errno.EACCES, "fix the folder's permissions"),
        (errno.EROFS, "the file system is read-only"),
        (errno.EIO, "check the disk and the folder"),
    ],
)
def test_a_storage_error_says_what_the_machine_refused_and_the_fix(number, fix) -> None:
    error = errors.StorageError.of(OSError(number, os.strerror(number)), "write the output", "o.jsonl")
    assert str(error).startswith(f"o.jsonl: cannot write the output: {os.strerror(number)}; ")
    assert fix in str(error)
    assert error.exit_code == 3
