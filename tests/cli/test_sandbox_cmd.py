"""``pipeline sandbox``: its options, its one-line errors, and Ctrl-C."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from pathlib import Path

from tests.helpers import run_cli
from tests.sandbox.support import MakeClient, send


def test_cli_help_lists_the_options() -> None:
    result = run_cli(["sandbox", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    for option in (
        "--port",
        "--endpoints",
        "--store",
        "--throttle-share",
        "--error-share",
        "--drop-share",
        "--latency-ms",
        "--endpoint-throttle-share",
        "--endpoint-temporary-failure-share",
        "--opt-out-share",
        "--seed",
    ):
        assert option in result.output


def test_cli_reports_a_bad_endpoints_file_on_one_line(tmp_path: Path) -> None:
    result = run_cli(["sandbox", "--endpoints", str(tmp_path / "missing.yaml")])
    assert result.exit_code == 2
    error = result.stderr
    assert re.fullmatch(r"Error: .*missing\.yaml: cannot read the file: .*\n", error)


def test_cli_runs_until_ctrl_c(tmp_path: Path, make_client: MakeClient) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "pipeline", "sandbox", "--port", "0", "--in-memory"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        banner = process.stdout.readline()
        found = re.search(r"http://127\.0\.0\.1:\d+", banner)
        assert found, banner
        send(make_client(found.group(0)), {"ana": {}})
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=10)
    assert process.returncode == 0, err
    assert err == ""
    assert "Stopped: 1 requests, 1 deliveries recorded in memory." in out
    assert not (tmp_path / ".pipeline").exists()
