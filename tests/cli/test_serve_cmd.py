"""``pipeline serve``: serves until Ctrl-C; bad input is one Error line before anything runs."""

import re
import signal
import subprocess
import sys
import urllib.request

import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from tests.helpers import build_tree

runner = CliRunner()

MESSAGE = """
    audience: people
    MessageConfiguration:
      SMSMessage: {Body: "Hello {{ sub('Name') }}"}
    PerUser:
      Substitutions: {Name: "{{ user.first_name }}"}
"""


def project(tmp_path):
    return build_tree(
        tmp_path,
        {
            "templates/m/message.yaml": MESSAGE,
            "audiences/people.yaml": "users:\n  - {id: u-1, first_name: Ana}\n",
        },
    )


def test_serves_the_pages_and_ctrl_c_stops_it(tmp_path):
    root = project(tmp_path)
    process = subprocess.Popen(
        [sys.executable, "-m", "pipeline", "serve", "--port", "0", "--root", str(root)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # the test's own Ctrl-C is not the server's
    )
    try:
        first = process.stdout.readline()  # the server prints its address once it listens
        match = re.search(r"http://127\.0\.0\.1:\d+/", first)
        assert match, first + process.stderr.read()
        with urllib.request.urlopen(match.group(0) + "messages/m.html", timeout=10) as answer:
            assert "Hello Ana" in answer.read().decode()
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=20) == 0
        assert "Stopped." in process.stderr.read()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stdout.close()
        process.stderr.close()


@pytest.mark.parametrize(
    ("args", "pattern"),
    [
        (["nope"], r"^Error: no message 'nope'"),
        (["--audience", "nobody"], r"^Error: no audience 'nobody'"),
        (["--var", "novalue"], r"^Error: --var 'novalue' is not KEY=VALUE"),
    ],
)
def test_bad_input_is_one_error_line_and_exit_2(tmp_path, args, pattern):
    result = runner.invoke(app, ["serve", "--port", "0", "--root", str(project(tmp_path)), *args])
    assert result.exit_code == 2, result.output
    [line] = result.stderr.splitlines()
    assert re.search(pattern, line)
    assert "Traceback" not in result.output
