"""The API as botocore models it: channel blocks, per-user fields, validation, request text."""

import json

import pytest
from botocore.loaders import Loader

from pipeline.api import (
    APIS,
    SERVICE,
    _service_data,
    channel_blocks,
    encode_request,
    endpoint_send_configuration_shape,
    inputs_have_float_members,
    messages_input_shape,
    recipients,
    to_json,
    validate_request,
    validation_errors,
)
from pipeline.errors import RequestError

VALID = {
    "ApplicationId": "app-1",
    "SendUsersMessageRequest": {
        "MessageConfiguration": {"SMSMessage": {"Body": "Zoë, {{Name}}"}},
        "Users": {"u-1": {"Substitutions": {"Name": ["Ana"]}}},
    },
}


def test_every_channel_block_of_the_readme_is_in_the_model():
    assert set(channel_blocks()) >= {
        "SMSMessage",
        "APNSMessage",
        "GCMMessage",
        "ADMMessage",
        "BaiduMessage",
        "DefaultPushNotificationMessage",
        "DefaultMessage",
        "EmailMessage",
        "VoiceMessage",
    }


def test_the_per_user_fields_are_the_apis():
    assert set(endpoint_send_configuration_shape().members) == {
        "BodyOverride",
        "Context",
        "RawContent",
        "Substitutions",
        "TitleOverride",
    }


def test_a_valid_request_has_no_validation_errors():
    assert validation_errors(VALID) is None
    validate_request(VALID)  # does not raise


@pytest.mark.parametrize(
    ("change", "reported"),
    [
        (lambda r: r["SendUsersMessageRequest"].pop("Users"), "Missing required parameter"),
        (
            lambda r: r["SendUsersMessageRequest"]["Users"]["u-1"].update(Colour="red"),
            'Unknown parameter in SendUsersMessageRequest.Users.u-1: "Colour"',
        ),
        (
            lambda r: r["SendUsersMessageRequest"]["MessageConfiguration"]["SMSMessage"].update(
                Body=3
            ),
            "Invalid type for parameter SendUsersMessageRequest.MessageConfiguration.SMSMessage.Body",
        ),
    ],
)
def test_botocores_report_names_the_mistake(change, reported):
    request = json.loads(json.dumps(VALID))
    change(request)
    report = validation_errors(request)
    assert report is not None and reported in report
    with pytest.raises(RequestError, match="does not match the Pinpoint API model") as caught:
        validate_request(request)
    assert caught.value.exit_code == 2
    assert "\n" not in str(caught.value)


def test_request_text_is_compact_utf8_in_the_order_built():
    text = encode_request(VALID)
    assert text == (
        '{"ApplicationId":"app-1","SendUsersMessageRequest":{"MessageConfiguration":'
        '{"SMSMessage":{"Body":"Zoë, {{Name}}"}},"Users":{"u-1":{"Substitutions":{"Name":["Ana"]}}}}}'
    )
    assert json.loads(text) == VALID
    assert to_json({"b": 1, "a": "é"}) == '{"b":1,"a":"é"}'


@pytest.mark.parametrize(
    "value",
    [
        {"a": 'Zoë\u2028"\\\n\t\x00', "b": [1, 2.5, 1e300, True, None, {"c": []}], "ü": {}},
        {3: "int key", None: "none key", True: "bool key", 2.5: "float key"},
        [float("nan"), float("inf")],
        "just a string",
        [],
    ],
)
def test_to_json_writes_what_the_standard_encoder_writes(value):
    assert to_json(value) == json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def test_requests_cannot_hold_floats_so_their_text_may_be_orjsons():
    # If a botocore release adds a float member, encode_request goes back to json's encoder.
    assert not inputs_have_float_members()


@pytest.mark.parametrize(
    "text",
    [
        "Zoë\u2028\u2029\x00\x1f\x7f\"\\\n\t😀",
        "".join(map(chr, range(0x20))),
    ],
)
def test_request_text_is_the_standard_encoders_with_any_text(text):
    request = {
        "ApplicationId": "app-1",
        "SendUsersMessageRequest": {
            "MessageConfiguration": {"APNSMessage": {"Body": text, "Badge": 2**31 - 1}},
            "Users": {text: {"Substitutions": {text: [text, text]}, "TitleOverride": text}},
        },
    }
    expected = json.dumps(request, ensure_ascii=False, separators=(",", ":"))
    assert encode_request(request) == expected.replace("\u2028", "\\u2028").replace(
        "\u2029", "\\u2029"
    )


def test_to_json_still_refuses_a_circular_value_and_an_unknown_type():
    looped: list[object] = []
    looped.append(looped)
    with pytest.raises(ValueError, match="Circular reference"):
        to_json({"x": looped})
    with pytest.raises(TypeError, match="not JSON serializable"):
        to_json({"x": object()})


ADDRESSED = {
    "ApplicationId": "app-1",
    "MessageRequest": {
        "MessageConfiguration": {"SMSMessage": {"Body": "Zoë, {{Name}}"}},
        "Addresses": {"+15550100001": {"ChannelType": "SMS", "Substitutions": {"Name": ["Ana"]}}},
    },
}


def test_an_address_has_the_per_user_fields_plus_its_channel_type():
    members = messages_input_shape().members["MessageRequest"].members
    assert set(members["Addresses"].value.members) == {
        *endpoint_send_configuration_shape().members,
        "ChannelType",
    }


def test_send_messages_requests_are_validated_against_send_messages():
    assert validation_errors(ADDRESSED) is None
    request = json.loads(json.dumps(ADDRESSED))
    request["MessageRequest"]["Addresses"]["+15550100001"]["Colour"] = "red"
    report = validation_errors(request)
    assert 'Unknown parameter in MessageRequest.Addresses.+15550100001: "Colour"' in report
    with pytest.raises(RequestError):
        validate_request(request)


def test_recipients_are_users_or_addresses():
    assert recipients(VALID) == 1
    assert recipients(ADDRESSED) == 1
    assert APIS == ("send-users-messages", "send-messages")


def test_the_model_is_the_one_botocore_loads():
    loader = Loader(
        extra_search_paths=[Loader.BUILTIN_DATA_PATH], include_default_search_paths=False
    )
    assert _service_data(loader) == loader.load_service_model(SERVICE, "service-2")
