"""Progress while sending: users rendered, then answered, retries pending, and the end."""

from __future__ import annotations

import io
import json

import pytest
from rich.console import Console

from pipeline.cli.send_progress import LineMonitor, RichMonitor, describe, percent
from pipeline.sandbox import Faults, Sandbox
from tests.helpers import run_cli
from tests.send.support import APP, isolate_aws, project, user_ids


@pytest.mark.parametrize(
    ("done", "total", "retries", "shown"),
    [(0, 10, 0, 0), (999, 1000, 0, 99), (1000, 1000, 0, 100), (1000, 1000, 3, 99), (0, 0, 0, 100)],
)
def test_a_hundred_percent_means_nothing_is_left(done, total, retries, shown):
    assert percent(done, total, retries) == shown


def test_counts_read_with_thousands_separators():
    assert describe(7000, 10000, 1234, 3) == (
        "7,000/10,000 users answered (70%), 1,234 retries pending, 3 unknown"
    )


def events(monitor):
    for _ in range(25):
        monitor.rendered(10_000)
    monitor.started(total=250_000, done=0)
    monitor.advanced(125_000)
    monitor.retries(40)
    monitor.advanced(125_000)
    monitor.unknown(100)
    monitor.retries(0)
    monitor.finished()


def test_lines_count_rendering_then_answers_then_the_end(capsys):
    events(LineMonitor())
    lines = [line.rsplit(" (", 1)[0] for line in capsys.readouterr().err.splitlines()]
    assert lines == [
        "100,000 users rendered",
        "200,000 users rendered",
        "125,000/250,000 users answered (50%)",
        "250,000/250,000 users answered (99%), 40 retries pending",
        "250,000/250,000 users answered (100%), 100 unknown",
    ]


def test_the_bar_ends_on_the_final_numbers():
    out = io.StringIO()
    with RichMonitor(Console(file=out, width=120)) as monitor:
        events(monitor)
    last = out.getvalue().strip().splitlines()[-1]
    assert last.startswith("done")
    assert "250,000/250,000 users answered (100%), 100 unknown" in last


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> None:
    isolate_aws(monkeypatch, credentials=True)


def send(root, url, results, *args):
    return run_cli(
        [
            "send",
            "hello",
            "people",
            "--app-id",
            APP,
            "--root",
            str(root),
            "--endpoint-url",
            url,
            "--results",
            str(results),
            *args,
        ]
    )


def users_by_status(results):
    lines = [json.loads(line) for line in results.read_text().splitlines()]
    statuses: dict[str, set[str]] = {}
    for line in lines:
        statuses.setdefault(line["status"], set()).add(line["user_id"])
    return statuses


def test_retries_keep_the_end_from_a_hundred_percent_and_the_end_matches_the_file(tmp_path, aws):
    root = project(tmp_path, user_ids(200))
    results = tmp_path / "results.jsonl"
    with Sandbox(faults=Faults(endpoint_throttle_share=0.5, seed=3)) as sandbox:
        result = send(root, sandbox.url, results, "--delivery-attempts", "2")

    lines = result.stderr.splitlines()
    assert any(" users answered (99%), " in line and "retries pending" in line for line in lines)
    final = lines[-1]
    assert final.startswith("200/200 users answered (100%)"), result.stderr
    assert "retries pending" not in final
    answered = set().union(*users_by_status(results).values())
    assert len(answered) == 200


def test_unknown_users_in_the_last_line_are_those_of_the_results_file(tmp_path, aws):
    root = project(tmp_path, user_ids(500))
    results = tmp_path / "results.jsonl"
    faults = Faults(lost_answer_share=0.5, seed=1)
    with Sandbox(faults=faults) as sandbox:
        result = send(root, sandbox.url, results, "--concurrency", "1")

    assert result.exit_code == 3
    statuses = users_by_status(results)
    unknown = len(statuses["UNKNOWN"])
    answered = len(set().union(*(ids for status, ids in statuses.items() if status != "UNKNOWN")))
    assert unknown and answered + unknown == 500
    final = [line for line in result.stderr.splitlines() if "users answered" in line][-1]
    assert final.startswith(f"{answered:,}/500 users answered (")
    assert f", {unknown:,} unknown" in final
