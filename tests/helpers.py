"""Test helpers: write small projects inline so each test shows its inputs."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path

from typer.testing import CliRunner, Result

from pipeline.cli import main

# The repository (its templates/ and audiences/ are the project's own example content) and
# the golden files of the example messages.
REPO = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden"


def build_tree(root: Path, files: dict[str, str | bytes]) -> Path:
    """Write ``{relative path: content}`` under ``root``; text is dedented. Returns root."""
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content).lstrip("\n"), encoding="utf-8")
    return root


SIMPLE_MESSAGE = """
    MessageConfiguration:
      SMSMessage:
        Body: "{{ sub('FirstName') }}, hello"
        MessageType: TRANSACTIONAL
    PerUser:
      Substitutions:
        FirstName: "{{ user.first_name }}"
"""

SIMPLE_AUDIENCE = """
    users:
      - {id: u-1, first_name: Ana}
      - {id: u-2, first_name: Zoë}
"""


def simple_project(root: Path, **extra: str | bytes) -> Path:
    """A project with one message ``hello`` and one audience ``people``, plus ``extra`` files."""
    return build_tree(
        root,
        {
            "templates/hello/message.yaml": SIMPLE_MESSAGE,
            "audiences/people.yaml": SIMPLE_AUDIENCE,
            **extra,
        },
    )


def run_cli(args: Sequence[str], *, env: Mapping[str, str | None] | None = None) -> Result:
    """Run ``pipeline ARGS`` in-process exactly as the console script does.

    The console script calls ``pipeline.cli.main()``, which reads ``sys.argv`` and loads the
    command being run; nothing private is touched. CliRunner's isolation captures stdout
    and stderr apart and applies ``env``; the exit becomes ``exit_code``, as with
    ``CliRunner.invoke``.
    """
    runner = CliRunner()
    exception: BaseException | None = None
    exc_info = None
    exit_code = 0
    saved_argv = sys.argv
    sys.argv = ["pipeline", *args]
    try:
        with runner.isolation(env=env) as (stdout, stderr, output):
            try:
                main()
            except SystemExit as exited:
                code = exited.code
                if code is None:
                    code = 0
                elif not isinstance(code, int):
                    sys.stdout.write(f"{code}\n")
                    code = 1
                exit_code = code
                if code != 0:
                    exception, exc_info = exited, sys.exc_info()
            except Exception as error:
                exception, exc_info, exit_code = error, sys.exc_info(), 1
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                captured = stdout.getvalue(), stderr.getvalue(), output.getvalue()
    finally:
        sys.argv = saved_argv
    return Result(runner, *captured, None, exit_code, exception, exc_info)  # type: ignore[arg-type]
