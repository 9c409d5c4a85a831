"""``pipeline lint``: text, JSON and GitHub output, exit codes, usage errors."""

import json

import pytest

from pipeline.review.lint import CHECKS
from tests.helpers import build_tree, run_cli
from tests.review.support import GOOD, PEOPLE


def invoke(root, *args):
    return run_cli(["lint", *args, "--root", str(root), "--now", "2026-01-01T00:00:00Z"])


def broken_project(tmp_path):
    return build_tree(
        tmp_path,
        {
            "templates/m/message.yaml": GOOD.replace("hi", "{{ sub('Nme') }}"),
            "templates/ok/message.yaml": GOOD.replace("{Name:", "{Extra: x, Name:"),
            "audiences/people.yaml": PEOPLE,
        },
    )


def test_cli_text_output_and_exit_code(tmp_path):
    root = broken_project(tmp_path)
    result = invoke(root, "--audience", "people")
    assert result.exit_code == 1, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == (
        f"{root}/templates/m/message.yaml:2: error sub-undeclared: sub('Nme'): Nme is not a "
        "declared substitution, so {{Nme}} reaches Pinpoint unfilled; did you mean 'Name'?"
    )
    assert lines[1].startswith(f"{root}/templates/ok/message.yaml:4: warning sub-unused: ")
    assert lines[-1] == "1 error, 1 warning in 2 messages (4 users rendered)"


def test_cli_warnings_fail_only_with_strict(tmp_path):
    root = broken_project(tmp_path)
    assert invoke(root, "ok", "--audience", "people").exit_code == 0
    result = invoke(root, "ok", "--audience", "people", "--strict")
    assert result.exit_code == 1
    assert result.stdout.splitlines()[-1].endswith("--strict: warnings fail")


def test_cli_json(tmp_path):
    root = broken_project(tmp_path)
    result = invoke(root, "m", "--audience", "people", "--format", "json")
    assert result.exit_code == 1
    [finding] = json.loads(result.stdout)["findings"]
    assert finding["check"] == "sub-undeclared"
    assert (finding["line"], finding["severity"], finding["message_name"]) == (2, "error", "m")
    assert "1 error" in result.stderr


def test_cli_github_annotations(tmp_path):
    root = broken_project(tmp_path)
    result = invoke(root, "--audience", "people", "--format", "github")
    assert result.exit_code == 1
    error, warning = result.stdout.splitlines()
    assert error.startswith(
        f"::error file={root}/templates/m/message.yaml,line=2,title=sub-undeclared::sub('Nme')"
    )
    assert warning.startswith("::warning file=")


def test_cli_list_checks():
    result = run_cli(["lint", "--list-checks"])
    assert result.exit_code == 0
    assert [line.split()[0] for line in result.stdout.splitlines()] == list(CHECKS)


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["nope"], "no message 'nope'"),
        (["m", "--audience", "nobody"], "no audience 'nobody'"),
        (["m", "--var", "novalue"], "is not KEY=VALUE"),
    ],
)
def test_cli_usage_errors(tmp_path, args, error):
    root = broken_project(tmp_path)
    result = invoke(root, *args)
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: ")
    assert error in result.stderr
    assert result.stdout == ""
