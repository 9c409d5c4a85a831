"""The wire format: request bodies checked with botocore's model, errors framed as AWS does."""

from __future__ import annotations

import json

import pytest

from pipeline.sandbox import Sandbox
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
