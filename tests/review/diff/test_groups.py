"""Changed users grouped by identical edit, whatever each user's own data."""

from __future__ import annotations

from pipeline.review.diff import diff_messages
from tests.review.diff.support import channel, diff, edit, example, one


def test_sms_parts_and_encoding_change_is_reported(tmp_path):
    root = example(tmp_path)
    edit(
        root / "templates/order/message.yaml",
        "has shipped.",
        "has shipped; it’ll be with you soon. Follow it in the app or on our website.",
    )

    report = diff_messages(["order"], base="main", root=root)

    groups = channel(one(report, "order"), "SMS").groups
    assert [g.examples for g in groups] == [("u-1", "u-3", "u-4"), ("u-2",)]  # Zoë: UCS-2 before
    group = groups[0]
    assert (group.before.sms_parts, group.after.sms_parts) == (1, 2)
    assert group.after.sms_encoding == "UCS-2"
    assert "’" in group.after.ucs2_characters
    markdown = diff(root, "order", "--format", "markdown").stdout
    assert "⚠️ SMS parts 1 → 2, GSM-7 → UCS-2 (’)" in markdown


def test_multiline_body_is_a_unified_diff_grouped_across_users(tmp_path):
    root = example(tmp_path)
    edit(root / "templates/digest/body.j2", "See your rewards", "Spend your points")

    report = diff_messages(["digest"], base="main", root=root)

    gcm = channel(one(report, "digest"), "GCM")
    [group] = gcm.groups  # the edited line is the same for everyone, whatever their name
    assert group.users == 4
    text = diff(root, "digest").stdout
    assert (
        "      @@ -1,3 +1,3 @@\n"
        "       Hi Ana, you have 1200 points.\n"
        "      -See your rewards at https://shop.example.com/rewards\n"
        "      +Spend your points at https://shop.example.com/rewards\n"
        "       The Example Shop team\n"
    ) in text


def test_groups_beyond_max_groups_are_counted(tmp_path):
    users = "".join(
        f"  - {{id: u-{n:02d}, first_name: Name{n:02d}, order: A-{n}}}\n" for n in range(30)
    )
    root = example(tmp_path, **{"audiences/people.yaml": "users:\n" + users})
    edit(root / "templates/order/message.yaml", "has shipped.", "is on its way.")
    order = one(diff_messages(["order"], base="main", root=root), "order")
    [group] = channel(order, "SMS").groups
    assert (group.users, group.examples) == (30, ("u-00", "u-01", "u-02", "u-03", "u-04"))

    # An edit of each user's own data is a different change for each user.
    edit(
        root / "templates/order/message.yaml",
        "{{ user.first_name }}",
        "{{ user.first_name | upper }}",
    )
    order = one(diff_messages(["order"], base="main", root=root, max_groups=2), "order")
    sms = channel(order, "SMS")
    assert [g.examples for g in sms.groups] == [("u-00",), ("u-01",)]
    assert (sms.users, sms.hidden_groups, sms.hidden_users) == (30, 28, 28)
    assert (
        "and 28 more users in 28 other changes" in diff(root, "order", "--max-groups", "2").stdout
    )
