"""Exactly once, proven through real boto3 against the sandbox: nobody is delivered twice unasked.

Each case is one way a send can go wrong in the field: answers lost after the service
processed the call, a partition (answers lost, then connections refused), two sends of the
same content at once, a crash while calls are under way, and a user too large to send.
Faults are scheduled by request count or held and released by the test, never by time.

Every case runs with both send APIs: SendUsersMessages to user ids, and SendMessages to the
addresses the audience lists (one SMS number per user, so the requests are the same size).
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import pipeline.chunks
from pipeline.cli import app
from pipeline.sandbox import Faults, Sandbox
from tests.send.support import (
    APP,
    DUMMY_AWS_ENV,
    NO_AWS_ENV,
    addressed_project,
    isolate_aws,
    project,
    user_ids,
)

runner = CliRunner()
APIS = ("send-users-messages", "send-messages")


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> None:
    isolate_aws(monkeypatch, credentials=True)


@pytest.fixture(params=APIS)
def api(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def project_for(api: str, root: Path, users: list[str]) -> Path:
    """The project of ``users``; for SendMessages each user has one SMS number."""
    return addressed_project(root, users) if api == "send-messages" else project(root, users)


def send(root: Path, api: str, url: str, *args: str) -> Any:
    command = ["send", "hello", "people", "--app-id", APP, "--root", str(root), "--api", api]
    return runner.invoke(app, [*command, "--endpoint-url", url, *args])


def spawn_send(root: Path, api: str, url: str, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, **NO_AWS_ENV, **DUMMY_AWS_ENV}
    command = [sys.executable, "-m", "pipeline", "send", "hello", "people", "--app-id", APP]
    command += ["--root", str(root), "--api", api, "--endpoint-url", url, *args]
    return subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def deliveries_per_user(sandbox: Sandbox) -> Counter[str]:
    """Deliveries per user: an address delivery (user '') counts for the address's user."""
    return Counter(
        delivery.user_id or _owner(delivery.endpoint_id) for delivery in sandbox.deliveries()
    )


def _owner(address: str) -> str:
    """The user of an address of ``addressed_project``: ``+1555`` + 5 digits + index."""
    return f"u-{int(address[5:10]):04d}"


def unknown_listed(root: Path, run_id: int = 1) -> set[str]:
    path = root / ".pipeline" / f"unknown-run-{run_id}.jsonl"
    return {json.loads(line)["user_id"] for line in path.read_text().splitlines()}


def requests_by_state(root: Path) -> dict[str, int]:
    with sqlite3.connect(root / ".pipeline" / "journal.sqlite") as db:
        rows = db.execute("SELECT state, COUNT(*) FROM requests GROUP BY state").fetchall()
    return dict(rows)


def resume_then_resend_unknown(
    root: Path, api: str, sandbox: Sandbox, *, unknown_users: int
) -> tuple[set[str], Counter[str]]:
    """Resume a stopped run (its unknown users reported), then settle them by resending.

    Returns the users that were unknown and the deliveries per user at the end.
    """
    resumed = send(root, api, sandbox.url, "--resume")
    assert resumed.exit_code == 3, resumed.stderr
    unknown = unknown_listed(root)
    assert len(unknown) == unknown_users

    finished = send(root, api, sandbox.url, "--resume", "--resend-unknown")
    assert finished.exit_code == 0, finished.stderr
    assert not (root / ".pipeline" / "unknown-run-1.jsonl").exists()  # settled
    return unknown, deliveries_per_user(sandbox)


# 0. Rendered on several workers: every recipient in exactly one request, delivered once.


def test_a_send_rendered_on_workers_delivers_every_recipient_once(
    tmp_path, aws, api, monkeypatch
):
    monkeypatch.setattr(pipeline.chunks, "CHUNK_BYTES", 2_000)  # dozens of chunks
    users = user_ids(1200)
    root = project_for(api, tmp_path, users)
    results = tmp_path / "results.jsonl"
    with Sandbox() as sandbox:
        result = send(
            root, api, sandbox.url, "--workers", "3", "--concurrency", "4",
            "--results", str(results),
        )
        delivered = deliveries_per_user(sandbox)

    assert result.exit_code == 0, result.stderr
    assert delivered == Counter(dict.fromkeys(users, 1))
    lines = [json.loads(line) for line in results.read_text().splitlines()]
    assert {line["user_id"] for line in lines} == set(users)
    assert {line["status"] for line in lines} == {"SUCCESSFUL"}


# 1. Lost answers: the service delivers, then the connection closes before the answer.


def test_lost_answers_are_never_resent_and_their_users_are_reported_unknown(tmp_path, aws, api):
    users = user_ids(3000)
    root = project_for(api, tmp_path, users)
    with Sandbox(faults=Faults(lost_answer_share=0.08, seed=3)) as sandbox:
        result = send(root, api, sandbox.url, "--concurrency", "8")
        delivered = deliveries_per_user(sandbox)
        received = sandbox.requests_received

        assert result.exit_code == 3, result.stderr
        assert set(delivered.values()) == {1}, "a lost answer was sent again"
        assert set(delivered) == set(users)  # every call was processed once
        assert received == 30  # one HTTP attempt per request: botocore did not retry
        unknown = unknown_listed(root)
        assert unknown, "the seed loses some answers"
        assert f"{len(unknown):,} users" in result.stderr
        assert "unknown-run-1.jsonl" in result.stderr
        # The screen shows counts, never the ids themselves.
        assert sorted(unknown)[0] not in result.stdout + result.stderr

        settled = send(root, api, sandbox.url, "--resume", "--accept-unknown")

        assert settled.exit_code == 1, settled.stderr  # UNKNOWN is not SUCCESSFUL
        assert set(deliveries_per_user(sandbox).values()) == {1}


def test_resending_lost_answers_is_an_explicit_choice_that_may_deliver_twice(tmp_path, aws, api):
    users = user_ids(1000)
    root = project_for(api, tmp_path, users)
    with Sandbox(faults=Faults(lost_answer_share=0.2, seed=4)) as sandbox:
        result = send(root, api, sandbox.url, "--concurrency", "4", "--on-lost-answer", "resend")
        delivered = deliveries_per_user(sandbox)

    assert result.exit_code == 0, result.stderr
    assert set(delivered) == set(users)  # nobody is left out...
    assert max(delivered.values()) >= 2  # ...at the price the option names


# 2. A partition: answers lost, then connections refused.


def test_a_partition_leaves_unknowns_unknown_and_a_resume_sends_only_the_rest(tmp_path, aws, api):
    users = user_ids(2000)  # 20 requests
    root = project_for(api, tmp_path, users)
    faults = Faults(partition_after=5, partition_lost=2)
    with Sandbox(faults=faults) as sandbox:
        stopped = send(root, api, sandbox.url, "--concurrency", "1", "--max-attempts", "2")

        assert stopped.exit_code == 3, stopped.stderr
        assert "cannot reach Pinpoint" in stopped.stderr
        assert sandbox.partitioned
        lost = unknown_listed(root)
        assert lost == set(users[500:700])  # requests 6 and 7: delivered, answers lost
        assert deliveries_per_user(sandbox) == Counter(dict.fromkeys(users[:700], 1))
        assert requests_by_state(root) == {"answered": 5, "in_flight": 2, "pending": 13}

        sandbox.heal()
        resumed = send(root, api, sandbox.url, "--resume")

        assert resumed.exit_code == 3, resumed.stderr  # the unknowns still need a decision
        assert deliveries_per_user(sandbox) == Counter(dict.fromkeys(users, 1))

        finished = send(root, api, sandbox.url, "--resume", "--resend-unknown")

        assert finished.exit_code == 0, finished.stderr
        delivered = deliveries_per_user(sandbox)
    twice = {user for user, count in delivered.items() if count == 2}
    assert twice == lost  # only as asked, and only the users whose fate was unknown
    assert set(delivered.values()) == {1, 2}


# 3. Two sends of the same content at once.


def test_a_second_send_of_content_being_sent_is_refused_naming_the_run(tmp_path, aws, api):
    users = user_ids(500)
    root = project_for(api, tmp_path, users)
    with Sandbox() as sandbox:
        sandbox.hold()
        first = spawn_send(root, api, sandbox.url, "--concurrency", "2")
        try:
            sandbox.wait_until_held(2)  # the first run is sending

            second = send(root, api, sandbox.url)
            resume = send(root, api, sandbox.url, "--resume")
            forced = send(root, api, sandbox.url, "--force")
        finally:
            sandbox.release()
            _, stderr = first.communicate(timeout=120)
        delivered = deliveries_per_user(sandbox)

    assert first.returncode == 0, stderr
    for refused in (second, resume, forced):
        assert refused.exit_code == 2, refused.stderr
        assert f"is being sent right now by process {first.pid} on host" in refused.stderr
        assert len(refused.stderr.strip().splitlines()) == 1
    assert delivered == Counter(dict.fromkeys(users, 1))


def test_two_sends_started_together_deliver_once(tmp_path, aws, api):
    users = user_ids(800)
    root = project_for(api, tmp_path, users)
    with Sandbox() as sandbox:
        both = [spawn_send(root, api, sandbox.url, "--concurrency", "2") for _ in range(2)]
        outcomes = sorted(process.wait(timeout=120) for process in both)
        errors = [process.communicate()[1] for process in both]
        delivered = deliveries_per_user(sandbox)

    assert outcomes == [0, 2], errors  # one sends; the other is refused, whenever it looks
    assert delivered == Counter(dict.fromkeys(users, 1))


# 4. A crash while calls are under way.


def test_after_a_crash_only_requests_that_left_are_unknown(tmp_path, aws, api):
    users = user_ids(3000)
    root = project_for(api, tmp_path, users)
    with Sandbox() as sandbox:
        sandbox.hold()
        process = spawn_send(root, api, sandbox.url, "--concurrency", "4")
        try:
            sandbox.wait_until_held(4)  # four calls under way, more handed out and waiting
            process.send_signal(signal.SIGKILL)
            process.communicate(timeout=60)
        finally:
            sandbox.release()

        # Exactly the four calls that left; those queued behind them never left.
        assert requests_by_state(root) == {"in_flight": 4, "pending": 26}

        unknown, delivered = resume_then_resend_unknown(root, api, sandbox, unknown_users=400)

    assert set(delivered) == set(users)
    assert {user for user, count in delivered.items() if count > 1} <= unknown


def test_a_sender_process_killed_mid_call_leaves_only_its_calls_unknown(tmp_path, aws, api):
    users = user_ids(3000)
    root = project_for(api, tmp_path, users)
    with Sandbox() as sandbox:
        sandbox.hold()
        process = spawn_send(root, api, sandbox.url, "--concurrency", "4", "--workers", "2")
        try:
            sandbox.wait_until_held(4)  # two calls under way in each sender
            senders = _children(process.pid)
            assert len(senders) == 2  # the render's workers are gone; these make the calls
            os.kill(senders[0], signal.SIGKILL)
        finally:
            sandbox.release()
        _, stderr = process.communicate(timeout=60)

        # The run stops (a sender is gone) with the killed sender's two calls in flight;
        # nothing it was handed after its death left.
        assert process.returncode != 0, stderr
        assert "sender process" in stderr
        states = requests_by_state(root)
        assert states["in_flight"] == 2, states

        unknown, delivered = resume_then_resend_unknown(root, api, sandbox, unknown_users=200)

    assert set(delivered) == set(users)
    assert {user for user, count in delivered.items() if count > 1} <= unknown


def _children(pid: int) -> list[int]:
    return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def test_a_crashed_run_does_not_keep_its_lock(tmp_path, aws, api):
    root = project_for(api, tmp_path, user_ids(1000))
    with Sandbox() as sandbox:
        sandbox.hold()
        process = spawn_send(root, api, sandbox.url, "--concurrency", "1")
        try:
            sandbox.wait_until_held(1)
            process.send_signal(signal.SIGKILL)
            process.communicate(timeout=60)
        finally:
            sandbox.release()

        again = send(root, api, sandbox.url)
        resumed = send(root, api, sandbox.url, "--resume")

    # The dead holder is detected: no "being sent right now"; the way out is a resume.
    assert again.exit_code == 2 and "--resume" in again.stderr, again.stderr
    assert "being sent right now" not in again.stderr
    assert resumed.exit_code == 3, resumed.stderr  # one request of unknown fate


# 5. A user whose request alone is over the payload limit.

OVERSIZE_MESSAGE = """
    MessageConfiguration:
      SMSMessage: {MessageType: TRANSACTIONAL}
    PerUser:
      BodyOverride: "{{ user.text }}"
"""


def oversize_project(root: Path) -> Path:
    """150 users and one huge one; each has an SMS number (the users API ignores it)."""
    lines = [
        json.dumps({"id": f"u-{n}", "text": "hello", "addresses": {"SMS": f"+1555{n:05d}0"}})
        for n in range(150)
    ]
    huge = {"id": "huge", "text": "x" * 7_100_000, "addresses": {"SMS": "+15559999990"}}
    lines.insert(120, json.dumps(huge))
    (root / "templates" / "hello").mkdir(parents=True)
    (root / "templates" / "hello" / "message.yaml").write_text(
        OVERSIZE_MESSAGE.replace("\n    ", "\n").strip() + "\n"
    )
    (root / "audiences").mkdir()
    (root / "audiences" / "people.jsonl").write_text("\n".join(lines) + "\n")
    return root


def test_an_oversize_user_after_smaller_ones_is_refused_at_render(tmp_path, api):
    root = oversize_project(tmp_path)
    out = tmp_path / "out.jsonl"
    command = ["render", "hello", "people", "--app-id", APP, "--root", str(root), "--api", api]
    result = runner.invoke(app, [*command, "-o", str(out)])
    assert result.exit_code == 2
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("Error: ")
    assert "user 'huge'" in line
    assert "7,100," in line and "7,000,000-byte payload limit" in line
    assert not out.exists()


def test_an_oversize_user_sends_nothing(tmp_path, aws, api):
    root = oversize_project(tmp_path)
    with Sandbox() as sandbox:
        result = send(root, api, sandbox.url)
        received = sandbox.requests_received
    assert result.exit_code == 2, result.stderr
    assert "user 'huge'" in result.stderr
    assert received == 0


# The journal holds every recipient's text.


def test_the_journal_is_private_to_its_owner(tmp_path, aws, api):
    root = project_for(api, tmp_path, user_ids(5))
    with Sandbox() as sandbox:
        assert send(root, api, sandbox.url).exit_code == 0
    folder = root / ".pipeline"
    assert folder.stat().st_mode & 0o777 == 0o700
    assert (folder / "journal.sqlite").stat().st_mode & 0o777 == 0o600


def test_the_embedded_sandbox_store_is_private_too(tmp_path, aws):
    root = project(tmp_path, user_ids(5))
    command = ["send", "hello", "people", "--app-id", APP, "--root", str(root), "--sandbox"]
    assert runner.invoke(app, command).exit_code == 0
    assert (root / ".pipeline" / "sandbox.sqlite").stat().st_mode & 0o777 == 0o600
