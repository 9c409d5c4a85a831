"""diff_messages: each side of a change rendered as it is at the ref and in the working tree."""

from __future__ import annotations

import json
import re

import pytest

from pipeline.errors import InputError
from pipeline.review.diff import diff_messages
from pipeline.shard import Shard
from tests.helpers import build_tree, run_cli
from tests.review.diff.support import (
    DIGEST,
    DIGEST_BODY,
    ORDER,
    PEOPLE,
    channel,
    committed,
    diff,
    edit,
    example,
    git,
    one,
)


def test_messages_added_and_removed(tmp_path):
    root = example(tmp_path)
    for name in ("message.yaml", "body.j2"):
        (root / "templates/digest" / name).unlink()
    build_tree(
        root,
        {
            "templates/welcome/message.yaml": """
                audience: people
                MessageConfiguration:
                  SMSMessage: {Body: "Welcome!", MessageType: PROMOTIONAL}
            """
        },
    )

    report = diff_messages(base="main", root=root)

    assert [(m.name, m.status) for m in report.messages] == [
        ("digest", "removed"),
        ("order", "unchanged"),
        ("welcome", "added"),
    ]
    removed, added = one(report, "digest").comparison, one(report, "welcome").comparison
    assert (removed.removed.count, removed.head_users) == (4, 0)
    assert (added.added.count, added.base_users) == (4, 0)
    assert dict(added.added.example)["SMS"].body == "Welcome!"
    assert report.changed
    text = diff(root).stdout
    assert "digest: removed (audiences/people.yaml; 4 users)\n" in text
    assert "welcome: added (audiences/people.yaml; 4 users)\n  users added: 4 users: u-1," in text


def test_each_side_uses_its_own_declared_audience(tmp_path):
    root = example(tmp_path)
    build_tree(root, {"audiences/vip.csv": "id,first_name,order\nv-1,Grace,B-1\n"})
    edit(root / "templates/order/message.yaml", "audience: people", "audience: vip")

    order = one(diff_messages(["order"], base="main", root=root), "order")

    assert (order.base_audience, order.head_audience) == (
        "audiences/people.yaml",
        "audiences/vip.csv",
    )
    assert order.comparison.added.examples == ("v-1",)
    assert order.comparison.removed.examples == ("u-1", "u-2", "u-3", "u-4")


@pytest.mark.parametrize("where", ["outside", "ignored"])
def test_untracked_audience_file_serves_both_sides(tmp_path, where):
    root = example(tmp_path, **{".gitignore": "exports/\n"})
    folder = tmp_path / "outside" if where == "outside" else root / "exports"
    audience = build_tree(
        folder, {"big.jsonl": '{"id": "w-1", "first_name": "Ana", "order": "C-1"}\n'}
    )
    edit(root / "templates/order/message.yaml", "has shipped.", "is on its way.")

    order = one(
        diff_messages(["order"], base="main", root=root, audience=str(audience / "big.jsonl")),
        "order",
    )

    assert order.base_audience == order.head_audience
    assert (order.comparison.added.count, order.comparison.removed.count) == (0, 0)
    assert channel(order, "SMS").groups[0].after.body == "Ana, order C-1 is on its way."


def test_both_sides_render_at_one_clock(tmp_path):
    root = example(tmp_path)
    edit(
        root / "templates/order/message.yaml",
        "has shipped.",
        "has shipped. {{ now | date('%Y-%m-%d') }}",
    )
    edit(
        root / "templates/digest/message.yaml",
        "your week",
        "your week of {{ now | date('%d %B') }}",
    )
    git(root, "commit", "-q", "-am", "dates")
    edit(root / "templates/order/message.yaml", "has shipped.", "is on its way.")

    report = diff_messages(base="main", root=root)

    assert one(report, "digest").status == "unchanged"  # the same clock on both sides
    after = channel(one(report, "order"), "SMS").groups[0].after.body
    assert after == "Ana, order A-1 is on its way. 2026-01-05"  # the base commit's date
    pinned = diff(root, "order", "--format", "json", "--now", "2026-03-01T08:00:00Z").stdout
    body = json.loads(pinned)["messages"][0]["channels"][0]["groups"][0]["after"]["body"]
    assert body == "Ana, order A-1 is on its way. 2026-03-01"


def test_project_in_a_subfolder_of_the_repository(tmp_path):
    files = {"templates/order/message.yaml": ORDER, "audiences/people.yaml": PEOPLE}
    root = committed(tmp_path / "repo", files, project="messaging")
    edit(root / "templates/order/message.yaml", "has shipped.", "is on its way.")

    result = diff(root, "--format", "json")

    assert result.exit_code == 0, result.stderr
    [order] = json.loads(result.stdout)["messages"]
    assert (order["name"], order["status"], order["users"]["changed"]) == ("order", "changed", 4)
    assert order["audience"] == {"base": "audiences/people.yaml", "head": "audiences/people.yaml"}


def test_message_without_audience_is_skipped_unless_named(tmp_path):
    root = example(tmp_path)
    edit(root / "templates/digest/message.yaml", "audience: people\n", "")
    git(root, "commit", "-q", "-am", "no audience")

    assert one(diff_messages(base="main", root=root), "digest").status == "skipped"
    with pytest.raises(InputError, match="message 'digest' declares no audience; pass --audience"):
        diff_messages(["digest"], base="main", root=root)
    named = diff_messages(["digest"], base="main", root=root, audience="people")
    assert one(named, "digest").status == "unchanged"


def test_message_folder_outside_templates_is_refused(tmp_path):
    root = example(tmp_path)
    elsewhere = build_tree(tmp_path / "elsewhere", {"message.yaml": ORDER})

    with pytest.raises(InputError, match=r"elsewhere is not under .*templates/"):
        diff_messages([str(elsewhere)], base="main", root=root)
    named_by_path = diff_messages([str(root / "templates" / "order")], base="main", root=root)
    assert [m.name for m in named_by_path.messages] == ["order"]


def test_base_that_does_not_render_names_the_ref(tmp_path):
    root = example(tmp_path)
    edit(root / "templates/order/message.yaml", "user.first_name", "user.frist_name")
    git(root, "commit", "-q", "-am", "broken")
    git(root, "branch", "broken")
    git(root, "reset", "-q", "--hard", "HEAD~1")

    result = run_cli(["diff", "--base", "broken", "--root", str(root), "order"])

    assert result.exit_code == 0, result.stderr  # the working tree, under review, is fine
    assert re.search(
        r"at broken: broken:templates/order/message\.yaml:\d+: undefined value", result.stdout
    )


def _changes(report):
    """Every user's change, by message and channel (or added / removed), from a report
    that lists every user: the texts when the user's edit is theirs alone."""
    changes = {}
    for message in report.messages:
        comparison = message.comparison
        if comparison is None:
            continue
        for found in comparison.channels:
            assert found.hidden_groups == 0
            for group in found.groups:
                assert len(group.examples) == group.users
                change = (group.before, group.after) if group.users == 1 else "same edit"
                for user in group.examples:
                    changes[(message.name, found.channel, user)] = change
        for label, users in (("added", comparison.added), ("removed", comparison.removed)):
            assert len(users.examples) == users.count
            changes.update({(message.name, label, user): label for user in users.examples})
    return changes


@pytest.mark.parametrize("audience_changed", [False, True], ids=["same-audience", "new-audience"])
def test_shards_compare_only_their_users_and_add_up_to_the_whole_diff(tmp_path, audience_changed):
    def people(numbers, prefix="u"):
        return "users:\n" + "".join(
            f"  - {{id: {prefix}-{n:03d}, first_name: Name{n}, order: A-{n}, points: {n * 10}}}\n"
            for n in numbers
        )

    root = committed(
        tmp_path / "repo",
        {
            "templates/order/message.yaml": ORDER,
            "templates/digest/message.yaml": DIGEST,
            "templates/digest/body.j2": DIGEST_BODY,
            "audiences/people.yaml": people(range(60)),
        },
    )
    # Each user's own edit (their name in capitals), and one edit for everyone.
    edit(root / "templates/order/message.yaml", "user.first_name }}", "user.first_name | upper }}")
    edit(root / "templates/digest/body.j2", "The Example Shop team", "The Shop team")
    if audience_changed:
        added = people(range(5), prefix="x").removeprefix("users:\n")
        (root / "audiences/people.yaml").write_text(people(range(5, 60)) + added)
    every = {"max_groups": 10_000, "examples": 10_000}

    whole = diff_messages(base="main", root=root, **every)
    shards = [
        diff_messages(base="main", root=root, shard=Shard(index, 3), **every)
        for index in (1, 2, 3)
    ]

    expected = _changes(whole)
    assert {change for change in expected.values() if isinstance(change, str)} == (
        {"same edit", "added", "removed"} if audience_changed else {"same edit"}
    )
    union = {}
    for index, report in enumerate(shards, 1):
        assert report.shard == f"{index}/3"
        found = _changes(report)
        assert found, "every shard has users whose text changed"
        assert all(Shard(index, 3).contains(user) for _, _, user in found)
        assert not set(found) & set(union), "a user compared in two shards"
        union.update(found)
    assert union == expected
    for name in ("order", "digest"):
        counted = [one(report, name).comparison for report in shards]
        total = one(whole, name).comparison
        for measure in ("base_users", "head_users", "changed_users"):
            assert sum(getattr(c, measure) for c in counted) == getattr(total, measure)
