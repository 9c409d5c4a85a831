"""``pipeline test-send`` end to end: real boto3, the embedded or in-process sandbox."""

import json

import pytest

from tests.helpers import REPO, run_cli
from tests.send.support import APP, addressed_project, isolate_aws, user_ids


@pytest.fixture
def aws(monkeypatch):
    isolate_aws(monkeypatch, credentials=True)


def run_test_send(root, *args):
    return run_cli(["test-send", "hello", "people", "--app-id", APP, "--root", str(root), *args])


def test_a_test_send_reports_per_address_and_is_listed_as_a_test(tmp_path, aws):
    root = addressed_project(tmp_path, user_ids(4))
    results = tmp_path / "results.jsonl"

    result = run_test_send(
        root, "--to", "SMS:+15550199999", "--user", "u-0002", "--sandbox", "--results", str(results)
    )

    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("Test run 1 (finished): hello as 1 users of ")
    lines = [json.loads(line) for line in results.read_text().splitlines()]
    assert [(x["user_id"], x["address"], x["status"]) for x in lines] == [
        ("u-0002", "+15550199999", "SUCCESSFUL")
    ]
    runs = run_cli(["runs", "--root", str(root)]).stdout.splitlines()
    assert runs[1].split()[-1] == "test"
    again = run_test_send(root, "--to", "SMS:+15550199999", "--user", "u-0002", "--sandbox")
    assert again.exit_code == 0, again.stderr  # never refused as a duplicate


@pytest.mark.parametrize(
    ("args", "pattern"),
    [
        ([], r"Missing option '--to'"),
        (["--to", "+15550199999"], r"^Error: --to '\+15550199999': not CHANNEL:ADDRESS"),
        (["--to", "FAX:1"], r"^Error: --to 'FAX:1': unknown address channel 'FAX'"),
        (
            ["--to", "SMS:+1555000010"],
            r"^Error: --to \+1555000010: it is the SMS address of user 'u-0001' at line 2",
        ),
        (["--to", "SMS:+1", "--user", "nobody"], r"^Error: no user 'nobody' in the audience"),
        (
            ["--to", "EMAIL:me@example.com"],
            r"^Error: --to EMAIL:me@example\.com: the message has no block",
        ),
    ],
)
def test_bad_test_sends_exit_2_in_one_line_and_send_nothing(tmp_path, aws, args, pattern, sandbox):
    import re

    root = addressed_project(tmp_path, user_ids(3))
    result = run_test_send(root, *args, "--endpoint-url", sandbox.url)
    assert result.exit_code == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert re.search(pattern, result.stderr, re.MULTILINE), result.stderr
    if pattern.startswith("^Error"):
        assert len(result.stderr.strip().splitlines()) == 1
    assert sandbox.requests_received == 0
    assert not (root / ".pipeline" / "journal.sqlite").exists()


def test_without_credentials_nothing_is_sent(tmp_path, monkeypatch, sandbox):
    isolate_aws(monkeypatch, credentials=False)
    root = addressed_project(tmp_path, user_ids(3))
    # To AWS (a loopback endpoint would get the sandbox's dummy keys): refused before any
    # connection, so nothing reaches AWS, nor the sandbox.
    result = run_test_send(root, "--to", "SMS:+1")
    assert result.exit_code == 3
    assert result.stderr.startswith("Error: no AWS credentials found; nothing was sent")
    assert sandbox.requests_received == 0


def test_the_example_message_as_the_first_user_of_each_locale(tmp_path, aws, sandbox):
    command = ["test-send", "order_shipped", "beta_devices", "--app-id", APP, "--root", str(REPO)]
    journal = tmp_path / "journal.sqlite"
    result = run_cli(
        [
            *command,
            "--to",
            "SMS:+15550199999",
            "--endpoint-url",
            sandbox.url,
            "--journal",
            str(journal),
        ]
    )
    assert result.exit_code == 0, result.stderr
    bodies = [d.body for d in sandbox.deliveries()]
    assert len(bodies) == 6  # en-US, en-GB, fr-FR, fr-CA, es-ES, es-MX
    assert {d.endpoint_id for d in sandbox.deliveries()} == {"+15550199999"}
    assert any(body.startswith("Zoë, order A-1043 has shipped") for body in bodies)
