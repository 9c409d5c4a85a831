"""preview --format json: one user per line, whatever characters the users' data holds."""

import json

from typer.testing import CliRunner

from pipeline.cli import app
from tests.helpers import build_tree


def test_one_user_per_line_with_line_separators_in_the_data(tmp_path):
    root = build_tree(
        tmp_path,
        {
            "templates/m/message.yaml": """
                MessageConfiguration: {SMSMessage: {}}
                PerUser: {BodyOverride: "Hi {{ user.first_name }}"}
            """,
            "audiences/a.yaml": 'users:\n  - {id: u-1, first_name: "A\\u2028B"}\n  - {id: u-2, first_name: "C\\u2029D"}\n',
        },
    )
    result = CliRunner().invoke(app, ["preview", "m", "a", "--root", str(root), "--format", "json"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()  # splits at U+2028 and U+2029 too
    assert lines[0] == '{"users":['
    assert [json.loads(line.rstrip(","))["user_id"] for line in lines[1:3]] == ["u-1", "u-2"]
    document = json.loads(result.stdout)
    assert document["users"][0]["channels"]["SMS"]["body"] == "Hi A\u2028B"
    assert document["sms"]["users"] == 2
