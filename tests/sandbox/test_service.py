"""The sandbox over real HTTP with an unmodified boto3 client (never AWS)."""

from __future__ import annotations

import http.client
import json
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3  # noqa: TID251 - the tests drive the sandbox with the real client
import botocore.exceptions
import pytest
from botocore.config import Config

from pipeline.errors import InputError
from pipeline.pinpoint.delivery import deliver
from pipeline.sandbox import Faults, Sandbox, synthetic_endpoints
from tests.helpers import run_cli

APP = "611e3e3cdd47474c9c1399a505665b91"
MESSAGE_ID = re.compile(r"[0-9a-v]{40}")
REQUEST_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
SMS_ONLY = {"SMSMessage": {"Body": "Hello {{Name}}"}}

Client = Any
MakeClient = Callable[..., Client]


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox() as running:
        yield running


@pytest.fixture
def make_client() -> Iterator[MakeClient]:
    """Build boto3 pinpoint clients for a URL; one attempt only unless told otherwise."""
    clients: list[Client] = []

    def make(url: str, **retries: Any) -> Client:
        session = boto3.session.Session(
            aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
        )
        config = Config(retries=retries or {"total_max_attempts": 1})
        client = session.client("pinpoint", endpoint_url=url, config=config)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


def send(client: Client, users: dict[str, Any], configuration: Any = None) -> dict[str, Any]:
    response = client.send_users_messages(
        ApplicationId=APP,
        SendUsersMessageRequest={
            "MessageConfiguration": configuration or SMS_ONLY,
            "Users": users,
        },
    )
    result: dict[str, Any] = response["SendUsersMessageResponse"]
    return result


def raw_request(
    url: str, method: str, path: str, body: bytes = b""
) -> tuple[int, Any, dict[str, Any]]:
    connection = http.client.HTTPConnection(url.removeprefix("http://"), timeout=5)
    try:
        connection.request(method, path, body=body, headers={"Content-Type": "application/json"})
        response = connection.getresponse()
        return response.status, response.headers, json.loads(response.read())
    finally:
        connection.close()


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


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


def test_synthetic_endpoints_are_derived_from_the_user_id() -> None:
    ids = {e.channel: e.id for e in synthetic_endpoints("u-1", ["SMS", "EMAIL", "GCM"])}
    assert ids == {e.channel: e.id for e in synthetic_endpoints("u-1", ["SMS", "EMAIL", "GCM"])}
    assert ids["SMS"] != synthetic_endpoints("u-2", ["SMS"])[0].id


@pytest.mark.parametrize(
    ("configuration", "channels"),
    [
        ({"DefaultMessage": {"Body": "x"}}, ["SMS"]),
        ({"DefaultPushNotificationMessage": {"Body": "x"}}, ["GCM"]),
        ({"DefaultPushNotificationMessage": {"Body": "x"}, "APNSMessage": {}}, ["APNS"]),
        ({"EmailMessage": {"Body": "x"}, "VoiceMessage": {"Body": "x"}}, ["EMAIL", "VOICE"]),
    ],
)
def test_channels_of_synthetic_endpoints(
    sandbox: Sandbox, make_client: MakeClient, configuration: Any, channels: list[str]
) -> None:
    response = send(make_client(sandbox.url), {"u": {}}, configuration)
    expected = [e.id for e in synthetic_endpoints("u", channels)]
    assert list(response["Result"]["u"]) == expected


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


def test_endpoints_file_can_give_unlisted_users_synthetic_endpoints(
    tmp_path: Path, make_client: MakeClient
) -> None:
    endpoints = write(tmp_path / "e.yaml", "unlisted: synthetic\nusers:\n  bob: []\n")
    with Sandbox(endpoints=endpoints) as sandbox:
        result = send(make_client(sandbox.url), {"ana": {}, "bob": {}})
    assert list(result["Result"]["ana"]) == [synthetic_endpoints("ana", ["SMS"])[0].id]
    assert list(result["Result"]["bob"]) == [""]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("users: [", r"e\.yaml:\d+: invalid YAML"),
        ("people: {}", r"e\.yaml:1: an endpoints file is a mapping with a 'users' mapping"),
        (
            "users:\n  ana:\n    - {id: a, channel: SMS, address: +15550100}",
            r"e\.yaml:3: endpoint field 'address' must be a non-empty string \(user 'ana'\); "
            "quote it",
        ),
        (
            "users:\n  ana:\n    - id: a\n      channel: FAX\n      address: x",
            r"e\.yaml:4: unknown channel 'FAX'",
        ),
        (
            "users:\n  ana:\n    - {id: a, channel: SMS, address: x, colour: red}",
            r"e\.yaml:3: unknown endpoint field 'colour'",
        ),
        (
            "users:\n  ana:\n    - {id: a, channel: SMS, address: x}\n"
            "  bob:\n    - {id: a, channel: SMS, address: y}",
            r"e\.yaml:5: endpoint id 'a' is also used by user 'ana'",
        ),
        ("users: {}\nunlisted: all", r"e\.yaml:2: unlisted must be 'none' or 'synthetic'"),
    ],
)
def test_bad_endpoints_files_are_reported_with_their_line(
    tmp_path: Path, text: str, message: str
) -> None:
    path = write(tmp_path / "e.yaml", text)
    with pytest.raises(InputError, match=message):
        Sandbox(endpoints=path)


def test_missing_endpoints_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read the file"):
        Sandbox(endpoints=tmp_path / "missing.yaml")


@pytest.mark.parametrize(
    ("faults", "error"),
    [
        (Faults(throttle_share=1.0), "TooManyRequestsException"),
        (Faults(error_share=1.0), "InternalServerErrorException"),
    ],
)
def test_request_faults_surface_as_modeled_exceptions(
    make_client: MakeClient, faults: Faults, error: str
) -> None:
    with Sandbox(faults=faults) as sandbox:
        client = make_client(sandbox.url)
        with pytest.raises(getattr(client.exceptions, error)) as caught:
            send(client, {"ana": {}})
        assert sandbox.deliveries() == []
        assert sandbox.requests_received == 1
    assert caught.value.response["Error"]["Code"] == error
    assert REQUEST_ID.fullmatch(caught.value.response["RequestID"])


def test_dropped_connection_is_a_connection_error_and_delivers_nothing(
    make_client: MakeClient,
) -> None:
    with Sandbox(faults=Faults(drop_share=1.0)) as sandbox:
        client = make_client(sandbox.url)
        with pytest.raises(botocore.exceptions.ConnectionClosedError):
            send(client, {"ana": {}})
        assert sandbox.deliveries() == []
        sandbox.faults = Faults()
        send(client, {"ana": {}})
        assert list(sandbox.delivery_counts().values()) == [1]
        assert sandbox.requests_received == 2


def test_retries_after_faults_never_deliver_twice(make_client: MakeClient) -> None:
    faults = Faults(throttle_share=0.2, error_share=0.2, drop_share=0.2, seed=7)
    users = {f"u-{i:03d}": {} for i in range(100)}
    with Sandbox(faults=faults) as sandbox:
        client = make_client(sandbox.url)
        attempts = 0
        for batch in (dict(list(users.items())[i : i + 10]) for i in range(0, 100, 10)):
            while True:
                attempts += 1
                try:
                    send(client, batch)
                    break
                except (botocore.exceptions.ClientError, botocore.exceptions.HTTPClientError):
                    continue
        counts = sandbox.delivery_counts()
        assert sandbox.requests_received == attempts
    assert attempts > 10  # the faults did happen
    assert sorted(user for user, _ in counts) == sorted(users)
    assert set(counts.values()) == {1}


def test_endpoint_faults_come_inside_a_200_and_are_not_delivered(
    make_client: MakeClient,
) -> None:
    with Sandbox(faults=Faults(endpoint_throttle_share=1.0)) as sandbox:
        client = make_client(sandbox.url)
        throttled = send(client, {"ana": {}})["Result"]["ana"]
        sandbox.faults = Faults(endpoint_temporary_failure_share=1.0)
        failed = send(client, {"ana": {}})["Result"]["ana"]
        assert sandbox.deliveries() == []
    [throttled_result] = throttled.values()
    [failed_result] = failed.values()
    assert (throttled_result["DeliveryStatus"], throttled_result["StatusCode"]) == (
        "THROTTLED",
        429,
    )
    assert (failed_result["DeliveryStatus"], failed_result["StatusCode"]) == (
        "TEMPORARY_FAILURE",
        500,
    )
    assert "MessageId" not in throttled_result


def test_faults_are_the_same_for_the_same_seed(make_client: MakeClient) -> None:
    faults = Faults(
        endpoint_throttle_share=0.3, endpoint_temporary_failure_share=0.3, opt_out_share=0.2, seed=3
    )
    users = {f"u-{i}": {} for i in range(50)}

    def statuses() -> dict[str, str]:
        with Sandbox(faults=faults) as sandbox:
            result = send(make_client(sandbox.url), users)["Result"]
        return {user: next(iter(r.values()))["DeliveryStatus"] for user, r in result.items()}

    first = statuses()
    assert first == statuses()
    assert {"SUCCESSFUL", "THROTTLED", "TEMPORARY_FAILURE", "OPT_OUT"} <= set(first.values())


def test_fault_shares_must_add_up_to_at_most_one() -> None:
    with pytest.raises(ValueError, match="must not exceed 1"):
        Faults(throttle_share=0.6, drop_share=0.6)
    with pytest.raises(ValueError, match="between 0 and 1"):
        Faults(endpoint_throttle_share=1.5)


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


def test_unknown_path_is_not_found_in_boto3(sandbox: Sandbox, make_client: MakeClient) -> None:
    client = make_client(sandbox.url + "/elsewhere")
    with pytest.raises(client.exceptions.NotFoundException):
        send(client, {"ana": {}})


def test_wrong_method_is_not_allowed(sandbox: Sandbox) -> None:
    status, headers, _ = raw_request(sandbox.url, "GET", f"/v1/apps/{APP}/users-messages")
    assert status == 405
    assert headers["x-amzn-ErrorType"] == "MethodNotAllowedException"


def test_payload_over_7_mb_is_too_large_in_boto3(sandbox: Sandbox, make_client: MakeClient) -> None:
    client = make_client(sandbox.url)
    with pytest.raises(client.exceptions.PayloadTooLargeException):
        send(client, {"ana": {"BodyOverride": "x" * (7 * 1024 * 1024 + 1)}})
    assert sandbox.deliveries() == []
    send(client, {"ana": {}})  # the connection is still usable
    assert len(sandbox.deliveries()) == 1


def test_sending_twice_counts_twice(sandbox: Sandbox, make_client: MakeClient) -> None:
    client = make_client(sandbox.url)
    send(client, {"ana": {}, "bob": {}})
    send(client, {"ana": {}})
    sms_of = {user: synthetic_endpoints(user, ["SMS"])[0].id for user in ("ana", "bob")}
    assert sandbox.delivery_counts() == {("ana", sms_of["ana"]): 2, ("bob", sms_of["bob"]): 1}
    assert [d.user_id for d in sandbox.deliveries()] == ["ana", "bob", "ana"]


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


def test_store_file_keeps_every_run_and_deliveries_are_per_run(
    tmp_path: Path, make_client: MakeClient
) -> None:
    store = tmp_path / "record" / "sandbox.sqlite"
    user_config = {"TitleOverride": "T", "Substitutions": {"Name": ["Ana"]}}
    with Sandbox(store=store) as first:
        send(make_client(first.url), {"ana": user_config}, {"APNSMessage": {"Body": "Hi {{Name}}"}})
    with Sandbox(store=store) as second:
        send(make_client(second.url), {"bob": {}})
    assert [d.user_id for d in first.deliveries()] == ["ana"]  # readable after stop
    assert [d.user_id for d in second.deliveries()] == ["bob"]

    connection = sqlite3.connect(store)
    try:
        rows = connection.execute(
            "SELECT application_id, user_id, channel, title, body, user_config"
            " FROM deliveries ORDER BY seq"
        ).fetchall()
    finally:
        connection.close()
    assert rows == [
        (APP, "ana", "APNS", "T", "Hi Ana", json.dumps(user_config, separators=(",", ":"))),
        (APP, "bob", "SMS", None, "Hello {{Name}}", "{}"),
    ]


def test_a_file_that_is_not_a_store_is_an_input_error(tmp_path: Path) -> None:
    store = write(tmp_path / "not.sqlite", "hello, I am text" * 100)
    with pytest.raises(InputError, match="not a sandbox store"):
        Sandbox(store=store).start()


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


def test_keep_alive_requests_do_not_stall(sandbox: Sandbox, make_client: MakeClient) -> None:
    client = make_client(sandbox.url)
    send(client, {"warm": {}})
    started = time.perf_counter()
    for i in range(20):
        send(client, {f"u{i}": {}})
    # With Nagle's algorithm and a response written in pieces, each request takes ~40 ms.
    assert time.perf_counter() - started < 0.6


def test_latency_is_added_and_stop_is_prompt_with_open_connections(
    make_client: MakeClient,
) -> None:
    sandbox = Sandbox(faults=Faults(latency=0.2)).start()
    try:
        client = make_client(sandbox.url)
        started = time.perf_counter()
        send(client, {"ana": {}})
        assert time.perf_counter() - started >= 0.2
    finally:
        started = time.perf_counter()
        sandbox.stop()  # the client's keep-alive connection is still open
    assert time.perf_counter() - started < 1.0
    assert len(sandbox.deliveries()) == 1


def test_cli_help_lists_the_options() -> None:
    result = run_cli(["sandbox", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    for option in (
        "--port",
        "--endpoints",
        "--store",
        "--throttle-share",
        "--error-share",
        "--drop-share",
        "--latency-ms",
        "--endpoint-throttle-share",
        "--endpoint-temporary-failure-share",
        "--opt-out-share",
        "--seed",
    ):
        assert option in result.output


def test_cli_reports_a_bad_endpoints_file_on_one_line(tmp_path: Path) -> None:
    result = run_cli(["sandbox", "--endpoints", str(tmp_path / "missing.yaml")])
    assert result.exit_code == 2
    error = result.stderr
    assert re.fullmatch(r"Error: .*missing\.yaml: cannot read the file: .*\n", error)


def test_cli_runs_until_ctrl_c(tmp_path: Path, make_client: MakeClient) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "pipeline", "sandbox", "--port", "0", "--in-memory"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        banner = process.stdout.readline()
        found = re.search(r"http://127\.0\.0\.1:\d+", banner)
        assert found, banner
        send(make_client(found.group(0)), {"ana": {}})
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=10)
    assert process.returncode == 0, err
    assert err == ""
    assert "Stopped: 1 requests, 1 deliveries recorded in memory." in out
    assert not (tmp_path / ".pipeline").exists()


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
