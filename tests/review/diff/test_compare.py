"""The per-user comparison: which users' text changed, on which channel; users added, removed."""

from __future__ import annotations

from pipeline.review.diff import diff_messages
from tests.review.diff.support import channel, edit, example, one


def test_changed_template_shows_each_channel_users_and_before_after(tmp_path):
    root = example(tmp_path)
    edit(root / "templates/order/message.yaml", "has shipped.", "is on its way.")

    report = diff_messages(["order"], base="main", root=root)

    order = one(report, "order")
    assert order.status == "changed"
    assert order.comparison.changed_users == 4
    assert [c.channel for c in order.comparison.channels] == ["SMS"]  # APNS did not change
    sms = channel(order, "SMS")
    assert sms.users == 4
    # Zoë's ë makes her SMS UCS-2: the same edit, but a different encoding, is its own group.
    assert [(g.users, g.examples) for g in sms.groups] == [
        (3, ("u-1", "u-3", "u-4")),
        (1, ("u-2",)),
    ]
    first = sms.groups[0]
    assert first.before.body == "Ana, order A-1 has shipped."
    assert first.after.body == "Ana, order A-1 is on its way."
    assert (first.before.sms_encoding, sms.groups[1].before.sms_encoding) == ("GSM-7", "UCS-2")


def test_only_users_whose_text_changed_are_listed(tmp_path):
    root = example(tmp_path)
    edit(
        root / "templates/digest/body.j2",
        "{{ user.points }} points.",
        "{{ user.points }} points.{% if user.points >= 1000 %} Free delivery!{% endif %}",
    )

    report = diff_messages(["digest"], base="main", root=root)

    digest = one(report, "digest")
    assert digest.comparison.changed_users == 2
    assert [(g.users, g.examples) for g in channel(digest, "GCM").groups] == [(2, ("u-1", "u-4"))]


def test_users_added_and_removed_with_a_template_change(tmp_path):
    root = example(tmp_path)
    edit(
        root / "audiences/people.yaml",
        "  - {id: u-3, first_name: Bob, order: A-3, points: 15}\n",
        "",
    )
    with (root / "audiences/people.yaml").open("a", encoding="utf-8") as out:
        out.write("  - {id: u-5, first_name: Eve, order: A-5, points: 7}\n")
    edit(root / "templates/order/message.yaml", "has shipped.", "is on its way.")

    report = diff_messages(["order"], base="main", root=root)

    comparison = one(report, "order").comparison
    assert (comparison.base_users, comparison.head_users) == (4, 4)
    assert (comparison.added.count, comparison.added.examples) == (1, ("u-5",))
    assert (comparison.removed.count, comparison.removed.examples) == (1, ("u-3",))
    assert dict(comparison.added.example)["SMS"].body == "Eve, order A-5 is on its way."
    assert dict(comparison.removed.example)["SMS"].body == "Bob, order A-3 has shipped."
    sms = channel(one(report, "order"), "SMS")
    assert sms.users == 3  # u-1, u-2, u-4: in both audiences
    assert [g.examples for g in sms.groups] == [("u-1", "u-4"), ("u-2",)]
    assert sms.groups[0].before.body == "Ana, order A-1 has shipped."


def test_audience_change_alone_is_a_change(tmp_path):
    root = example(tmp_path)
    edit(root / "audiences/people.yaml", "first_name: Bob", "first_name: Robert")

    report = diff_messages(["order"], base="main", root=root)

    order = one(report, "order")
    assert order.status == "changed"
    [group] = channel(order, "SMS").groups
    assert (group.examples, group.after.body) == (("u-3",), "Robert, order A-3 has shipped.")


def test_added_channel_is_one_group(tmp_path):
    root = example(tmp_path)
    edit(
        root / "templates/order/message.yaml",
        "PerUser:",
        'GCMMessage: {Title: "Shipped", Body: "On its way", Action: OPEN_APP}\nPerUser:',
    )
    text = (root / "templates/order/message.yaml").read_text(encoding="utf-8")
    (root / "templates/order/message.yaml").write_text(
        text.replace("\nGCMMessage", "\n  GCMMessage")
    )

    gcm = channel(one(diff_messages(["order"], base="main", root=root), "order"), "GCM")

    assert (gcm.status, gcm.users, len(gcm.groups)) == ("added", 4, 1)
    assert gcm.groups[0].before is None
    assert gcm.groups[0].after.body == "On its way"
