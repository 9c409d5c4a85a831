"""Start-up stays small: commands that do not talk to AWS never import boto3.

Each case runs the real entry point in a fresh interpreter (the click project's
``tests/test_imports.py`` idea) and lists which heavy modules it loaded.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROBE = """
import json, sys
from pipeline.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
heavy = ("boto3", "rich", "jinja2", "pipeline.sandbox.server")
print(json.dumps(sorted(name for name in heavy if name in sys.modules)), file=sys.stderr)
"""


def run_probe(
    args: list[str], env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


def loaded_after(args: list[str], env: dict[str, str] | None = None) -> list[str]:
    return json.loads(run_probe(args, env).stderr.strip().splitlines()[-1])


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["--version"],
    ],
    ids=["help", "version"],
)
def test_help_and_version_import_nothing_heavy(args: list[str]) -> None:
    assert loaded_after(args) == []


@pytest.mark.parametrize(
    "args",
    [
        [
            "render",
            "order_shipped",
            "beta_testers",
            "--app-id",
            "x",
            "--now",
            "2026-01-01T00:00:00Z",
        ],
        ["lint", "order_shipped"],
        ["render", "order_shipped", "beta_devices", "--app-id", "x", "--api", "send-messages"],
    ],
    ids=["render", "lint", "render-send-messages"],
)
def test_offline_commands_do_not_import_boto3(args: list[str]) -> None:
    assert "boto3" not in loaded_after(args)


def test_the_version_is_the_distributions():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["name"] == "pinpoint-pipeline"
    done = run_probe(["--version"])
    assert done.stdout == f"pipeline {project['version']}\n"


def test_shell_completion_names_commands_without_loading_them():
    env = {"_PIPELINE_COMPLETE": "complete_bash", "COMP_WORDS": "pipeline re", "COMP_CWORD": "1"}
    done = run_probe([], env)
    assert done.stdout.split() == ["render", "report"]
    assert json.loads(done.stderr.strip().splitlines()[-1]) == []


def test_send_does_import_boto3() -> None:
    # The probe can see boto3: without this, an empty list above would prove nothing.
    assert "boto3" in loaded_after(["send", "--help"])
    assert "boto3" in loaded_after(["test-send", "--help"])


def test_each_summary_in_the_root_help_is_its_commands_own() -> None:
    import importlib

    import typer.main

    from pipeline.cli import COMMANDS

    for name, (module_name, summary) in COMMANDS.items():
        module = importlib.import_module(f"pipeline.cli.{module_name}")
        command = typer.main.get_command(module.commands)
        if command.name != name:
            command = command.get_command(None, name)  # type: ignore[attr-defined]
        assert (command.help or "").splitlines()[0] == summary, name
