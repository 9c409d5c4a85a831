"""plan_retries: which endpoints are sent again, with what, and when."""

from __future__ import annotations

import json

import pytest

from pipeline.send.journal import Claimed
from pipeline.send.retry import Backoff, plan_retries
from tests.send.support import APP, FAST, SMS_ONLY


def claimed(kind: str = "users", attempt: int = 1, recipients: str | None = None) -> Claimed:
    return Claimed(7, 1, kind, "{}", recipients, 7, attempt, 2, None)


SENT = {
    "ApplicationId": APP,
    "SendUsersMessageRequest": {
        "MessageConfiguration": SMS_ONLY,
        "Context": {"campaign": "x"},
        "Users": {"ana": {"Substitutions": {"Name": ["Ana"]}}, "bob": {"BodyOverride": "Hi"}},
    },
}


def test_a_retry_addresses_only_the_failed_endpoints_with_the_same_content():
    rows = [
        ("ana", "ana-1", "SUCCESSFUL", 200, "m", None),
        ("ana", "ana-2", "THROTTLED", 429, None, None),
        ("bob", "bob-1", "TEMPORARY_FAILURE", 500, None, None),
        ("bob", "bob-2", "OPT_OUT", 400, None, None),
    ]
    [retry] = plan_retries(claimed(), SENT, rows, max_attempts=5, backoff=FAST, now=100.0)

    assert retry.kind == "endpoints"
    assert json.loads(retry.body) == {
        "ApplicationId": APP,
        "MessageRequest": {
            "MessageConfiguration": SMS_ONLY,
            "Context": {"campaign": "x"},
            "Endpoints": {
                "ana-2": {"Substitutions": {"Name": ["Ana"]}},
                "bob-1": {"BodyOverride": "Hi"},
            },
        },
    }
    assert json.loads(retry.recipients or "") == {"ana-2": "ana", "bob-1": "bob"}
    assert (retry.attempt, retry.parent, retry.origin, retry.users) == (2, 7, 7, 2)
    assert 100.0 < retry.not_before <= 100.05


@pytest.mark.parametrize(
    "status", ["SUCCESSFUL", "PERMANENT_FAILURE", "OPT_OUT", "DUPLICATE", "SOMETHING_NEW"]
)
def test_final_statuses_are_never_retried(status):
    rows = [("ana", "ana-1", status, 400, None, None)]
    assert plan_retries(claimed(), SENT, rows, max_attempts=5, backoff=FAST, now=0) == []


@pytest.mark.parametrize("status", ["THROTTLED", "TEMPORARY_FAILURE", "UNKNOWN_FAILURE", "TIMEOUT"])
def test_retryable_statuses_are_retried_until_the_bound(status):
    rows = [("ana", "ana-1", status, 429, None, None)]
    assert len(plan_retries(claimed(), SENT, rows, max_attempts=5, backoff=FAST, now=0)) == 1
    last = claimed(attempt=5)
    assert plan_retries(last, SENT, rows, max_attempts=5, backoff=FAST, now=0) == []


def test_a_retry_of_a_retry_keeps_each_endpoints_configuration():
    sent = {
        "ApplicationId": APP,
        "MessageRequest": {
            "MessageConfiguration": SMS_ONLY,
            "Endpoints": {"ana-2": {"BodyOverride": "A"}, "bob-1": {"BodyOverride": "B"}},
        },
    }
    request = claimed("endpoints", 2, json.dumps({"ana-2": "ana", "bob-1": "bob"}))
    rows = [("bob", "bob-1", "THROTTLED", 429, None, None)]
    [retry] = plan_retries(request, sent, rows, max_attempts=5, backoff=FAST, now=0)
    assert json.loads(retry.body)["MessageRequest"]["Endpoints"] == {"bob-1": {"BodyOverride": "B"}}
    assert retry.attempt == 3


def test_many_failed_endpoints_are_split_into_requests_of_100():
    users = {f"u{n}": {} for n in range(150)}
    sent = {
        "ApplicationId": APP,
        "SendUsersMessageRequest": {"MessageConfiguration": SMS_ONLY, "Users": users},
    }
    rows = [(user, f"{user}-{k}", "THROTTLED", 429, None, None) for user in users for k in range(2)]
    retries = plan_retries(claimed(), sent, rows, max_attempts=5, backoff=FAST, now=0)
    assert [len(json.loads(r.recipients or "")) for r in retries] == [100, 100, 100]


@pytest.mark.parametrize(
    ("retry", "bound"), [(1, 0.5), (2, 1.0), (3, 2.0), (5, 8.0), (6, 10.0), (30, 10.0)]
)
def test_backoff_waits_between_half_and_all_of_its_bound(retry, bound):
    backoff = Backoff()  # base 0.5 s, cap 10 s
    delays = [backoff.delay(retry) for _ in range(200)]
    assert all(bound / 2 <= delay <= bound for delay in delays)
    assert len(set(delays)) > 1  # jittered: many endpoints retried at once spread out


def test_a_retry_is_due_after_its_backoff():
    rows = [("ana", "ana-1", "THROTTLED", 429, None, None)]
    backoff = Backoff(base=2.0, cap=2.0)
    [retry] = plan_retries(claimed(), SENT, rows, max_attempts=5, backoff=backoff, now=100.0)
    assert 101.0 <= retry.not_before <= 102.0


def test_a_user_missing_from_the_answer_is_retried_as_the_user_with_the_same_envelope():
    rows = [
        ("ana", "ana-1", "SUCCESSFUL", 200, "m", None),
        ("bob", "", "UNKNOWN_FAILURE", None, None, "no result for this recipient"),
    ]
    [retry] = plan_retries(claimed(), SENT, rows, max_attempts=5, backoff=FAST, now=0)
    assert (retry.kind, retry.users, retry.recipients) == ("users", 1, None)
    assert json.loads(retry.body) == {
        "ApplicationId": APP,
        "SendUsersMessageRequest": {
            "MessageConfiguration": SMS_ONLY,
            "Context": {"campaign": "x"},
            "Users": {"bob": {"BodyOverride": "Hi"}},
        },
    }


def test_a_user_reached_on_an_endpoint_is_never_sent_again_as_a_user():
    rows = [
        ("ana", "ana-1", "SUCCESSFUL", 200, "m", None),
        ("ana", "", "UNKNOWN_FAILURE", None, None, None),
    ]
    assert plan_retries(claimed(), SENT, rows, max_attempts=5, backoff=FAST, now=0) == []


def test_a_users_request_and_an_endpoints_request_when_both_are_needed():
    rows = [
        ("ana", "ana-2", "THROTTLED", 429, None, None),
        ("bob", "", "UNKNOWN_FAILURE", None, None, None),
    ]
    retries = plan_retries(claimed(), SENT, rows, max_attempts=5, backoff=FAST, now=0)
    assert [(r.kind, r.users) for r in retries] == [("users", 1), ("endpoints", 1)]
    assert len({r.not_before for r in retries}) == 1  # one wait for the whole answer


ADDRESSED = {
    "ApplicationId": APP,
    "MessageRequest": {
        "MessageConfiguration": SMS_ONLY,
        "Context": {"campaign": "x"},
        "Addresses": {
            "+1": {"ChannelType": "SMS", "Substitutions": {"Name": ["Ana"]}},
            "tok-a": {"ChannelType": "APNS", "Substitutions": {"Name": ["Ana"]}},
            "+2": {"ChannelType": "SMS", "BodyOverride": "Hi Bo"},
        },
    },
}
OWNERS = json.dumps({"+1": "ana", "tok-a": "ana", "+2": "bo"})


def test_an_address_retry_goes_to_the_failed_addresses_only_as_they_were_rendered():
    rows = [
        ("ana", "+1", "SUCCESSFUL", 200, "m", None),
        ("ana", "tok-a", "THROTTLED", 429, None, None),
        ("bo", "+2", "UNKNOWN_FAILURE", None, None, "no result for this recipient"),
    ]
    request = claimed("addresses", 1, OWNERS)
    [retry] = plan_retries(request, ADDRESSED, rows, max_attempts=5, backoff=FAST, now=100.0)
    assert (retry.kind, retry.users, retry.attempt) == ("addresses", 2, 2)
    assert json.loads(retry.body) == {
        "ApplicationId": APP,
        "MessageRequest": {
            "MessageConfiguration": SMS_ONLY,
            "Context": {"campaign": "x"},
            "Addresses": {
                "tok-a": {"ChannelType": "APNS", "Substitutions": {"Name": ["Ana"]}},
                "+2": {"ChannelType": "SMS", "BodyOverride": "Hi Bo"},
            },
        },
    }
    assert json.loads(retry.recipients or "") == {"tok-a": "ana", "+2": "bo"}
    assert 100.0 < retry.not_before <= 100.05


def test_final_address_statuses_and_the_bound_end_address_retries():
    rows = [("ana", "+1", "OPT_OUT", 400, None, None), ("bo", "+2", "THROTTLED", 429, None, None)]
    last = claimed("addresses", 5, OWNERS)
    assert plan_retries(last, ADDRESSED, rows, max_attempts=5, backoff=FAST, now=0) == []
    [retry] = plan_retries(
        claimed("addresses", 4, OWNERS), ADDRESSED, rows, max_attempts=5, backoff=FAST, now=0
    )
    assert list(json.loads(retry.body)["MessageRequest"]["Addresses"]) == ["+2"]


def test_many_failed_addresses_are_split_into_requests_of_100():
    addresses = {f"+{n}": {"ChannelType": "SMS"} for n in range(250)}
    sent = {
        "ApplicationId": APP,
        "MessageRequest": {"MessageConfiguration": SMS_ONLY, "Addresses": addresses},
    }
    owners = json.dumps({address: f"u{n}" for n, address in enumerate(addresses)})
    rows = [(f"u{n}", address, "THROTTLED", 429, None, None) for n, address in enumerate(addresses)]
    retries = plan_retries(
        claimed("addresses", 1, owners), sent, rows, max_attempts=5, backoff=FAST, now=0
    )
    assert [len(json.loads(r.recipients or "")) for r in retries] == [100, 100, 50]
    assert all(r.kind == "addresses" for r in retries)
