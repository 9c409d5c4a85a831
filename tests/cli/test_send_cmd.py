"""``pipeline send``, ``runs`` and ``report`` end to end: real boto3, in-process sandbox."""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from pipeline.sandbox import Faults, Sandbox
from pipeline.send.journal import Journal, RunSpec
from pipeline.send.journal.packing import unpack
from tests.helpers import REPO, run_cli
from tests.send.support import (
    APP,
    DUMMY_AWS_ENV,
    NO_AWS_ENV,
    address_of,
    addressed_project,
    endpoints_file,
    isolate_aws,
    make_requests,
    project,
    user_ids,
)

RESULT_KEYS = {
    "user_id",
    "endpoint_id",
    "status",
    "status_code",
    "message_id",
    "status_message",
    "attempts",
}


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> None:
    isolate_aws(monkeypatch, credentials=True)


def send(root: Path, *args: str) -> Any:
    return run_cli(["send", "hello", "people", "--app-id", APP, "--root", str(root), *args])


def journal_runs(root: Path) -> list[Any]:
    with Journal(root / ".pipeline" / "journal.sqlite") as journal:
        return journal.runs()


def test_send_to_the_embedded_sandbox_reports_and_writes_results(tmp_path, aws):
    root = project(tmp_path, user_ids(150))
    results = tmp_path / "out" / "results.jsonl"

    result = send(root, "--sandbox", "--results", str(results))

    assert result.exit_code == 0, result.stderr
    assert "Run 1 (finished)" in result.stdout
    assert "SUCCESSFUL  150        150" in result.stdout
    lines = [json.loads(line) for line in results.read_text().splitlines()]
    assert [line["user_id"] for line in lines] == user_ids(150)
    assert all(set(line) == RESULT_KEYS for line in lines)
    assert {(line["status"], line["status_code"], line["attempts"]) for line in lines} == {
        ("SUCCESSFUL", 200, 1)
    }
    assert all(line["endpoint_id"].startswith("sms-") and line["message_id"] for line in lines)


def test_embedded_sandbox_runs_are_never_refused_as_duplicates(tmp_path, aws):
    root = project(tmp_path, user_ids(3))
    assert send(root, "--sandbox").exit_code == 0
    assert send(root, "--sandbox").exit_code == 0
    assert [run.target for run in journal_runs(root)] == ["sandbox", "sandbox"]


def test_dry_run_prints_what_render_prints(tmp_path, aws):
    root = project(tmp_path, user_ids(120))
    fixed = ("--now", "2026-01-01T00:00:00Z")
    dry = send(root, "--dry-run", *fixed)
    rendered = run_cli(["render", "hello", "people", "--app-id", APP, "--root", str(root), *fixed])
    assert dry.exit_code == 0, dry.stderr
    assert dry.stdout == rendered.stdout
    assert len(dry.stdout.splitlines()) == 2
    assert not (root / ".pipeline").exists()


def test_sending_the_same_content_again_is_refused_unless_forced(tmp_path, aws, sandbox):
    root = project(tmp_path, user_ids(5))
    first = send(root, "--endpoint-url", sandbox.url)
    assert first.exit_code == 0, first.stderr
    received = sandbox.requests_received

    again = send(root, "--endpoint-url", sandbox.url)

    assert again.exit_code == 2
    assert again.stderr.startswith("Error: run 1 (finished, started ")
    assert "--force" in again.stderr
    assert len(again.stderr.strip().splitlines()) == 1
    assert sandbox.requests_received == received

    forced = send(root, "--endpoint-url", sandbox.url, "--force")
    assert forced.exit_code == 0, forced.stderr
    assert set(sandbox.delivery_counts().values()) == {2}


def test_missing_credentials_is_one_line_and_sends_nothing(tmp_path, monkeypatch, sandbox):
    isolate_aws(monkeypatch, credentials=False)
    root = project(tmp_path, user_ids(5))

    result = send(root)  # to AWS: nothing reaches it, so nothing reaches the sandbox either

    assert result.exit_code == 3
    assert result.stderr.startswith("Error: no AWS credentials found; nothing was sent")
    assert len(result.stderr.strip().splitlines()) == 1
    assert sandbox.requests_received == 0
    assert journal_runs(root) == []


def test_invalid_input_exits_2_before_anything_is_sent(tmp_path, aws, sandbox):
    root = project(tmp_path, user_ids(250))
    with (root / "audiences" / "people.jsonl").open("a") as audience:
        audience.write('{"id": "late", "plan": "no first_name"}\n')

    result = send(root, "--endpoint-url", sandbox.url)

    assert result.exit_code == 2
    assert result.stderr.startswith("Error: ")
    assert sandbox.requests_received == 0
    assert journal_runs(root) == []


def test_opt_outs_and_users_without_endpoints_exit_1(tmp_path, aws):
    root = project(tmp_path, ["ana", "bob"])
    endpoints = endpoints_file(
        tmp_path / "endpoints.yaml",
        {"ana": [{"id": "a1", "channel": "SMS", "address": "+15550001", "opt_out": True}]},
    )
    results = tmp_path / "results.jsonl"

    result = send(
        root, "--sandbox", "--sandbox-endpoints", str(endpoints), "--results", str(results)
    )

    assert result.exit_code == 1
    assert "OPT_OUT" in result.stdout and "PERMANENT_FAILURE" in result.stdout
    lines = [json.loads(line) for line in results.read_text().splitlines()]
    assert [(x["user_id"], x["endpoint_id"], x["status"]) for x in lines] == [
        ("ana", "a1", "OPT_OUT"),
        ("bob", "", "PERMANENT_FAILURE"),
    ]
    assert lines[1]["status_message"] == "No endpoints found for userId."


def test_runs_and_report_in_text_and_json(tmp_path, aws):
    root = project(tmp_path, user_ids(4))
    assert send(root, "--sandbox").exit_code == 0

    listed = run_cli(["runs", "--root", str(root), "--format", "json"])
    assert listed.exit_code == 0, listed.stderr
    [run] = json.loads(listed.stdout)
    assert (run["id"], run["status"], run["users"], run["target"]) == (1, "finished", 4, "sandbox")
    assert run["message"] == "hello" and run["audience"] == "audiences/people.jsonl"

    text = run_cli(["runs", "--root", str(root)])
    assert text.stdout.splitlines()[1].split()[:3] == ["1", run["created_at"], "finished"]

    report = run_cli(["report", "1", "--root", str(root), "--format", "json"])
    assert report.exit_code == 0, report.stderr
    data = json.loads(report.stdout)
    assert data["endpoints_by_status"] == {"SUCCESSFUL": 4}
    assert data["users_by_status"] == {"SUCCESSFUL": 4}
    assert (data["unknown"], data["exit_code"], data["run"]["id"]) == ([], 0, 1)

    missing = run_cli(["report", "9", "--root", str(root)])
    assert missing.exit_code == 2
    assert "no run 9" in missing.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--resend-unknown"], "only apply with --resume"),
        (["--resume"], "no unfinished run of 'hello'"),
        (["--sandbox", "--endpoint-url", "http://127.0.0.1:9"], "choose one of --sandbox"),
    ],
)
def test_resume_options_are_checked(tmp_path, aws, args, message):
    root = project(tmp_path, user_ids(2))
    result = send(root, *args)
    assert result.exit_code == 2
    assert message in result.stderr


# Crash and Ctrl-C: a real `pipeline send` process.


def spawn_send(root: Path, url: str, *extra: str) -> subprocess.Popen[str]:
    env = {**os.environ, **NO_AWS_ENV, **DUMMY_AWS_ENV}
    command = [sys.executable, "-m", "pipeline", "send", "hello", "people", "--app-id", APP]
    command += ["--root", str(root), "--endpoint-url", url, "--concurrency", "3", *extra]
    return subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def wait_for_answers(
    root: Path, at_least: int, process: subprocess.Popen[str], state: str = "answered"
) -> None:
    """Poll the journal until ``at_least`` requests are in ``state`` (exactly, for in_flight)."""
    path = root / ".pipeline" / "journal.sqlite"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()
        try:
            with sqlite3.connect(path) as db:
                (count,) = db.execute(
                    "SELECT COUNT(*) FROM requests WHERE state = ?", (state,)
                ).fetchone()
        except sqlite3.Error:
            count = 0
        if count == at_least if state == "in_flight" else count >= at_least:
            return
        time.sleep(0.02)
    raise AssertionError(f"the send never had {at_least} requests {state}")


def users_by_state(root: Path) -> dict[str, set[str]]:
    with sqlite3.connect(root / ".pipeline" / "journal.sqlite") as db:
        rows = db.execute("SELECT state, body FROM requests").fetchall()
    states: dict[str, set[str]] = {}
    for state, body in rows:
        users = json.loads(unpack(body))["SendUsersMessageRequest"]["Users"]
        states.setdefault(state, set()).update(users)
    return states


def user_counts(sandbox: Sandbox) -> dict[str, int]:
    counts: dict[str, int] = {}
    for (user, _), count in sandbox.delivery_counts().items():
        counts[user] = counts.get(user, 0) + count
    return counts


def test_a_killed_send_resumes_without_delivering_twice_to_answered_users(tmp_path, aws):
    users = user_ids(3000)
    root = project(tmp_path, users)
    with Sandbox() as sandbox:
        sandbox.hold(after=6)  # the calls after the sixth stay under way until released
        process = spawn_send(root, sandbox.url)
        sandbox.wait_until_held(3)
        wait_for_answers(root, 6, process)
        # A call answered just before the hold is in flight on disk until the sender
        # records its answer: wait for that, so exactly the three held calls are unknown.
        wait_for_answers(root, 3, process, state="in_flight")
        process.send_signal(signal.SIGKILL)
        process.communicate()
        sandbox.release()
        sandbox.wait_until_idle()  # the three calls under way are processed
        before = users_by_state(root)
        delivered_before = user_counts(sandbox)

        resumed = send(root, "--endpoint-url", sandbox.url, "--resume")

        unknown = before.get("in_flight", set())
        assert resumed.exit_code == 3, resumed.stderr
        assert len(unknown) == 300, "the three calls under way are unknown, no more"
        listed = {
            json.loads(line)["user_id"]
            for line in (root / ".pipeline" / "unknown-run-1.jsonl").read_text().splitlines()
        }
        assert listed == unknown
        assert "unknown: 300 users in 3 requests" in resumed.stdout
        assert "--resend-unknown" in resumed.stderr
        after = user_counts(sandbox)
        for user in before["answered"]:
            assert after[user] == delivered_before[user] == 1
        assert all(after.get(user, 0) == 1 for user in before["pending"])

        finished = send(root, "--endpoint-url", sandbox.url, "--resume", "--resend-unknown")

        assert finished.exit_code == 0, finished.stderr
        final = user_counts(sandbox)
    assert set(final) == set(users)
    twice = {user for user, count in final.items() if count > 1}
    assert twice == unknown  # the held calls were processed after the kill: resent as asked
    assert max(final.values()) == 2


def test_ctrl_c_stops_cleanly_and_the_resume_delivers_the_rest_once(tmp_path, aws):
    users = user_ids(2000)
    root = project(tmp_path, users)
    with Sandbox() as sandbox:
        sandbox.hold(after=3)  # three calls answered, the next three held until Ctrl-C is taken
        process = spawn_send(root, sandbox.url)
        sandbox.wait_until_held(3)
        wait_for_answers(root, 3, process)
        process.send_signal(signal.SIGINT)
        assert process.stderr is not None
        for line in process.stderr:
            if line.startswith("stopping: waiting for the"):
                break
        sandbox.release()
        _, stderr = process.communicate(timeout=60)

        assert process.returncode == 3, stderr
        assert "Error: run 1 interrupted" in stderr
        assert "--resume" in stderr
        states = users_by_state(root)
        assert "in_flight" not in states  # the calls under way were answered and journaled
        assert len(states["answered"]) == 600  # the three before Ctrl-C and the three held
        assert len(states["pending"]) == 1400

        resumed = send(root, "--endpoint-url", sandbox.url, "--resume")

        assert resumed.exit_code == 0, resumed.stderr
        counts = user_counts(sandbox)
    assert counts == dict.fromkeys(users, 1)


def test_accepting_unknowns_settles_the_run_and_exits_1(tmp_path, aws, sandbox):
    root = project(tmp_path, user_ids(150))
    spec = RunSpec(
        message="hello",
        audience="audiences/people.jsonl",
        application_id=APP,
        target=sandbox.url,
        region="us-east-1",
        root=str(root),
    )
    with Journal(root / ".pipeline" / "journal.sqlite") as journal:
        run = journal.create_run(spec, make_requests(user_ids(150), 100))
        first, _ = journal.queued(run.id)
        journal.claim([first.id])  # in flight when "the process died"

    result = send(root, "--endpoint-url", sandbox.url, "--resume", "--accept-unknown")

    assert result.exit_code == 1, result.stderr
    assert "UNKNOWN     100" in result.stdout
    assert "SUCCESSFUL  50" in result.stdout
    assert sorted(user for user, _ in sandbox.delivery_counts()) == user_ids(150)[100:]
    assert [r.status for r in journal_runs(root)] == ["finished"]


def test_runs_without_a_journal_says_so(tmp_path):
    result = run_cli(["runs", "--root", str(tmp_path)])
    assert result.exit_code == 0
    assert result.stdout.strip() == "No runs yet."


def test_the_projects_own_example_goes_out_once_per_endpoint(tmp_path, aws):
    repo = REPO
    audience = yaml.safe_load((repo / "audiences" / "beta_testers.yaml").read_text("utf-8"))
    expected = [str(user["id"]) for user in audience["users"]]
    journal, results = tmp_path / "journal.sqlite", tmp_path / "results.jsonl"

    result = run_cli(
        ["send", "order_shipped", "beta_testers", "--app-id", APP, "--root", str(repo)]
        + ["--sandbox", "--journal", str(journal), "--results", str(results)],
    )

    assert result.exit_code == 0, result.stderr
    lines = [json.loads(line) for line in results.read_text().splitlines()]
    assert list(dict.fromkeys(line["user_id"] for line in lines)) == expected
    with sqlite3.connect(tmp_path / "sandbox.sqlite") as store:
        delivered = store.execute("SELECT user_id, endpoint_id FROM deliveries").fetchall()
    assert sorted(delivered) == sorted((x["user_id"], x["endpoint_id"]) for x in lines)


def test_a_second_ctrl_c_stops_at_once_leaving_only_calls_under_way_unknown(tmp_path, aws):
    root = project(tmp_path, user_ids(2000))
    with Sandbox() as sandbox:
        sandbox.hold(after=3)  # three calls answered, the next three held
        process = spawn_send(root, sandbox.url)  # 3 workers, 1 request handed out ahead
        sandbox.wait_until_held(3)
        wait_for_answers(root, 3, process)
        process.send_signal(signal.SIGINT)
        assert process.stderr is not None
        for line in process.stderr:  # the first Ctrl-C is taken: it waits for the calls
            if line.startswith("stopping: waiting for the"):
                break
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=60)
        sandbox.release()

    assert process.returncode == 3, stderr
    assert re.search(r"Error: run 1 interrupted; 3 requests were still in flight", stderr)
    with sqlite3.connect(root / ".pipeline" / "journal.sqlite") as db:
        states = dict(db.execute("SELECT state, COUNT(*) FROM requests GROUP BY state").fetchall())
    assert states["in_flight"] == 3  # the request handed out ahead never left: pending
    assert sum(states.values()) == 20


def test_credentials_are_neither_printed_nor_journaled(tmp_path, monkeypatch, sandbox):
    isolate_aws(monkeypatch, credentials=True)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDLOOKFORME")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret-look-for-me")
    root = project(tmp_path, user_ids(3))

    result = send(root, "--endpoint-url", sandbox.url)

    assert result.exit_code == 0, result.stderr
    journal_files = list((root / ".pipeline").iterdir())
    assert journal_files
    for text in (
        result.stdout,
        result.stderr,
        *(p.read_bytes().decode("latin-1") for p in journal_files),
    ):
        assert "AKIDLOOKFORME" not in text
        assert "secret-look-for-me" not in text


def test_the_journal_names_the_endpoint_used_even_from_the_environment(
    tmp_path, monkeypatch, aws, sandbox
):
    # AWS_ENDPOINT_URL sends elsewhere than AWS: the journal must not say "aws", or a later
    # send to AWS would be refused as a duplicate of a test.
    monkeypatch.setenv("AWS_ENDPOINT_URL", sandbox.url)
    root = project(tmp_path, user_ids(4))

    first = send(root)

    assert first.exit_code == 0, first.stderr
    assert [run.target for run in journal_runs(root)] == [sandbox.url]
    assert f"via {sandbox.url}" in first.stdout
    again = send(root, "--endpoint-url", sandbox.url + "/")  # the same endpoint, spelt apart
    assert again.exit_code == 2
    assert again.stderr.startswith("Error: run 1 (finished, ")


def test_a_standalone_sandbox_needs_no_credentials_and_no_region(tmp_path, monkeypatch, sandbox):
    # `pipeline sandbox &` then `pipeline send --endpoint-url http://127.0.0.1:8642`.
    isolate_aws(monkeypatch, credentials=False)
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    root = project(tmp_path, user_ids(4))

    result = send(root, "--endpoint-url", sandbox.url)

    assert result.exit_code == 0, result.stderr
    assert sum(sandbox.delivery_counts().values()) == 4


def test_debug_logs_the_wire_with_credentials_and_signatures_redacted(
    tmp_path, monkeypatch, aws, sandbox
):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret-look-for-me")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "token-look-for-me")
    root = project(tmp_path, user_ids(3))

    result = send(root, "--endpoint-url", sandbox.url, "--debug")

    assert result.exit_code == 0, result.stderr
    log = result.stderr
    assert "botocore.endpoint DEBUG Sending http request" in log
    assert "Response body" in log and "SendUsersMessage" not in result.stdout
    for secret in ("AKIAIOSFODNN7EXAMPLE", "secret-look-for-me", "token-look-for-me"):
        assert secret not in log
    assert re.search(r"Signature=<redacted>", log)
    assert not re.search(r"Signature(=|:\s*)[0-9a-f]{16}", log)


# --api send-messages: to the addresses the audience lists.

ADDRESS_RESULT_KEYS = RESULT_KEYS - {"endpoint_id"} | {"address"}


def test_send_to_addresses_reports_per_user_and_address(tmp_path, aws):
    root = addressed_project(tmp_path, user_ids(120), per_user=2)
    results = tmp_path / "results.jsonl"

    result = send(root, "--api", "send-messages", "--sandbox", "--results", str(results))

    assert result.exit_code == 0, result.stderr
    assert re.search(r"status\s+addresses\s+users\nSUCCESSFUL\s+240\s+120", result.stdout)
    lines = [json.loads(line) for line in results.read_text().splitlines()]
    assert all(set(line) == ADDRESS_RESULT_KEYS for line in lines)
    assert [(line["user_id"], line["address"]) for line in lines] == [
        (user, address_of(user, k)) for user in user_ids(120) for k in range(2)
    ]
    assert {line["status"] for line in lines} == {"SUCCESSFUL"}
    [run] = journal_runs(root)
    assert (run.api, run.users, run.requests) == ("send-messages", 120, 3)


def test_a_user_without_addresses_is_a_permanent_failure_and_exit_1(tmp_path, aws):
    root = addressed_project(tmp_path, user_ids(3))
    with (root / "audiences" / "people.jsonl").open("a") as audience:
        audience.write('{"id": "nobody", "first_name": "N"}\n')
    results = tmp_path / "results.jsonl"

    result = send(root, "--api", "send-messages", "--sandbox", "--results", str(results))

    assert result.exit_code == 1, result.stderr
    assert re.search(r"PERMANENT_FAILURE\s+1\s+1", result.stdout)
    lines = [json.loads(line) for line in results.read_text().splitlines()]
    assert lines[-1] == {
        "user_id": "nobody",
        "address": "",
        "status": "PERMANENT_FAILURE",
        "status_code": None,
        "message_id": None,
        "status_message": "No addresses for this user in the audience.",
        "attempts": 1,
    }


def test_dry_run_to_addresses_prints_what_render_prints(tmp_path, aws):
    root = addressed_project(tmp_path, user_ids(120))
    fixed = ("--now", "2026-01-01T00:00:00Z", "--api", "send-messages")
    dry = send(root, "--dry-run", *fixed)
    rendered = run_cli(["render", "hello", "people", "--app-id", APP, "--root", str(root), *fixed])
    assert dry.exit_code == 0, dry.stderr
    assert dry.stdout == rendered.stdout
    assert [set(json.loads(line)) for line in dry.stdout.splitlines()] == [
        {"ApplicationId", "MessageRequest"}
    ] * 2


def test_a_resume_continues_the_run_of_its_own_api(tmp_path, aws, sandbox):
    root = addressed_project(tmp_path, user_ids(250))
    sandbox.faults = Faults(partition_after=1, partition_lost=1)
    stopped = send(
        root,
        "--api",
        "send-messages",
        "--endpoint-url",
        sandbox.url,
        "--max-attempts",
        "1",
        "--concurrency",
        "1",
    )
    assert stopped.exit_code == 3, stopped.stderr
    sandbox.heal()
    sandbox.faults = Faults()

    wrong = send(root, "--endpoint-url", sandbox.url, "--resume")
    assert wrong.exit_code == 2
    assert "with --api send-users-messages" in wrong.stderr and "check --api" in wrong.stderr

    resumed = send(root, "--api", "send-messages", "--endpoint-url", sandbox.url, "--resume")
    assert resumed.exit_code == 3, resumed.stderr  # the lost answer's users stay unknown
    assert set(sandbox.delivery_counts().values()) == {1}
    assert len(sandbox.delivery_counts()) == 250


def test_runs_say_what_each_run_sent(tmp_path, aws):
    root = addressed_project(tmp_path, user_ids(2))
    assert send(root, "--sandbox").exit_code == 0
    assert send(root, "--sandbox", "--api", "send-messages").exit_code == 0
    text = run_cli(["runs", "--root", str(root)])
    lines = text.stdout.splitlines()
    assert lines[0].split()[-1] == "kind"
    assert [line.split()[-1] for line in lines[1:]] == ["addresses", "users"]
    listed = json.loads(run_cli(["runs", "--root", str(root), "--format", "json"]).stdout)
    assert [(r["api"], r["purpose"]) for r in listed] == [
        ("send-messages", "send"),
        ("send-users-messages", "send"),
    ]
