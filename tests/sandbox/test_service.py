"""What the sandbox's Pinpoint does with a request: endpoints, statuses, recorded texts."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from pipeline.pinpoint.channels import ENDPOINT_CHANNELS
from pipeline.pinpoint.delivery import deliver
from pipeline.sandbox import Faults, Sandbox, synthetic_endpoints
from tests.sandbox.support import APP, MESSAGE_ID, REQUEST_ID, SMS_ONLY, MakeClient, send, write


def test_success_has_the_shape_of_the_real_response(
    sandbox: Sandbox, make_client: MakeClient
) -> None:
    client = make_client(sandbox.url)
    configuration = {
        "SMSMessage": {"Body": "Hi {{Name}}, order {{Order}}", "Substitutions": {"Order": ["A-1"]}},
        "APNSMessage": {"Title": "Shipped", "Body": "Hi {{Name}}"},
    }
    response = send(client, {"ana": {"Substitutions": {"Name": ["Ana"]}}}, configuration)

    assert response["ApplicationId"] == APP
    assert REQUEST_ID.fullmatch(response["RequestId"])
    sms, apns = synthetic_endpoints("ana", ["SMS", "APNS"])
    assert set(response["Result"]) == {"ana"}
    assert list(response["Result"]["ana"]) == [sms.id, apns.id]
    result = response["Result"]["ana"][sms.id]
    assert set(result) == {"Address", "DeliveryStatus", "MessageId", "StatusCode", "StatusMessage"}
    assert result["Address"] == sms.address
    assert re.fullmatch(r"\+1555\d{7}", sms.address)
    assert (result["DeliveryStatus"], result["StatusCode"]) == ("SUCCESSFUL", 200)
    assert MESSAGE_ID.fullmatch(result["MessageId"])
    assert result["StatusMessage"] == f"MessageId: {result['MessageId']}"

    delivered = sandbox.deliveries()
    assert [(d.user_id, d.endpoint_id, d.channel) for d in delivered] == [
        ("ana", sms.id, "SMS"),
        ("ana", apns.id, "APNS"),
    ]
    assert (delivered[0].title, delivered[0].body) == (None, "Hi Ana, order A-1")
    assert (delivered[1].title, delivered[1].body) == ("Shipped", "Hi Ana")
    assert delivered[0].message_id == result["MessageId"]
    assert delivered[0].request_id == response["RequestId"]
    assert sandbox.delivery_counts() == {("ana", sms.id): 1, ("ana", apns.id): 1}
    assert sandbox.requests_received == 1


def test_endpoints_file_users_without_endpoints_opt_outs_and_channels(
    tmp_path: Path, make_client: MakeClient
) -> None:
    endpoints = write(
        tmp_path / "endpoints.yaml",
        """\
users:
  ana:
    - {id: ana-phone, channel: SMS, address: "+15550100001"}
    - {id: ana-old-phone, channel: SMS, address: "+15550100002", opt_out: true}
    - {id: ana-mail, channel: EMAIL, address: ana@example.com}
    - {id: ana-tablet, channel: APNS, address: "abc", active: false}
  bob: []
  carl:
    - {id: carl-phone, channel: SMS, address: "+15550100001"}
""",
    )
    with Sandbox(endpoints=endpoints) as sandbox:
        result = send(make_client(sandbox.url), {"ana": {}, "bob": {}, "carl": {}, "dora": {}})
        delivered = sandbox.deliveries()

    assert result["Result"]["ana"]["ana-phone"]["DeliveryStatus"] == "SUCCESSFUL"
    assert result["Result"]["ana"]["ana-old-phone"] == {
        "Address": "+15550100002",
        "DeliveryStatus": "OPT_OUT",
        "StatusCode": 400,
        "StatusMessage": "The endpoint has opted out.",
    }
    # No block reaches EMAIL, and an inactive endpoint is not sent to.
    assert set(result["Result"]["ana"]) == {"ana-phone", "ana-old-phone"}
    no_endpoints = {
        "": {
            "DeliveryStatus": "PERMANENT_FAILURE",
            "StatusCode": 400,
            "StatusMessage": "No endpoints found for userId.",
        }
    }
    assert result["Result"]["bob"] == no_endpoints
    assert result["Result"]["dora"] == no_endpoints  # not in the file
    assert result["Result"]["carl"]["carl-phone"]["DeliveryStatus"] == "DUPLICATE"
    assert [(d.user_id, d.endpoint_id) for d in delivered] == [("ana", "ana-phone")]


@pytest.mark.parametrize(
    ("channel", "configuration", "user"),
    [
        (
            "SMS",
            {"SMSMessage": {"Body": "Hi {{Name}} {{Missing}}"}},
            {"Substitutions": {"Name": ["A"]}},
        ),
        (
            "SMS",
            {"SMSMessage": {"Body": "x"}},
            {"BodyOverride": "Hi {{Name}}", "TitleOverride": "t"},
        ),
        (
            "GCM",
            {"GCMMessage": {"Title": "T", "Body": "b", "Substitutions": {"Name": ["Block"]}}},
            {"TitleOverride": "{{Name}}!"},
        ),
        (
            "GCM",
            {"DefaultPushNotificationMessage": {"Title": "T {{Name}}", "Body": "b"}},
            {"Substitutions": {"Name": ["Ana"]}},
        ),
        (
            "EMAIL",
            {
                "EmailMessage": {
                    "SimpleEmail": {"Subject": {"Data": "S"}, "TextPart": {"Data": "T"}}
                }
            },
            {"BodyOverride": "ignored on email"},
        ),
    ],
)
def test_recorded_text_is_what_the_preview_shows(
    sandbox: Sandbox, make_client: MakeClient, channel: str, configuration: Any, user: Any
) -> None:
    send(make_client(sandbox.url), {"ana": user}, configuration)
    [delivery] = sandbox.deliveries()
    request = {"MessageConfiguration": configuration, "Users": {"ana": user}}
    expected = deliver(request, "ana", channel)
    assert delivery.channel == channel
    assert (delivery.title, delivery.body) == (expected.title, expected.body)


def test_send_messages_to_addresses(sandbox: Sandbox, make_client: MakeClient) -> None:
    client = make_client(sandbox.url)
    response = client.send_messages(
        ApplicationId=APP,
        MessageRequest={
            "MessageConfiguration": {"SMSMessage": {"Body": "Hi {{Name}}"}},
            "Addresses": {
                "+15550100001": {"ChannelType": "SMS", "Substitutions": {"Name": ["Ana"]}},
                "ana@example.com": {"ChannelType": "EMAIL"},
            },
        },
    )["MessageResponse"]
    sent = response["Result"]["+15550100001"]
    assert sent["DeliveryStatus"] == "SUCCESSFUL"
    assert "Address" not in sent
    assert response["Result"]["ana@example.com"]["DeliveryStatus"] == "PERMANENT_FAILURE"
    [delivery] = sandbox.deliveries()
    assert (delivery.user_id, delivery.endpoint_id, delivery.body) == ("", "+15550100001", "Hi Ana")


def test_send_messages_to_endpoints_reaches_synthetic_and_listed_ones(
    tmp_path: Path, make_client: MakeClient
) -> None:
    endpoints = write(
        tmp_path / "e.yaml",
        'unlisted: synthetic\nusers:\n  ana: [{id: ana-1, channel: SMS, address: "+15550100001"}]\n',
    )
    with Sandbox(faults=Faults(endpoint_throttle_share=1.0), endpoints=endpoints) as sandbox:
        client = make_client(sandbox.url)
        first = send(client, {"ana": {}, "bob": {}})["Result"]
        throttled = [(user, endpoint) for user, r in first.items() for endpoint in r]
        sandbox.faults = Faults()
        response = client.send_messages(
            ApplicationId=APP,
            MessageRequest={
                "MessageConfiguration": SMS_ONLY,
                "Endpoints": {
                    endpoint: {"Substitutions": {"Name": [user]}} for user, endpoint in throttled
                }
                | {"sms-000000000000-bob": {}, "nobody": {}},
            },
        )["MessageResponse"]
        delivered = sandbox.deliveries()

    bob_sms = synthetic_endpoints("bob", ["SMS"])[0]
    assert throttled == [("ana", "ana-1"), ("bob", bob_sms.id)]
    results = response["EndpointResult"]
    assert results["ana-1"]["DeliveryStatus"] == "SUCCESSFUL"
    assert results[bob_sms.id]["Address"] == bob_sms.address
    assert results[bob_sms.id]["DeliveryStatus"] == "SUCCESSFUL"
    for unknown in ("sms-000000000000-bob", "nobody"):
        assert (results[unknown]["DeliveryStatus"], results[unknown]["StatusCode"]) == (
            "PERMANENT_FAILURE",
            404,
        )
    assert [(d.user_id, d.endpoint_id, d.body) for d in delivered] == [
        ("ana", "ana-1", "Hello ana"),
        ("bob", bob_sms.id, "Hello bob"),
    ]


EVERY_BLOCK = {
    "SMSMessage": {"Body": "sms {{Name}}"},
    "VoiceMessage": {"Body": "voice {{Name}}"},
    "EmailMessage": {"SimpleEmail": {"Subject": {"Data": "S"}, "TextPart": {"Data": "mail"}}},
    "APNSMessage": {"Title": "apns", "Body": "apns {{Name}}"},
    "GCMMessage": {"Title": "gcm", "Body": "gcm {{Name}}"},
    "ADMMessage": {"Title": "adm", "Body": "adm {{Name}}"},
    "BaiduMessage": {"Title": "baidu", "Body": "baidu {{Name}}"},
}


@pytest.mark.parametrize(
    "channel_type",
    [
        "SMS",
        "VOICE",
        "EMAIL",
        "APNS",
        "APNS_SANDBOX",
        "APNS_VOIP",
        "APNS_VOIP_SANDBOX",
        "GCM",
        "BAIDU",
        "ADM",
    ],
)
def test_an_address_delivery_records_its_channel_type_and_final_text(
    sandbox: Sandbox, make_client: MakeClient, channel_type: str
) -> None:
    config = {"Substitutions": {"Name": ["Ana"]}, "TitleOverride": "For {{Name}}"}
    make_client(sandbox.url).send_messages(
        ApplicationId=APP,
        MessageRequest={
            "MessageConfiguration": EVERY_BLOCK,
            "Addresses": {"the-address": {"ChannelType": channel_type, **config}},
        },
    )
    [delivery] = sandbox.deliveries()
    block_channel = ENDPOINT_CHANNELS[channel_type]
    expected = deliver(
        {"MessageConfiguration": EVERY_BLOCK, "Users": {"u": config}}, "u", block_channel
    )
    assert (delivery.user_id, delivery.endpoint_id, delivery.address) == (
        "",
        "the-address",
        "the-address",
    )
    assert delivery.channel == channel_type  # as sent, not folded into APNS
    assert (delivery.title, delivery.body) == (expected.title, expected.body)
