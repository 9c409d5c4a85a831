"""The root group: every failure a user or the machine causes is one line, never a trace."""

from __future__ import annotations

import errno
import importlib
import os

from tests.helpers import run_cli, simple_project


def test_an_os_error_no_module_expected_is_one_line_and_exit_3(tmp_path, monkeypatch):
    lint_cmd = importlib.import_module("pipeline.cli.lint_cmd")

    def refused(*args, **kwargs):
        raise OSError(errno.EIO, os.strerror(errno.EIO), str(tmp_path / "x"))

    monkeypatch.setattr(lint_cmd, "lint_messages", refused)
    result = run_cli(["lint", "--root", str(tmp_path)])
    assert result.exit_code == 3
    assert result.stderr == (
        f"Error: {tmp_path / 'x'}: cannot read or write a file: Input/output error; "
        "check the disk and the folder\n"
    )


def test_a_file_name_that_is_not_utf8_is_printed_escaped(tmp_path):
    root = simple_project(tmp_path)
    folder = root / "templates" / os.fsdecode(b"caf\xe9")
    folder.mkdir()
    (root / "templates" / "hello" / "message.yaml").rename(folder / "message.yaml")
    result = run_cli(["lint", "--root", str(root), "--audience", "people"])
    assert result.exit_code == 0, result.stderr
    assert "caf\\udce9" in result.stdout
