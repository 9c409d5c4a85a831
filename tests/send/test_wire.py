"""The journaled bytes on the wire: stored text as the body, answers read as botocore would."""

from __future__ import annotations

import json
from typing import Any

import botocore.exceptions
import botocore.parsers
import pytest

from pipeline.api import encode_request, to_json
from pipeline.sandbox import Faults, Sandbox
from pipeline.send.client import call
from pipeline.send.journal import Claimed
from pipeline.send.wire import payload
from tests.send.support import APP, SMS_ONLY, ScriptedClient, client_for, make_requests


def claimed(kind: str, body: str, recipients: str | None = None) -> Claimed:
    return Claimed(1, 1, kind, body, recipients, 1, 1, 1, None)


def capture(client: Any) -> list[tuple[bytes, bytes]]:
    """Every (request body, raw answer) the client exchanges."""
    seen: list[tuple[bytes, bytes]] = []
    bodies: list[bytes] = []
    client.meta.events.register(
        "before-send.pinpoint", lambda request, **_: bodies.append(request.body)
    )
    client.meta.events.register(
        "after-call.pinpoint",
        lambda http_response, **_: seen.append((bodies[-1], http_response.content)),
    )
    return seen


def test_the_stored_text_is_the_body_sent_byte_for_byte(sandbox, clients):
    request = make_requests(["zoë", "ana"])[0]
    request["SendUsersMessageRequest"]["Users"]["zoë"]["Substitutions"]["Name"] = ["Zoë ✓"]
    text = encode_request(request)
    client = client_for(clients, sandbox)
    exchanged = capture(client)

    sent, answer = call(client, claimed("users", text))

    [(body, _)] = exchanged
    assert body == text[text.index(',"SendUsersMessageRequest":') + 27 : -1].encode()
    assert json.loads(body) == request["SendUsersMessageRequest"]  # UTF-8, not \\u escapes
    assert sent == request
    assert set(answer["SendUsersMessageResponse"]["Result"]) == {"zoë", "ana"}
    assert [d.body for d in sandbox.deliveries()] == ["Hello Zoë ✓", "Hello ana"]


def test_answers_read_as_json_equal_botocores_own_parse(sandbox, clients):
    client = client_for(clients, sandbox)
    exchanged = capture(client)
    users = make_requests(["a", "b", "c"])[0]
    endpoints = {
        "ApplicationId": APP,
        "MessageRequest": {"MessageConfiguration": SMS_ONLY, "Endpoints": {"a-sms": {}}},
    }
    answers = [
        call(client, claimed("users", to_json(users)))[1],
        call(client, claimed("endpoints", to_json(endpoints), '{"a-sms": "a"}'))[1],
    ]
    model = client.meta.service_model
    for (_, raw), answer, operation in zip(
        exchanged, answers, ("SendUsersMessages", "SendMessages"), strict=True
    ):
        shape = model.operation_model(operation).output_shape
        response = {
            "status_code": 200,
            "headers": answer["ResponseMetadata"]["HTTPHeaders"],
            "body": raw,
        }
        botocores = botocore.parsers.create_parser("rest-json").parse(response, shape)
        member = shape.serialization["payload"]
        assert answer[member] == botocores[member]
        assert answer["ResponseMetadata"]["RequestId"] == botocores["ResponseMetadata"]["RequestId"]


def test_error_answers_are_still_botocores(clients):
    with Sandbox(faults=Faults(throttle_first=5)) as sandbox:
        client = client_for(clients, sandbox, max_attempts=1)
        text = encode_request(make_requests(["a"])[0])
        with pytest.raises(botocore.exceptions.ClientError) as caught:
            call(client, claimed("users", text))
    assert caught.value.response["Error"]["Code"] == "TooManyRequestsException"


def test_a_client_without_the_hooks_gets_the_parameters():
    request = make_requests(["a"])[0]
    client = ScriptedClient({"answer": 1})
    call(client, claimed("users", encode_request(request)))
    assert client.calls == [("SendUsersMessages", request)]


@pytest.mark.parametrize(
    ("text", "member", "expected"),
    [
        ('{"ApplicationId":"a","M":{"x":1}}', "M", b'{"x":1}'),
        ('{"ApplicationId":"a,\\"M\\":","M":{"x":1}}', "M", b'{"x":1}'),
        ('{"ApplicationId":"a","M":{"x":1},"Other":2}', "M", None),
        ('{"M":{"x":1},"ApplicationId":"a"}', "M", None),
        ('{"ApplicationId": "a", "M": {"x": 1}}', "M", None),  # not the canonical text
    ],
)
def test_the_payload_of_a_stored_text(text, member, expected):
    assert payload(text, json.loads(text), member) == expected
