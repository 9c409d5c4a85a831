"""``pipeline preview``: one panel per user and channel, JSON for tools, one-line errors."""

import json

from tests.helpers import build_tree, run_cli
from tests.review.support import PREVIEW_PEOPLE, SMS_AND_PUSH


def invoke(tmp_path, *args, message=SMS_AND_PUSH, audience=PREVIEW_PEOPLE):
    root = build_tree(tmp_path, {"templates/m/message.yaml": message, "audiences/a.yaml": audience})
    return run_cli(
        ["preview", "m", "a", *args, "--root", str(root), "--now", "2026-01-01T00:00:00Z"],
        env={"COLUMNS": "120"},
    )


def test_cli_text_shows_one_block_per_user_and_channel(tmp_path):
    result = invoke(tmp_path)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert [line.split("·")[0].strip("╭─ ") for line in out.splitlines() if "╭" in line] == [
        "u-1",
        "u-1",
        "u-2",
        "u-2",
    ]
    assert "u-1 · fr-FR · SMS" in out
    assert "Ana, it’s shipped" in out
    assert "UCS-2 · 17 characters · 1 part" in out
    assert "UCS-2 because of ’ U+2019" in out
    assert "Payload  " in out and " / 4,096 bytes" in out


def test_cli_text_shows_what_is_wrong(tmp_path):
    message = """
        MessageConfiguration:
          SMSMessage: {Body: "{{ sub('Nope') }} and {{ vars.text }}"}
          GCMMessage: {Body: "{{ vars.text }}"}
        vars: {text: ""}
    """
    result = invoke(tmp_path, "--user", "u-1", "--var", f"text={'x' * 4100}", message=message)
    assert result.exit_code == 0, result.output
    assert "Unfilled  {{Nope}}: no substitution fills it" in result.stdout
    assert (
        "GSM-7 · 4,113 characters (4,117 units) · 27 parts · over AWS's 1,530-unit limit"
        in result.stdout
    )
    assert "over the limit" in result.stdout


def test_cli_json_is_a_list_of_users(tmp_path):
    result = invoke(tmp_path, "--format", "json", "--channel", "sms")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)["users"]
    assert [(user["user_id"], list(user["channels"])) for user in data] == [
        ("u-1", ["SMS"]),
        ("u-2", ["SMS"]),
    ]
    assert data[1]["channels"]["SMS"]["body"] == "Zoë, it’s shipped"
    # As documented: {"users": [...], "sms": ...}, one user per line, streamed.
    lines = result.stdout.splitlines()
    assert (lines[0], lines[-2], len(lines)) == ('{"users":[', "],", 5)
    assert lines[-1].startswith('"sms":')
    assert [json.loads(line.rstrip(",")) for line in lines[1:-2]] == data


def test_cli_unknown_user_is_a_one_line_error(tmp_path):
    result = invoke(tmp_path, "--user", "u-9")
    assert result.exit_code == 2
    assert result.stderr == (
        "Error: no user 'u-9' in the audience; give a user id from the audience file\n"
    )
    assert result.stdout == ""


ADDRESSED = """
    users:
      - {id: u-1, first_name: Ana, addresses: {SMS: "+15550100001", EMAIL: a@example.com}}
      - {id: u-2, first_name: Zoë}
"""


def test_cli_text_with_send_messages_shows_addresses_and_who_gets_nothing(tmp_path):
    result = invoke(tmp_path, "--api", "send-messages", audience=ADDRESSED)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert [line.strip("╭─ ").split(" ─")[0] for line in out.splitlines() if "╭" in line] == [
        "u-1 · no locale · SMS",
        "u-1 · no locale",
        "u-2 · no locale",
    ]
    assert "To      +15550100001 (SMS)" in out
    assert "a@example.com (EMAIL): no block of the message reaches EMAIL" in out
    assert "No addresses: nothing is sent to this user (PERMANENT_FAILURE)" in out


def test_cli_json_with_send_messages_lists_addresses(tmp_path):
    result = invoke(tmp_path, "--api", "send-messages", "--format", "json", audience=ADDRESSED)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)["users"]
    assert [(user["user_id"], list(user["channels"]), user["addresses"]) for user in data] == [
        ("u-1", ["SMS"], {"SMS": ["+15550100001"], "EMAIL": ["a@example.com"]}),
        ("u-2", [], {}),
    ]


def test_cli_html_with_send_messages_is_a_usage_error(tmp_path):
    result = invoke(
        tmp_path, "--api", "send-messages", "--format", "html", "-o", str(tmp_path / "site")
    )
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: --api send-messages previews as text or json")
    assert not (tmp_path / "site").exists()


def test_cli_json_is_the_same_for_any_number_of_workers(tmp_path, monkeypatch):
    import pipeline.chunks

    monkeypatch.setattr(pipeline.chunks, "CHUNK_BYTES", 300)
    people = "".join(
        json.dumps(
            {
                "id": f"u-{n}",
                "first_name": ["Ana", "Zoë"][n % 2],
                "locale": ["fr-FR", "en-GB"][n % 3 % 2],
            }
        )
        + "\n"
        for n in range(200)
    )
    root = build_tree(
        tmp_path, {"templates/m/message.yaml": SMS_AND_PUSH, "audiences/a.jsonl": people}
    )

    def preview(*args):
        result = run_cli(
            [
                "preview",
                "m",
                "a",
                "--format",
                "json",
                "--root",
                str(root),
                "--now",
                "2026-01-01T00:00:00Z",
                *args,
            ]
        )
        assert result.exit_code == 0, result.stderr
        return result.stdout

    one = preview("--workers", "1")
    assert len(json.loads(one)["users"]) == 200
    assert preview("--workers", "3") == one
    from pipeline.shard import Shard

    shard = [p["user_id"] for p in json.loads(preview("--workers", "2", "--shard", "2/2"))["users"]]
    assert shard == [p["user_id"] for p in json.loads(one)["users"] if Shard(2, 2).contains(p["user_id"])]
    assert 60 < len(shard) < 140
