"""The diff report as text and JSON: measures, unified diffs, byte-identical output."""

from __future__ import annotations

import json
import re

import pytest

from pipeline.review.diff import diff_messages
from tests.review.diff.support import diff, edit, example, one


def test_push_title_change_reports_payload_bytes(tmp_path):
    root = example(tmp_path)
    edit(
        root / "templates/order/message.yaml", "Your order has shipped", "Your order is on its way"
    )

    report = diff_messages(["order"], base="main", root=root)

    order = one(report, "order")
    [apns] = order.comparison.channels
    [group] = apns.groups  # the title has no user data: one group for everyone
    assert (apns.channel, group.users, group.examples) == ("APNS", 4, ("u-1", "u-2", "u-3", "u-4"))
    assert group.after.payload_bytes - group.before.payload_bytes == len("is on its way") - len(
        "has shipped"
    )
    assert group.after.payload_limit == 4096
    text = diff(root, "order").stdout
    assert (
        "--- title\n      +++ title\n      -Your order has shipped\n      +Your order is on its way"
        in text
    )


def test_json_for_tools(tmp_path):
    root = example(tmp_path)
    edit(root / "templates/order/message.yaml", "has shipped.", "is on its way.")

    result = diff(root, "--format", "json")

    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert (document["base"], document["changed"]) == ("main", True)
    assert re.fullmatch(r"[0-9a-f]{40}", document["commit"])
    assert [(m["name"], m["status"]) for m in document["messages"]] == [
        ("digest", "unchanged"),
        ("order", "changed"),
    ]
    [sms] = document["messages"][1]["channels"]
    assert (sms["channel"], sms["status"], sms["users"]) == ("SMS", "changed", 4)
    group = sms["groups"][0]
    assert group["examples"] == ["u-1", "u-3", "u-4"]
    assert group["before"]["sms"] == {"parts": 1, "encoding": "GSM-7", "ucs2_characters": []}
    assert group["diff"] == [
        "--- body",
        "+++ body",
        "-Ana, order A-1 has shipped.",
        "+Ana, order A-1 is on its way.",
    ]


@pytest.mark.parametrize("output", ["text", "markdown", "json"])
def test_output_is_deterministic(tmp_path, output):
    root = example(tmp_path)
    edit(root / "templates/order/message.yaml", "has shipped.", "is on its way.")
    edit(
        root / "audiences/people.yaml",
        "  - {id: u-3",
        "  - {id: u-9, first_name: Max, order: A-9, points: 5}\n  - {id: u-3",
    )

    first, second = diff(root, "--format", output), diff(root, "--format", output)

    assert first.exit_code == second.exit_code == 0
    assert first.stdout_bytes == second.stdout_bytes
    assert "pipeline-diff-" not in first.stdout  # no temporary path leaks into the report
