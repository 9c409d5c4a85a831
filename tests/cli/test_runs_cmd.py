"""``pipeline runs prune``: old finished runs shrink, and are still refused as sent."""

from __future__ import annotations

import json

import pytest

from tests.helpers import run_cli
from tests.send.support import APP, isolate_aws, project, user_ids


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> None:
    isolate_aws(monkeypatch, credentials=True)


def send(root, *args):
    return run_cli(["send", "hello", "people", "--app-id", APP, "--root", str(root), *args])


def test_pruning_keeps_the_totals_and_the_refusal_to_send_again(tmp_path, aws, sandbox):
    root = project(tmp_path, user_ids(250))
    assert send(root, "--endpoint-url", sandbox.url).exit_code == 0
    journal = root / ".pipeline" / "journal.sqlite"
    before = journal.stat().st_size

    pruned = run_cli(["runs", "prune", "--older-than", "0d", "--root", str(root)])

    assert pruned.exit_code == 0, pruned.stderr
    assert pruned.stdout.startswith("Pruned 1 run (1): the journal went from ")
    assert journal.stat().st_size < before
    [run] = json.loads(run_cli(["runs", "--root", str(root), "--format", "json"]).stdout)
    assert (run["status"], run["pruned"], run["users_by_state"]["answered"]) == (
        "finished, pruned",
        True,
        250,
    )
    report = run_cli(["report", "1", "--root", str(root)])
    assert report.exit_code == 0, report.stderr
    assert "SUCCESSFUL  250        250" in report.stdout
    assert "note: per-endpoint results were pruned on " in report.stdout
    again = send(root, "--endpoint-url", sandbox.url)
    assert again.exit_code == 2
    assert again.stderr.startswith("Error: run 1 (finished, started ")
    assert sum(sandbox.delivery_counts().values()) == 250
    nothing = run_cli(["runs", "prune", "--older-than", "0d", "--root", str(root)])
    assert nothing.stdout.startswith("No run finished before ")


def test_a_pruned_runs_results_file_is_refused_in_one_line(tmp_path, aws):
    root = project(tmp_path, user_ids(3))
    assert send(root, "--sandbox").exit_code == 0
    assert run_cli(["runs", "prune", "--older-than", "30d", "--root", str(root)]).stdout.startswith(
        "No run finished before "
    )
    assert run_cli(["runs", "prune", "--older-than", "0d", "--root", str(root)]).exit_code == 0

    result = run_cli(["report", "1", "--root", str(root), "--results", str(tmp_path / "r.jsonl")])

    assert result.exit_code == 2
    assert result.stderr.startswith("Error: run 1's per-endpoint results were pruned on ")
    assert len(result.stderr.splitlines()) == 1
    assert not (tmp_path / "r.jsonl").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--older-than", "30"],
            "Error: --older-than '30' is not an age; write a number and a unit",
        ),
        ([], "Missing option '--older-than'"),
    ],
)
def test_prune_needs_an_age(tmp_path, args, message):
    project(tmp_path, user_ids(1))
    (tmp_path / ".pipeline").mkdir()
    (tmp_path / ".pipeline" / "journal.sqlite").touch()
    result = run_cli(["runs", "prune", "--root", str(tmp_path), *args])
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_prune_without_a_journal_says_so(tmp_path):
    result = run_cli(["runs", "prune", "--older-than", "0d", "--root", str(tmp_path)])
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: no journal at ")
