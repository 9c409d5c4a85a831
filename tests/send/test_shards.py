"""Sharded sends through real boto3 against the sandbox: every user once across the shards.

Each shard is its own run in its own journal; shards sent at once share nothing but the
service. A shard sent again (an array job's retry) resumes its own run, and is refused
once that run has sent everything. With ``--api send-messages`` the shards split the
users as well, and with them every address they list: each address once across them.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.sandbox import Faults, Sandbox
from pipeline.shard import Shard
from tests.send.support import (
    APP,
    DUMMY_AWS_ENV,
    NO_AWS_ENV,
    address_of,
    addressed_project,
    isolate_aws,
    project,
    user_ids,
)

runner = CliRunner()


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> None:
    isolate_aws(monkeypatch, credentials=True)


def send(root: Path, url: str, *args: str, env: dict[str, str] | None = None) -> Any:
    command = ["send", "hello", "people", "--app-id", APP, "--root", str(root)]
    return runner.invoke(app, [*command, "--endpoint-url", url, *args], env=env)


def spawn_send(root: Path, url: str, *args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    environ = {**os.environ, **NO_AWS_ENV, **DUMMY_AWS_ENV, **env}
    command = [sys.executable, "-m", "pipeline", "send", "hello", "people", "--app-id", APP]
    command += ["--root", str(root), "--endpoint-url", url, *args]
    return subprocess.Popen(
        command, env=environ, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def journal_runs(path: Path) -> list[tuple[str, str, int]]:
    with sqlite3.connect(path) as db:
        return db.execute("SELECT shard, status, users FROM runs ORDER BY id").fetchall()


def test_three_shards_sent_at_once_deliver_every_user_exactly_once(tmp_path, aws):
    users = user_ids(3000)
    root = project(tmp_path, users)
    with Sandbox() as sandbox:
        # As an AWS Batch array job of three children would run them, all at once.
        shards = [
            spawn_send(
                root,
                sandbox.url,
                "--concurrency",
                "4",
                "--workers",
                "2",
                env={"AWS_BATCH_JOB_ARRAY_INDEX": str(index), "AWS_BATCH_JOB_ARRAY_SIZE": "3"},
            )
            for index in range(3)
        ]
        outcomes = [shard.communicate(timeout=180) for shard in shards]
        delivered = Counter(delivery.user_id for delivery in sandbox.deliveries())

    assert [shard.returncode for shard in shards] == [0, 0, 0], [err for _, err in outcomes]
    assert delivered == Counter(dict.fromkeys(users, 1))
    for index in (1, 2, 3):
        stderr = outcomes[index - 1][1]
        assert f"shard {index}/3 (from AWS_BATCH_JOB_ARRAY_INDEX={index - 1}" in stderr
        journal = root / ".pipeline" / f"journal.shard-{index}-of-3.sqlite"
        assert f"journal {journal}" in stderr
        [(label, status, count)] = journal_runs(journal)
        assert (label, status) == (f"{index}/3", "finished")
        assert count == sum(Shard(index, 3).contains(user) for user in users)
    assert not (root / ".pipeline" / "journal.sqlite").exists()


def test_three_shards_sent_at_once_to_addresses_deliver_every_address_exactly_once(tmp_path, aws):
    users = user_ids(1500)
    root = addressed_project(tmp_path, users, per_user=2)
    addresses = {address_of(user, k): user for user in users for k in range(2)}
    results = tmp_path / "results.jsonl"
    with Sandbox() as sandbox:
        # As a Cloud Run job of three tasks would run them, all at once.
        shards = [
            spawn_send(
                root,
                sandbox.url,
                "--api",
                "send-messages",
                "--concurrency",
                "4",
                "--results",
                str(results),
                env={"CLOUD_RUN_TASK_INDEX": str(index), "CLOUD_RUN_TASK_COUNT": "3"},
            )
            for index in range(3)
        ]
        outcomes = [shard.communicate(timeout=180) for shard in shards]
        delivered = Counter(delivery.address for delivery in sandbox.deliveries())

    assert [shard.returncode for shard in shards] == [0, 0, 0], [err for _, err in outcomes]
    assert delivered == Counter(dict.fromkeys(addresses, 1))
    for index in (1, 2, 3):
        assert f"shard {index}/3 (from CLOUD_RUN_TASK_INDEX={index - 1}" in outcomes[index - 1][1]
        mine = {user for user in users if Shard(index, 3).contains(user)}
        journal = root / ".pipeline" / f"journal.shard-{index}-of-3.sqlite"
        with sqlite3.connect(journal) as db:
            [run] = db.execute("SELECT shard, status, users, api FROM runs").fetchall()
        assert run == (f"{index}/3", "finished", len(mine), "send-messages")
        lines = (tmp_path / f"results.shard-{index}-of-3.jsonl").read_text().splitlines()
        sent = {(line["address"], line["user_id"]) for line in map(json.loads, lines)}
        assert sent == {(a, user) for a, user in addresses.items() if user in mine}
    assert not (root / ".pipeline" / "journal.sqlite").exists()


def test_a_retried_shard_resumes_its_run_and_sends_only_the_rest(tmp_path, aws):
    users = user_ids(3000)
    root = project(tmp_path, users)
    mine = [user for user in users if Shard(2, 3).contains(user)]
    env = {"JOB_COMPLETION_INDEX": "1"}
    with Sandbox(faults=Faults(partition_after=4, partition_lost=1)) as sandbox:
        first = send(
            root, sandbox.url, "--shards", "3", "--concurrency", "1", "--max-attempts", "2", env=env
        )
        assert first.exit_code == 3, first.stderr  # the network went away part-way
        sandbox.heal()

        retry = send(root, sandbox.url, "--shards", "3", env=env)  # the same command line
        assert retry.exit_code == 3, retry.stderr  # one answer was lost: its users are unknown
        assert "shard 2/3: resuming run 1, which an earlier attempt" in retry.stderr

        settled = send(root, sandbox.url, "--shards", "3", "--resume", "--accept-unknown", env=env)
        delivered = Counter(delivery.user_id for delivery in sandbox.deliveries())

    assert settled.exit_code == 1, settled.stderr  # UNKNOWN is not SUCCESSFUL
    assert delivered == Counter(dict.fromkeys(mine, 1))
    journal = root / ".pipeline" / "journal.shard-2-of-3.sqlite"
    assert journal_runs(journal) == [("2/3", "finished", len(mine))]
    unknown = root / ".pipeline" / "unknown-run-1.shard-2-of-3.jsonl"
    assert "unknown-run-1.shard-2-of-3.jsonl" in retry.stderr
    assert not unknown.exists()  # settled


def test_a_shard_sent_again_is_refused_and_other_shards_are_not(tmp_path, aws):
    users = user_ids(600)
    root = project(tmp_path, users)
    with Sandbox() as sandbox:
        first = send(root, sandbox.url, "--shard", "1/2")
        again = send(root, sandbox.url, "--shard", "1/2")
        other = send(root, sandbox.url, "--shard", "2/2")
        delivered = Counter(delivery.user_id for delivery in sandbox.deliveries())

    assert first.exit_code == 0, first.stderr
    assert again.exit_code == 2
    assert (
        "run 1 (finished" in again.stderr and "already sent this rendered content" in again.stderr
    )
    assert other.exit_code == 0, other.stderr
    assert delivered == Counter(dict.fromkeys(users, 1))


def test_a_shard_has_its_share_of_max_rps_and_its_own_results_file(tmp_path, aws):
    users = user_ids(300)
    root = project(tmp_path, users)
    results = tmp_path / "out" / "results.jsonl"
    with Sandbox() as sandbox:
        sent = send(
            root, sandbox.url, "--shard", "3/3", "--max-rps", "300", "--results", str(results)
        )

    assert sent.exit_code == 0, sent.stderr
    assert "--max-rps 300 for 3 shards: 100 for this one" in sent.stderr
    lines = [
        json.loads(line)
        for line in (results.parent / "results.shard-3-of-3.jsonl").read_text().splitlines()
    ]
    assert {line["shard"] for line in lines} == {"3/3"}
    assert {line["user_id"] for line in lines} == {u for u in users if Shard(3, 3).contains(u)}
    assert not results.exists()
