"""The error tree: exit codes by kind, one-line messages, and wrapped errors keeping their place."""

from __future__ import annotations

import pytest

from pipeline import errors


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
        (errors.CredentialsError, 3),
        (errors.JournalError, 3),
    ],
)
def test_each_kind_carries_its_exit_code(kind: type[errors.PipelineError], exit_code: int) -> None:
    assert kind("x").exit_code == exit_code


def test_message_is_one_line_with_place_user_field_and_fix() -> None:
    error = errors.TemplateError(
        "undefined value:\n  'nickname'", path="m.yaml", line=3, user_id="u-1", field="A.B", fix="add it"
    )
    assert str(error) == "m.yaml:3: undefined value: 'nickname' (user 'u-1', field A.B); add it"


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
