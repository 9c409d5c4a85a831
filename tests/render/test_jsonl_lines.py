"""JSON Lines output: one request per line, whatever characters the users' data holds."""

import json
from pathlib import Path

from typer.testing import CliRunner

from pipeline.cli import app
from tests.helpers import build_tree


def test_line_and_paragraph_separators_are_escaped(tmp_path):
    root = build_tree(
        tmp_path,
        {
            "templates/m/message.yaml": """
                MessageConfiguration: {SMSMessage: {}}
                PerUser: {BodyOverride: "Hi {{ user.first_name }}"}
            """,
            # JSON Lines with a batch of 100 users per request: 2 requests for 150 users.
            "audiences/a.jsonl": "".join(
                json.dumps({"id": f"u-{n}", "first_name": f"A\u2028B\u2029C{n}"}) + "\n"
                for n in range(150)
            ),
        },
    )
    target = tmp_path / "out.jsonl"
    result = CliRunner().invoke(
        app, ["render", "m", "a", "--app-id", "x", "--root", str(root), "-o", str(target)]
    )
    assert result.exit_code == 0, result.output
    text = target.read_text("utf-8")
    assert "\u2028" not in text and "\u2029" not in text
    assert "\\u2028" in text and "\\u2029" in text
    lines = text.splitlines()  # splits at U+2028 and U+2029 too
    assert len(lines) == 2
    users = {
        user_id: config["BodyOverride"]
        for line in lines
        for user_id, config in json.loads(line)["SendUsersMessageRequest"]["Users"].items()
    }
    assert users["u-7"] == "Hi A\u2028B\u2029C7" and len(users) == 150


def test_stdout_is_escaped_too(tmp_path):
    root = build_tree(
        tmp_path,
        {
            "templates/m/message.yaml": """
                MessageConfiguration: {SMSMessage: {}}
                PerUser: {BodyOverride: "{{ user.note }}"}
            """,
            "audiences/a.yaml": 'users:\n  - {id: u-1, note: "x\\u2029y"}\n',
        },
    )
    result = CliRunner().invoke(
        app, ["render", "m", "a", "--app-id", "x", "--root", str(Path(root))]
    )
    assert result.exit_code == 0
    [line] = result.stdout.splitlines()
    assert json.loads(line)["SendUsersMessageRequest"]["Users"]["u-1"]["BodyOverride"] == "x\u2029y"
