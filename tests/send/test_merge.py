"""merge_reports and ``pipeline report --merge``: shards' journals or results as one summary."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.errors import InputError
from pipeline.sandbox import Faults, Sandbox
from pipeline.send.merge import merge_reports
from pipeline.shard import Shard
from tests.send.support import APP, addressed_project, isolate_aws, project, user_ids

runner = CliRunner()
USERS = user_ids(900)


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> None:
    isolate_aws(monkeypatch, credentials=True)


def send(root: Path, url: str, *args: str) -> Any:
    command = ["send", "hello", "people", "--app-id", APP, "--root", str(root)]
    return runner.invoke(app, [*command, "--endpoint-url", url, *args])


def report(*args: str) -> Any:
    return runner.invoke(app, ["report", *args])


def of_shard(index: int, count: int = 3) -> list[str]:
    return [user for user in USERS if Shard(index, count).contains(user)]


@pytest.fixture
def sent(tmp_path, aws):
    """Shards 1/3 and 3/3 sent in full, 2/3 stopped part-way by a network partition."""
    root = project(tmp_path, USERS)
    results = tmp_path / "results.jsonl"
    with Sandbox() as sandbox:
        for index in (1, 3):
            done = send(root, sandbox.url, "--shard", f"{index}/3", "--results", str(results))
            assert done.exit_code == 0, done.stderr
        sandbox.faults = Faults(partition_after=1, partition_lost=1)  # counted from here
        stopped = send(
            root,
            sandbox.url,
            "--shard",
            "2/3",
            "--concurrency",
            "1",
            "--max-attempts",
            "1",
            "--results",
            str(results),
        )
        assert stopped.exit_code == 3, stopped.stderr
    return root


def journal(root: Path, index: int) -> Path:
    return root / ".pipeline" / f"journal.shard-{index}-of-3.sqlite"


def test_journals_merge_into_one_summary_naming_the_unfinished_shard(sent):
    merged = merge_reports([journal(sent, n) for n in (1, 2, 3)])
    assert merged.count == 3
    assert merged.send == {
        "message": "hello",
        "audience": "audiences/people.jsonl",
        "application_id": APP,
        "target": merged.send["target"],
    }
    assert [r.status for r in merged.shards] == ["finished", "stopped", "finished"]
    assert [r.shard.label for r in merged.unfinished] == ["2/3"]
    assert merged.missing == []
    second = merged.shards[1]
    assert second.users == len(of_shard(2))
    assert second.unknown == 100 and second.not_sent == len(of_shard(2)) - 200
    assert merged.totals("by_status") == {"SUCCESSFUL": len(of_shard(1)) + len(of_shard(3)) + 100}
    assert merged.exit_code == 3


def test_a_shard_no_journal_holds_is_missing(sent):
    merged = merge_reports([journal(sent, 1), journal(sent, 3)])
    assert [r.shard.label for r in merged.missing] == ["2/3"]
    assert merged.exit_code == 3


def test_a_folder_merges_every_journal_in_it_and_nothing_else(sent):
    sqlite3.connect(sent / ".pipeline" / "sandbox.sqlite").execute(
        "CREATE TABLE deliveries (id INTEGER)"
    ).connection.close()
    merged = merge_reports([sent / ".pipeline"])
    assert [r.source for r in merged.shards] == [journal(sent, n) for n in (1, 2, 3)]


def test_results_files_merge_as_the_journals_do(sent, tmp_path):
    files = sorted(tmp_path.glob("results.shard-*-of-3.jsonl"))
    assert len(files) == 3
    merged = merge_reports(files)
    journals = merge_reports([sent / ".pipeline"])
    assert merged.totals("by_status") == journals.totals("by_status")
    assert [r.status for r in merged.shards] == ["finished", "unfinished", "finished"]
    assert [(r.unknown, r.not_sent) for r in merged.shards] == [
        (r.unknown, r.not_sent) for r in journals.shards
    ]


def test_a_results_file_of_a_shard_without_users_is_known_by_its_name(tmp_path):
    (tmp_path / "results.shard-1-of-2.jsonl").write_text("")
    line = {
        "user_id": "u",
        "endpoint_id": "e",
        "status": "SUCCESSFUL",
        "attempts": 1,
        "shard": "2/2",
    }
    (tmp_path / "other.jsonl").write_text(json.dumps(line) + "\n")
    merged = merge_reports([tmp_path / "results.shard-1-of-2.jsonl", tmp_path / "other.jsonl"])
    assert [(r.status, r.users) for r in merged.shards] == [("finished", 0), ("finished", 1)]
    assert merged.exit_code == 0


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"a.jsonl": '{"user_id": "u"}\n'}, r"a.jsonl:1: not a line of a shard's results file"),
        ({}, r"no journal or results file of a shard"),
        (
            {
                "a.jsonl": '{"user_id": "u", "status": "SUCCESSFUL", "shard": "1/2"}\n',
                "b.jsonl": '{"user_id": "v", "status": "SUCCESSFUL", "shard": "1/3"}\n',
            },
            r"of sends in 2 and 3 shards",
        ),
        (
            {
                "a.jsonl": '{"user_id": "u", "endpoint_id": "e", "status": "SUCCESSFUL", "shard": "1/2"}\n',
                "b.jsonl": '{"user_id": "v", "address": "+1", "status": "SUCCESSFUL", "shard": "2/2"}\n',
            },
            r"of sends with --api send-users-messages and send-messages; merge the results of one",
        ),
    ],
)
def test_what_cannot_be_merged(tmp_path, files, message):
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    paths = [tmp_path / name for name in files] or [tmp_path]
    with pytest.raises(InputError, match=message):
        merge_reports(paths)


def test_report_merge_prints_every_shard_and_exits_3_when_one_is_unfinished(sent):
    result = report("--merge", str(sent / ".pipeline"))
    assert result.exit_code == 3, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Shards of hello to audiences/people.jsonl, application ")
    assert lines[0].endswith(": 2 of 3 finished")
    assert lines[1].split() == ["shard", "run", "status", "users", "source"]
    assert lines[3].split()[:3] == ["2/3", "1", "stopped"]
    assert "unfinished: 2/3 (stopped): run 1 stopped at request 3: cannot reach Pinpoint" in result.stdout
    data = json.loads(report("--merge", str(journal(sent, 1)), "--format", "json").stdout)
    assert (data["missing"], data["unfinished"], data["exit_code"]) == (["2/3", "3/3"], [], 3)


def test_report_merge_of_every_shard_finished_exits_0(tmp_path, aws):
    root = project(tmp_path, USERS)
    with Sandbox() as sandbox:
        for index in (1, 2):
            assert send(root, sandbox.url, "--shard", f"{index}/2").exit_code == 0
    result = report(
        "--merge",
        str(root / ".pipeline" / "journal.shard-1-of-2.sqlite"),
        "--merge",
        str(root / ".pipeline" / "journal.shard-2-of-2.sqlite"),
    )
    assert result.exit_code == 0, result.stdout + result.stderr
    assert f"SUCCESSFUL  {len(USERS):,}" in result.stdout.replace("       ", " ")
    assert "\nstatus      endpoints  users\n" in result.stdout
    data = json.loads(report("--merge", str(root / ".pipeline"), "--format", "json").stdout)
    assert data["api"] == "send-users-messages"


def test_report_merge_of_a_send_to_addresses_counts_addresses(tmp_path, aws):
    users = user_ids(90)
    root = addressed_project(tmp_path, users, per_user=2)
    results = tmp_path / "results.jsonl"
    with Sandbox() as sandbox:
        for index in (1, 2):
            sent = send(
                root,
                sandbox.url,
                "--api",
                "send-messages",
                "--shard",
                f"{index}/2",
                "--results",
                str(results),
            )
            assert sent.exit_code == 0, sent.stderr
    files = sorted(tmp_path.glob("results.shard-*-of-2.jsonl"))
    for sources in ([str(root / ".pipeline")], [str(path) for path in files]):
        merge = [arg for source in sources for arg in ("--merge", source)]
        text = report(*merge)
        assert text.exit_code == 0, text.stdout + text.stderr
        totals = text.stdout.splitlines()[-2:]
        assert [line.split() for line in totals] == [
            ["status", "addresses", "users"],
            ["SUCCESSFUL", "180", "90"],
        ]
        data = json.loads(report(*merge, "--format", "json").stdout)
        assert data["api"] == "send-messages"
        assert data["endpoints_by_status"] == {"SUCCESSFUL": 180}  # the key of one run's summary


def two_sends_of_different_apis(tmp_path: Path, first: str, second: str) -> Path:
    """Shard 2/2 sent with SendMessages, then 1/2 with SendUsersMessages, started as given."""
    root = addressed_project(tmp_path, user_ids(60))
    with Sandbox() as sandbox:
        earlier = send(root, sandbox.url, "--api", "send-messages", "--shard", "2/2")
        later = send(root, sandbox.url, "--shard", "1/2")  # send-users-messages
    assert (earlier.exit_code, later.exit_code) == (0, 0), earlier.stderr + later.stderr
    # The runs' start times, set: a run's start is kept to the second.
    for index, started in ((2, first), (1, second)):
        with sqlite3.connect(root / ".pipeline" / f"journal.shard-{index}-of-2.sqlite") as db:
            db.execute("UPDATE runs SET created_at = ?", (started,))
    return root


def test_journals_merge_the_shards_of_the_latest_send_of_its_api_only(tmp_path, aws):
    root = two_sends_of_different_apis(
        tmp_path, "2026-12-01T09:00:00+00:00", "2026-12-01T09:00:01+00:00"
    )
    merged = merge_reports([root / ".pipeline"])
    assert merged.api == "send-users-messages"
    assert [r.status for r in merged.shards] == ["finished", "missing"]


def test_two_sends_started_in_the_same_second_in_two_journals_are_not_guessed_between(
    tmp_path, aws
):
    started = "2026-12-01T09:00:00+00:00"
    root = two_sends_of_different_apis(tmp_path, started, started)
    result = report("--merge", str(root / ".pipeline"))
    assert result.exit_code == 2
    assert f"two sharded sends started at {started}" in result.stderr
    assert "they differ in API" in result.stderr
    assert "pass only the journals of the send to report" in result.stderr
    assert "Traceback" not in result.stderr


def test_report_merge_takes_no_run(sent):
    result = report("1", "--merge", str(sent / ".pipeline"))
    assert result.exit_code == 2
    assert "--merge reports every shard" in result.stderr
