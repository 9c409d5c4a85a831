"""Results: a run's summary by delivery status and its results file."""

import dataclasses
import json

from pipeline.render.address_batch import Unaddressed
from pipeline.send.journal import Answer, Outbound
from pipeline.send.results import addresses_results, endpoints_results, summarize, users_results
from tests.send.support import AWS_SPEC, address_of, make_addressed, make_requests, user_ids


def test_a_retry_in_flight_at_a_crash_makes_its_endpoint_unknown_again(journal, tmp_path):
    run = journal.create_run(AWS_SPEC, make_requests(["ana"]))
    [request] = journal.claim([journal.queued(run.id)[0].id])
    retry = Outbound("endpoints", "{}", 1, request.origin, request.id, 2, 0.0, '{"ana-2": "ana"}')
    rows = [
        ("ana", "ana-1", "SUCCESSFUL", 200, "m1", None),
        ("ana", "ana-2", "THROTTLED", 429, None, None),
    ]
    [queued] = journal.record(run.id, [Answer(request.id, "r1", 1, rows, [retry])])
    journal.claim([queued.id])  # the retry left; then the process died

    results = tmp_path / "results.jsonl"
    summary = summarize(journal, run.id, results_file=results)

    lines = [json.loads(line) for line in results.read_text().splitlines()]
    assert [(x["endpoint_id"], x["status"]) for x in lines] == [
        ("ana-1", "SUCCESSFUL"),
        ("ana-2", "UNKNOWN"),
    ]
    assert summary.endpoints == {"SUCCESSFUL": 1}
    assert summary.unknown_users == ["ana"]
    assert summary.exit_code == 3


def answer_first_request(journal, run_id, rows):
    [request] = journal.claim([journal.queued(run_id)[0].id])
    journal.record(run_id, [Answer(request.id, "r1", 1, rows)])


def read_lines(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_a_users_answer_is_read_per_endpoint_in_the_requests_user_order():
    response = {
        "SendUsersMessageResponse": {
            "Result": {
                "bob": {"bob-1": {"DeliveryStatus": "OPT_OUT", "StatusCode": 400}},
                "ana": {
                    "ana-1": {
                        "DeliveryStatus": "SUCCESSFUL",
                        "StatusCode": 200,
                        "MessageId": "m-1",
                        "StatusMessage": "MessageId: m-1",
                    },
                    "ana-2": {"StatusCode": 500},
                },
            }
        }
    }
    assert users_results(response, ["ana", "bob", "eve"]) == [
        ("ana", "ana-1", "SUCCESSFUL", 200, "m-1", "MessageId: m-1"),
        ("ana", "ana-2", "UNKNOWN_FAILURE", 500, None, None),  # no status: not delivered
        ("bob", "bob-1", "OPT_OUT", 400, None, None),
        (
            "eve",
            "",
            "UNKNOWN_FAILURE",
            None,
            None,
            "no result for this recipient in Pinpoint's answer",
        ),
    ]


def test_an_endpoints_answer_is_read_for_each_recipient():
    response = {
        "MessageResponse": {
            "EndpointResult": {"ana-2": {"DeliveryStatus": "THROTTLED", "StatusCode": 429}}
        }
    }
    assert endpoints_results(response, {"ana-2": "ana", "bob-1": "bob"}) == [
        ("ana", "ana-2", "THROTTLED", 429, None, None),
        (
            "bob",
            "bob-1",
            "UNKNOWN_FAILURE",
            None,
            None,
            "no result for this recipient in Pinpoint's answer",
        ),
    ]


def test_statuses_are_counted_per_endpoint_and_per_user(journal):
    run = journal.create_run(AWS_SPEC, make_requests(["ana", "bob"]))
    answer_first_request(
        journal,
        run.id,
        [
            ("ana", "ana-1", "SUCCESSFUL", 200, "m1", None),
            ("ana", "ana-2", "OPT_OUT", 400, None, None),
            ("bob", "bob-1", "SUCCESSFUL", 200, "m2", None),
        ],
    )
    summary = summarize(journal, run.id)
    assert summary.endpoints == {"SUCCESSFUL": 2, "OPT_OUT": 1}
    assert summary.users == {"SUCCESSFUL": 2, "OPT_OUT": 1}  # ana is in both
    assert summary.complete and not summary.all_successful
    assert summary.exit_code == 1


def test_every_endpoint_successful_is_exit_0(journal):
    run = journal.create_run(AWS_SPEC, make_requests(["ana"]))
    answer_first_request(journal, run.id, [("ana", "ana-1", "SUCCESSFUL", 200, "m1", None)])
    summary = summarize(journal, run.id)
    assert (summary.all_successful, summary.exit_code) == (True, 0)
    assert summary.as_json() == {
        "run": journal.run(run.id).as_json(),
        "endpoints_by_status": {"SUCCESSFUL": 1},
        "users_by_status": {"SUCCESSFUL": 1},
        "not_sent_users": 0,
        "unknown": [],
        "unknown_file": None,
        "pruned_at": None,
        "exit_code": 0,
    }


def test_users_of_requests_that_never_left_are_not_sent_and_the_run_unfinished(journal, tmp_path):
    run = journal.create_run(AWS_SPEC, make_requests(user_ids(15)))  # two requests
    answer_first_request(
        journal,
        run.id,
        [(user, f"{user}-1", "SUCCESSFUL", 200, "m", None) for user in user_ids(10)],
    )
    results = tmp_path / "out" / "results.jsonl"

    summary = summarize(journal, run.id, results_file=results)

    assert (summary.not_sent, summary.complete, summary.exit_code) == (5, False, 3)
    lines = read_lines(results)
    assert [(x["user_id"], x["status"], x["attempts"]) for x in lines] == [
        *((user, "SUCCESSFUL", 1) for user in user_ids(10)),
        *((user, "NOT_SENT", 0) for user in user_ids(15)[10:]),
    ]
    assert summary.as_json()["not_sent_users"] == 5


def test_the_results_file_is_replaced_whole(journal, tmp_path):
    run = journal.create_run(AWS_SPEC, make_requests(["ana"]))
    answer_first_request(journal, run.id, [("ana", "ana-1", "SUCCESSFUL", 200, "m1", None)])
    results = tmp_path / "results.jsonl"
    results.write_text("an older run's results\n" * 50)

    summarize(journal, run.id, results_file=results)

    assert [x["endpoint_id"] for x in read_lines(results)] == ["ana-1"]
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")) == []


def test_unknown_requests_list_their_users_in_the_summary(journal):
    run = journal.create_run(AWS_SPEC, make_requests(user_ids(3)))
    journal.claim([journal.queued(run.id)[0].id])  # in flight when the process died
    summary = summarize(journal, run.id)
    assert summary.unknown_users == user_ids(3)
    assert summary.as_json()["unknown"] == [{"request": 1, "users": user_ids(3), "endpoints": []}]
    assert summary.exit_code == 3


# Runs to addresses: results per user and address.


def test_an_addresses_answer_is_read_per_address_for_its_owner():
    response = {
        "MessageResponse": {
            "Result": {
                "+1": {"DeliveryStatus": "SUCCESSFUL", "StatusCode": 200, "MessageId": "m-1"},
                "tok": {"DeliveryStatus": "THROTTLED", "StatusCode": 429},
            },
            "EndpointResult": {},
        }
    }
    assert addresses_results(response, {"+1": "ana", "tok": "ana", "+2": "bo"}) == [
        ("ana", "+1", "SUCCESSFUL", 200, "m-1", None),
        ("ana", "tok", "THROTTLED", 429, None, None),
        (
            "bo",
            "+2",
            "UNKNOWN_FAILURE",
            None,
            None,
            "no result for this recipient in Pinpoint's answer",
        ),
    ]


ADDRESS_SPEC = dataclasses.replace(AWS_SPEC, api="send-messages")


def test_an_address_runs_results_file_names_addresses_and_users_without_them(journal, tmp_path):
    items = [*make_addressed(user_ids(3), per_request=2, per_user=2), Unaddressed(("nobody",))]
    run = journal.create_run(ADDRESS_SPEC, items)
    [first, _] = journal.claim([item.id for item in journal.queued(run.id)])
    owners = json.loads(first.recipients)
    rows = [(user, address, "SUCCESSFUL", 200, "m", None) for address, user in owners.items()]
    journal.record(run.id, [Answer(first.id, "r1", 1, rows)])  # the second: unknown
    results = tmp_path / "results.jsonl"

    summary = summarize(journal, run.id, results_file=results)

    lines = read_lines(results)
    assert all("address" in line and "endpoint_id" not in line for line in lines)
    assert [(x["user_id"], x["address"], x["status"]) for x in lines] == [
        ("u-0000", address_of("u-0000", 0), "SUCCESSFUL"),
        ("u-0000", address_of("u-0000", 1), "SUCCESSFUL"),
        ("u-0001", address_of("u-0001", 0), "SUCCESSFUL"),
        ("u-0001", address_of("u-0001", 1), "SUCCESSFUL"),
        ("nobody", "", "PERMANENT_FAILURE"),
        ("u-0002", address_of("u-0002", 0), "UNKNOWN"),
        ("u-0002", address_of("u-0002", 1), "UNKNOWN"),
    ]
    assert summary.endpoints == {"SUCCESSFUL": 4, "PERMANENT_FAILURE": 1}
    assert summary.users == {"SUCCESSFUL": 2, "PERMANENT_FAILURE": 1}
    assert summary.unknown_users == ["u-0002"]  # once, whatever its addresses


def test_users_of_address_requests_that_never_left_are_counted_once(journal, tmp_path):
    run = journal.create_run(ADDRESS_SPEC, make_addressed(user_ids(3), per_user=3))
    results = tmp_path / "results.jsonl"
    summary = summarize(journal, run.id, results_file=results)
    assert summary.not_sent == 3
    assert [(x["user_id"], x["status"]) for x in read_lines(results)] == [
        (user, "NOT_SENT") for user in user_ids(3) for _ in range(3)
    ]
