"""Test sends through real boto3 and the sandbox: delivered to the given addresses, as a test."""

from pipeline.pinpoint.delivery import deliver
from pipeline.render.renderer import render_requests
from pipeline.sandbox import Faults, Sandbox
from pipeline.send.journal import Journal
from pipeline.send.options import SendOptions
from pipeline.send.runs import send_message
from pipeline.send.testsend import send_test_message
from tests.helpers import REPO
from tests.render.support import NOW
from tests.send.support import FAST, addressed_project, client_for, user_ids

PHONE = ("SMS", "+15550199999")
OPTIONS = SendOptions(backoff=FAST)


def test_each_chosen_users_message_reaches_each_address_as_the_campaign_renders_it(
    tmp_path, clients
):
    with Sandbox() as sandbox:
        client = client_for(clients, sandbox)
        summary = send_test_message(
            "order_shipped",
            "beta_devices",
            app_id="app-1",
            to=[PHONE, ("GCM", "my-pixel")],
            users=["u-0002", "u-0003"],
            root=REPO,
            now=NOW,
            journal=tmp_path / "journal.sqlite",
            client=client,
            options=OPTIONS,
        )
        delivered = sandbox.deliveries()

    assert summary.exit_code == 0
    assert summary.endpoints == {"SUCCESSFUL": 4}
    assert (summary.run.purpose, summary.run.api, summary.run.users) == ("test", "send-messages", 2)
    rendered = list(
        render_requests("order_shipped", "beta_devices", app_id="a", root=REPO, now=NOW)
    )
    users = {u: c for r in rendered for u, c in r["SendUsersMessageRequest"]["Users"].items()}
    envelope = {k: v for k, v in rendered[0]["SendUsersMessageRequest"].items() if k != "Users"}
    expected = []
    for user in ("u-0002", "u-0003"):
        request = {**envelope, "Users": {user: users[user]}}
        for channel, address in (PHONE, ("GCM", "my-pixel")):
            text = deliver(request, user, channel)
            expected.append((address, channel, text.title, text.body))
    assert sorted((d.endpoint_id, d.channel, d.title, d.body) for d in delivered) == sorted(
        expected
    )


def test_a_test_send_is_never_a_duplicate_nor_makes_the_campaign_look_sent(tmp_path, clients):
    root = addressed_project(tmp_path, user_ids(3))
    journal = root / ".pipeline" / "journal.sqlite"
    common = {"app_id": "app-1", "root": root, "now": NOW, "options": OPTIONS}
    with Sandbox() as sandbox:
        client = client_for(clients, sandbox)
        first = send_test_message("hello", "people", to=[PHONE], client=client, **common)
        again = send_test_message("hello", "people", to=[PHONE], client=client, **common)
        campaign = send_message(
            "hello",
            "people",
            client=client,
            options=SendOptions(backoff=FAST, api="send-messages"),
            **{k: v for k, v in common.items() if k != "options"},
        )
        counts = sandbox.delivery_counts()

    assert [s.exit_code for s in (first, again, campaign)] == [0, 0, 0]
    assert counts[("", PHONE[1])] == 2  # one user, two tests
    assert {address for _, address in counts} == {
        PHONE[1],
        "+1555000000",
        "+1555000010",
        "+1555000020",
    }
    with Journal(journal) as book:
        assert [run.purpose for run in book.runs()] == ["send", "test", "test"]


def test_throttled_test_addresses_are_retried_alone(tmp_path, clients):
    with Sandbox(faults=Faults(endpoint_throttle_share=0.5, seed=2)) as sandbox:
        client = client_for(clients, sandbox)
        summary = send_test_message(
            "order_shipped",
            "beta_devices",
            app_id="app-1",
            to=[PHONE, ("APNS", "my-iphone"), ("GCM", "my-pixel")],
            root=REPO,
            now=NOW,
            journal=tmp_path / "journal.sqlite",
            client=client,
            options=SendOptions(backoff=FAST, delivery_attempts=20),
        )
        counts = sandbox.delivery_counts()
    assert summary.endpoints == {"SUCCESSFUL": 18}  # 6 locales x 3 addresses
    assert sandbox.requests_received > 6
    assert counts == {
        ("", address): 6 for address in (PHONE[1], "my-iphone", "my-pixel")
    }  # six messages each, none twice
