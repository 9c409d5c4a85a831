"""``pipeline diff`` on real git repositories built in tmp_path."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from pipeline.errors import InputError
from pipeline.review.diff import diff_messages
from tests.helpers import build_tree, run_cli

COMMIT_DATE = "2026-01-05T09:30:00+00:00"
GIT_ENV = {
    "GIT_AUTHOR_NAME": "Reviewer",
    "GIT_AUTHOR_EMAIL": "reviewer@example.com",
    "GIT_COMMITTER_NAME": "Reviewer",
    "GIT_COMMITTER_EMAIL": "reviewer@example.com",
    "GIT_AUTHOR_DATE": COMMIT_DATE,
    "GIT_COMMITTER_DATE": COMMIT_DATE,
    "GIT_CONFIG_NOSYSTEM": "1",
}

ORDER = """
    audience: people
    MessageConfiguration:
      SMSMessage:
        Body: "{{ sub('FirstName') }}, order {{ sub('OrderId') }} has shipped."
        MessageType: TRANSACTIONAL
      APNSMessage:
        Title: "Your order has shipped"
        Body: "{{ sub('FirstName') }}, tap to follow order {{ sub('OrderId') }}."
        Action: OPEN_APP
    PerUser:
      Substitutions:
        FirstName: "{{ user.first_name }}"
        OrderId: "{{ user.order }}"
"""
DIGEST = """
    audience: people
    MessageConfiguration:
      SMSMessage: {MessageType: PROMOTIONAL}
      GCMMessage: {Action: OPEN_APP}
    PerUser:
      TitleOverride: "{{ user.first_name }}, your week"
      BodyOverride: "{% include 'digest/body.j2' %}"
"""
DIGEST_BODY = """
    Hi {{ user.first_name }}, you have {{ user.points }} points.
    See your rewards at https://shop.example.com/rewards
    The Example Shop team
"""
PEOPLE = """
    users:
      - {id: u-1, first_name: Ana, order: A-1, points: 1200}
      - {id: u-2, first_name: Zoë, order: A-2, points: 80}
      - {id: u-3, first_name: Bob, order: A-3, points: 15}
      - {id: u-4, first_name: Chloé, order: A-4, points: 3000}
"""


def git(repo: Path, *args: str) -> str:
    # A global config file that does not exist: the user's own settings (signing, hooks,
    # default branch) stay out of the test.
    isolated = {**os.environ, **GIT_ENV, "GIT_CONFIG_GLOBAL": str(repo / ".no-gitconfig")}
    done = subprocess.run(["git", *args], cwd=repo, env=isolated, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout


def committed(repo: Path, files: dict[str, str], *, project: str = "") -> Path:
    """A repository whose single commit on ``main`` holds ``files`` under ``project``."""
    root = repo / project if project else repo
    build_tree(root, files)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    return root


def example(tmp_path: Path, **extra: str) -> Path:
    files = {
        "templates/order/message.yaml": ORDER,
        "templates/digest/message.yaml": DIGEST,
        "templates/digest/body.j2": DIGEST_BODY,
        "audiences/people.yaml": PEOPLE,
        **extra,
    }
    return committed(tmp_path / "repo", files)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def diff(root: Path, *args: str) -> object:
    return run_cli(["diff", "--base", "main", "--root", str(root), *args])


def one(report, name):
    [message] = [m for m in report.messages if m.name == name]
    return message


def channel(message, name):
    [found] = [c for c in message.comparison.channels if c.channel == name]
    return found


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


def test_markdown_is_a_pull_request_comment(tmp_path):
    root = example(tmp_path)
    edit(root / "templates/order/message.yaml", "has shipped.", "is on its way.")

    result = diff(root, "--format", "markdown")

    assert result.exit_code == 0, result.stderr
    markdown = result.stdout
    assert markdown.startswith(
        "<!-- pipeline-diff -->\n## Rendered message diff: `main` → working tree\n"
    )
    assert "| Message | Status | Audience | Users | Changed | Added | Removed |" in markdown
    assert "| `order` | changed | `audiences/people.yaml` | 4 | 4 | 0 | 0 |" in markdown
    assert "Unchanged: `digest`." in markdown
    assert (
        "<details>\n<summary><strong>order</strong>: changed, 4 changed of 4 users (SMS)</summary>"
        in markdown
    )
    assert (
        "**3 users**: `u-1`, `u-3`, `u-4` · SMS parts 1, GSM-7\n\n"
        "```diff\n--- body\n+++ body\n"
        "-Ana, order A-1 has shipped.\n+Ana, order A-1 is on its way.\n```"
    ) in markdown
    assert markdown.count("<details>") == markdown.count("</details>") == 1


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


def test_exit_code_flag(tmp_path):
    root = example(tmp_path)
    assert diff(root, "--exit-code").exit_code == 0
    edit(root / "templates/order/message.yaml", "has shipped.", "is on its way.")
    assert diff(root).exit_code == 0
    assert diff(root, "--exit-code").exit_code == 1


def test_message_without_audience_is_skipped_unless_named(tmp_path):
    root = example(tmp_path)
    edit(root / "templates/digest/message.yaml", "audience: people\n", "")
    git(root, "commit", "-q", "-am", "no audience")

    assert one(diff_messages(base="main", root=root), "digest").status == "skipped"
    with pytest.raises(InputError, match="message 'digest' declares no audience; pass --audience"):
        diff_messages(["digest"], base="main", root=root)
    named = diff_messages(["digest"], base="main", root=root, audience="people")
    assert one(named, "digest").status == "unchanged"


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
    ],
)
def test_input_errors_are_one_line_and_exit_2(tmp_path, args, error):
    root = example(tmp_path)

    result = run_cli(["diff", "--root", str(root), *args])

    assert result.exit_code == 2
    assert result.stdout == ""
    assert re.fullmatch(f"Error: {error}.*\n", result.stderr)


def test_message_folder_outside_templates_is_refused(tmp_path):
    root = example(tmp_path)
    elsewhere = build_tree(tmp_path / "elsewhere", {"message.yaml": ORDER})

    with pytest.raises(InputError, match=r"elsewhere is not under .*templates/"):
        diff_messages([str(elsewhere)], base="main", root=root)
    named_by_path = diff_messages([str(root / "templates" / "order")], base="main", root=root)
    assert [m.name for m in named_by_path.messages] == ["order"]


def test_not_a_git_repository(tmp_path):
    root = build_tree(tmp_path / "plain", {"templates/order/message.yaml": ORDER})

    result = run_cli(["diff", "--base", "main", "--root", str(root)])

    assert result.exit_code == 2
    assert re.fullmatch(
        r"Error: .*plain is not inside a git repository \(.*\); run pipeline diff in a clone.*\n",
        result.stderr,
    )
