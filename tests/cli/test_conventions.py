"""Every command's help reads at 80 columns, and --output is refused with the right hint."""

from __future__ import annotations

import re

import pytest

from pipeline.cli import COMMANDS
from tests.helpers import run_cli, simple_project

EVERY_COMMAND = [[name] for name in COMMANDS] + [["runs", "prune"]]
NARROW = {"COLUMNS": "80"}


def help_of(command: list[str], flag: str = "--help") -> str:
    result = run_cli([*command, flag], env=NARROW)
    assert result.exit_code == 0, result.stderr
    return result.stdout


@pytest.mark.parametrize("command", EVERY_COMMAND, ids=" ".join)
def test_help_fits_80_columns_without_type_noise_or_source_files(command):
    text = help_of(command)
    assert max(len(line) for line in text.splitlines()) <= 80
    assert not re.search(r"<(str|int|float|bool|path|list\[[a-z]+\]|int range|float range)>", text)
    assert ".py" not in text
    assert text.startswith(f"Usage: pipeline {' '.join(command)} ")
    assert "{" not in text.splitlines()[0]  # MESSAGE, not typer's {message}


def test_a_repeatable_argument_has_dots_in_usage_only():
    text = help_of(["lint"])
    assert text.splitlines()[0] == "Usage: pipeline lint [OPTIONS] MESSAGES..."
    assert "\n  MESSAGES  Messages:" in text


@pytest.mark.parametrize("command", EVERY_COMMAND, ids=" ".join)
def test_each_option_says_one_sentence(command):
    # An option's help, from its name to the next option: no second sentence in it.
    listed = help_of(command).split("Options:")[1].split("\nCommands:")[0]
    options = re.split(r"\n  (?=-)", listed)
    for option in options:
        words = " ".join(option.split())
        assert not re.search(r"[a-z)]\. +[A-Z]", words), words


def test_defaults_are_shown_even_when_computed():
    text = " ".join(help_of(["send"]).split())
    assert "[default: .pipeline/journal.sqlite under --root]" in text
    assert "[default: AWS_REGION, else AWS_DEFAULT_REGION, else the profile's]" in text
    assert "[default: 64; 1<=x<=512]" in text


def test_minus_h_is_help_everywhere():
    assert help_of([], "-h") == help_of([], "--help")
    assert help_of(["send"], "-h") == help_of(["send"])


@pytest.mark.parametrize(
    ("command", "fix"),
    [
        (["render", "hello", "people", "--app-id", "a"], "-o PATH writes to a file"),
        (["preview", "hello", "people"], "-o PATH writes to a file and --format picks a format"),
        (["lint", "hello"], "--format picks a format"),
        (["runs"], "--format picks a format"),
        (["send", "hello", "people", "--app-id", "a"], "see pipeline send --help"),
    ],
)
@pytest.mark.parametrize("spelling", [["--output", "json"], ["--output=json"]])
def test_output_is_refused_with_a_hint_and_writes_nothing(tmp_path, command, fix, spelling):
    root = simple_project(tmp_path)
    result = run_cli([*command, "--root", str(root), *spelling])
    assert result.exit_code == 2
    assert result.stderr == f"Error: pipeline {command[0]} has no --output option; {fix}\n"
    assert not (root / "json").exists() and not (tmp_path / "json").exists()


def test_a_value_after_a_double_dash_is_left_alone(tmp_path):
    root = simple_project(tmp_path)
    result = run_cli(["lint", "--root", str(root), "--", "--output"])
    assert "has no --output option" not in result.stderr


def test_a_misspelled_command_gets_the_closest_name():
    result = run_cli(["rendr"])
    assert result.exit_code == 2
    assert "No such command 'rendr'. Did you mean 'render'?" in result.stderr
