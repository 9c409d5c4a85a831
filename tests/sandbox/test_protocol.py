"""The wire format: request bodies checked with botocore's model, errors framed as AWS does."""

from __future__ import annotations

import json
from typing import Any

import pytest

from pipeline.api import to_json
from pipeline.pinpoint.limits import NO_ENDPOINTS_ANSWER
from pipeline.sandbox import Endpoint, Faults, Sandbox
from pipeline.sandbox.endpoints import EndpointDirectory
from pipeline.sandbox.faults import EndpointDraws, FaultPlan
from pipeline.sandbox.service import send_users_messages
from tests.sandbox.support import APP, SMS_ONLY, MakeClient, raw_request, send


def test_unknown_field_is_a_bad_request(sandbox: Sandbox) -> None:
    body = {"MessageConfiguration": SMS_ONLY, "Users": {"ana": {"Colour": "red"}}}
    status, headers, answer = raw_request(
        sandbox.url, "POST", f"/v1/apps/{APP}/users-messages", json.dumps(body).encode()
    )
    assert status == 400
    assert headers["x-amzn-ErrorType"] == "BadRequestException"
    assert 'Unknown parameter in SendUsersMessageRequest.Users.ana: "Colour"' in answer["Message"]
    assert answer["RequestID"] == headers["x-amzn-RequestId"]
    assert sandbox.deliveries() == []


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{not json", "not valid JSON"),
        (b"[]", "must be a JSON object"),
        (b'{"Users": {}}', "Missing required parameter"),
    ],
)
def test_malformed_bodies_are_bad_requests(sandbox: Sandbox, body: bytes, message: str) -> None:
    status, _, answer = raw_request(sandbox.url, "POST", "/v1/apps/a/users-messages", body)
    assert status == 400
    assert message in answer["Message"]


def test_more_than_100_users_is_a_bad_request_in_boto3(
    sandbox: Sandbox, make_client: MakeClient
) -> None:
    client = make_client(sandbox.url)
    with pytest.raises(client.exceptions.BadRequestException, match="at most 100"):
        send(client, {f"u{i}": {} for i in range(101)})


TRICKY = ['q"uote', "back\\slash", "line\u2028sep\u2029", "ctl\x00\x1f\x7f", "é田😀", "\\u0041"]


@pytest.mark.parametrize("throttled", [False, True], ids=["delivered", "throttled"])
def test_a_users_answer_is_byte_for_byte_the_json_of_its_structure(throttled: bool) -> None:
    listed = {
        f"{text}-listed": [
            Endpoint(f"{text}-phone", "SMS", f"+1555{text}"),
            Endpoint(f"{text}-push", "GCM", text, opt_out=True),
            Endpoint(f"{text}-mail", "EMAIL", text),  # no block reaches EMAIL
        ]
        for text in TRICKY
    }
    listed["nobody"] = []
    directory = EndpointDirectory(listed, unlisted="synthetic")
    users = {user: {} for user in [*listed, *(f"{text}-synthetic" for text in TRICKY)]}
    configuration = {"SMSMessage": {"Body": "Hi"}, "GCMMessage": {"Body": "Hi"}}
    outcome = send_users_messages(
        {"MessageConfiguration": configuration, "Users": users},
        request_id='id "\u2028',
        application_id="app\\é",
        directory=directory,
        plan=FaultPlan(Faults()),
        draws=EndpointDraws(Faults(endpoint_throttle_share=1.0), 0) if throttled else None,
    )

    message_ids = iter(row[6] for row in outcome.rows)

    def answer(endpoint: Endpoint) -> dict[str, Any]:
        if endpoint.opt_out:
            status, code, message = "OPT_OUT", 400, "The endpoint has opted out."
        elif throttled:
            status, code = "THROTTLED", 429
            message = "Throttled: the endpoint's rate limit was exceeded."
        else:
            message_id = next(message_ids)
            return {
                "Address": endpoint.address,
                "DeliveryStatus": "SUCCESSFUL",
                "MessageId": message_id,
                "StatusCode": 200,
                "StatusMessage": f"MessageId: {message_id}",
            }
        return {
            "Address": endpoint.address,
            "DeliveryStatus": status,
            "StatusCode": code,
            "StatusMessage": message,
        }

    result: dict[str, Any] = {}
    for user in users:
        endpoints = directory.endpoints_of(user, ["SMS", "GCM"])
        reached = [e for e in endpoints if e.channel != "EMAIL"]
        result[user] = (
            {e.id: answer(e) for e in reached} if endpoints else {"": NO_ENDPOINTS_ANSWER}
        )
    expected = {"ApplicationId": "app\\é", "RequestId": 'id "\u2028', "Result": result}
    assert outcome.body == to_json(expected).encode()
    assert len(outcome.rows) == (0 if throttled else 3 * len(TRICKY))
