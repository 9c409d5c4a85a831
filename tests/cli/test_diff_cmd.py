"""``pipeline diff``: exit codes, and one-line errors for refs, messages and repositories."""

from __future__ import annotations

import json
import re

import pytest

from pipeline.shard import Shard
from tests.helpers import build_tree, run_cli
from tests.review.diff.support import ORDER, diff, edit, example


def test_exit_code_flag(tmp_path):
    root = example(tmp_path)
    assert diff(root, "--exit-code").exit_code == 0
    edit(root / "templates/order/message.yaml", "has shipped.", "is on its way.")
    assert diff(root).exit_code == 0
    assert diff(root, "--exit-code").exit_code == 1


def test_working_tree_that_does_not_render_is_reported_and_exits_2(tmp_path):
    root = example(tmp_path)
    edit(root / "templates/order/message.yaml", "user.first_name", "user.frist_name")

    result = diff(root)

    assert result.exit_code == 2
    assert "order: failed" in result.stdout
    assert "undefined value" in result.stdout
    assert result.stderr == (
        "Error: 1 message(s) do not render in the working tree: order; see the report above; "
        "pipeline lint shows every problem\n"
    )


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (
            ["--base", "no-such-branch"],
            r"unknown git ref 'no-such-branch'.*; give a ref that exists",
        ),
        (["--base", "--upload-pack=x"], r"unknown git ref '--upload-pack=x'"),
        (
            ["--base", "main", "nope"],
            r"no message 'nope' at main or in the working tree.*; give a folder",
        ),
        (
            ["--base", "main", "--audience", "ghosts"],
            r"no audience 'ghosts' for message '\w+' at main",
        ),
        (["--base", "main", "--shard", "4/3"], r"shard 4/3 does not exist; write --shard I/N"),
        (["--base", "main", "--shard", "2"], r"--shard '2' is not I/N; write it as --shard 2/3"),
    ],
)
def test_input_errors_are_one_line_and_exit_2(tmp_path, args, error):
    root = example(tmp_path)

    result = run_cli(["diff", "--root", str(root), *args])

    assert result.exit_code == 2
    assert result.stdout == ""
    assert re.fullmatch(f"Error: {error}.*\n", result.stderr)


def test_not_a_git_repository(tmp_path):
    root = build_tree(tmp_path / "plain", {"templates/order/message.yaml": ORDER})

    result = run_cli(["diff", "--base", "main", "--root", str(root)])

    assert result.exit_code == 2
    assert re.fullmatch(
        r"Error: .*plain is not inside a git repository \(.*\); run pipeline diff in a clone.*\n",
        result.stderr,
    )


def test_shard_compares_its_users_only_and_every_format_says_so(tmp_path):
    root = example(tmp_path)
    edit(root / "templates/order/message.yaml", "has shipped.", "is on its way.")
    mine = [user for user in ("u-1", "u-2", "u-3", "u-4") if Shard(1, 2).contains(user)]
    assert 0 < len(mine) < 4

    document = json.loads(diff(root, "order", "--shard", "1/2", "--format", "json").stdout)

    assert document["shard"] == "1/2"
    [order] = document["messages"]
    assert order["users"]["changed"] == order["users"]["head"] == len(mine)
    assert sorted(u for g in order["channels"][0]["groups"] for u in g["examples"]) == mine
    assert diff(root, "--shard", "1/2").stdout.splitlines()[0].endswith(
        "; only the users of shard 1/2"
    )
    assert "Only the users of shard 1/2. " in diff(root, "--shard", "1/2", "--format", "markdown").stdout
    site = tmp_path / "site"
    assert diff(root, "--shard", "1/2", "--format", "html", "-o", str(site)).exit_code == 0
    assert "Only the users of shard 1/2. " in (site / "index.html").read_text()
    whole = json.loads(diff(root, "--shard", "1/1", "--format", "json").stdout)
    assert whole["shard"] is None
    assert whole["messages"][1]["users"]["changed"] == 4
