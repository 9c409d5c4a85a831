"""``pipeline preview --format html -o DIR``: a site on disk, or one Error line and nothing."""

import json
import re

import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from tests.helpers import simple_project

runner = CliRunner()


def invoke(root, *args):
    return runner.invoke(
        app, ["preview", *args, "--root", str(root), "--now", "2026-01-01T00:00:00Z"]
    )


def test_the_site_is_written_and_says_what_json_says(tmp_path):
    root = simple_project(tmp_path / "project")
    result = invoke(root, "hello", "people", "--format", "html", "-o", str(tmp_path / "site"))
    assert result.exit_code == 0, result.output
    assert "Wrote" in result.stderr
    page = (tmp_path / "site" / "messages" / "hello.html").read_text()
    [ana] = json.loads(invoke(root, "hello", "people", "--format", "json").stdout)["users"][:1]
    assert ana["channels"]["SMS"]["body"] in page
    assert (tmp_path / "site" / "index.html").is_file()


@pytest.mark.parametrize(
    ("args", "pattern"),
    [
        (["hello", "people", "--format", "html"], r"-o writes an HTML site"),
        (["hello", "people", "-o", "SITE"], r"-o writes an HTML site"),
        (["nope", "people", "--format", "html", "-o", "SITE"], r"no message 'nope'"),
        (["hello", "nobody", "--format", "html", "-o", "SITE"], r"no audience 'nobody'"),
        (["hello", "people", "--user", "u-9", "--format", "html", "-o", "SITE"], r"no user 'u-9'"),
        (["hello", "people", "--channel", "fax", "--format", "html", "-o", "SITE"], r"unknown channel"),
    ],
)
def test_bad_input_is_one_error_line_exit_2_and_no_site(tmp_path, args, pattern):
    root = simple_project(tmp_path / "project")
    site = tmp_path / "site"
    result = invoke(root, *[str(site) if arg == "SITE" else arg for arg in args])
    assert result.exit_code == 2, result.output
    [line] = result.stderr.splitlines()
    assert line.startswith("Error: ")
    assert re.search(pattern, line)
    assert "Traceback" not in result.output
    assert sorted(path.name for path in tmp_path.iterdir()) == ["project"]


def test_a_template_error_leaves_no_site_and_names_file_and_line(tmp_path):
    root = simple_project(
        tmp_path / "project",
        **{"templates/hello/message.yaml": "MessageConfiguration:\n  SMSMessage:\n    Body: \"{{ vars.nope }}\"\n"},
    )
    result = invoke(root, "hello", "people", "--format", "html", "-o", str(tmp_path / "site"))
    assert result.exit_code == 2
    assert "message.yaml:3: undefined value" in result.stderr
    assert not (tmp_path / "site").exists()
