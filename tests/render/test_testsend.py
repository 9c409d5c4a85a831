"""Test sends rendered: chosen users of the audience, to addresses given by hand."""

import pytest

from pipeline.api import validation_errors
from pipeline.errors import InputError
from pipeline.render.testsend import parse_recipient, render_test_requests
from tests.helpers import REPO, build_tree
from tests.render.support import NOW, users_of
from tests.render.support import render as render_users

PHONE = ("SMS", "+15550199999")
TOKEN = ("APNS_SANDBOX", "my-test-iphone")


def render(root=REPO, message="order_shipped", audience="beta_devices", **options):
    options.setdefault("now", NOW)
    options.setdefault("to", [PHONE])
    return render_test_requests(message, audience, app_id="app-1", root=root, **options)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("SMS:+15550100001", ("SMS", "+15550100001")),
        ("APNS_VOIP_SANDBOX:ab12", ("APNS_VOIP_SANDBOX", "ab12")),
        ("EMAIL:me@example.com", ("EMAIL", "me@example.com")),
        ("EMAIL:a:b", ("EMAIL", "a:b")),  # only the first colon separates
    ],
)
def test_a_recipient_is_channel_colon_address(text, expected):
    assert parse_recipient(text) == expected


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        ("+15550100001", r"--to '\+15550100001': not CHANNEL:ADDRESS; write it as e\.g\."),
        ("sms:+1555", r"unknown address channel 'sms'; did you mean 'SMS'\?"),
        ("SMS:", r"--to 'SMS:': empty address under SMS"),
        ("SMS: +1555", r"has spaces around it"),
    ],
)
def test_a_bad_recipient_is_an_input_error(text, pattern):
    with pytest.raises(InputError, match=pattern) as caught:
        parse_recipient(text)
    assert caught.value.exit_code == 2


def test_by_default_the_first_user_of_each_locale_is_rendered_for_every_address():
    requests = render(to=[PHONE, TOKEN])
    owners = [set(item.owners.values()) for item in requests]
    # beta_devices: en-US, en-GB, fr-FR, fr-CA, es-ES, es-MX, first met in this order.
    assert owners == [{f"u-000{n}"} for n in range(1, 7)]
    by_user = users_of(render_users(REPO, "order_shipped", "beta_devices"))
    for item in requests:
        assert validation_errors(item.request) is None
        [user] = set(item.owners.values())
        addresses = item.request["MessageRequest"]["Addresses"]
        assert list(addresses) == [PHONE[1], TOKEN[1]]
        for (channel, _), configuration in zip([PHONE, TOKEN], addresses.values(), strict=True):
            assert configuration == {"ChannelType": channel, **by_user[user]}


def test_named_users_are_rendered_in_audience_order_even_without_addresses():
    requests = render(users=["u-0006", "u-0002"])
    assert [list(item.owners.values()) for item in requests] == [["u-0002"], ["u-0006"]]


def test_an_address_of_the_audience_is_refused(tmp_path):
    root = build_tree(
        tmp_path,
        {
            "templates/m/message.yaml": "MessageConfiguration: {SMSMessage: {Body: hi}}\n",
            "audiences/a.jsonl": '{"id": "u-1"}\n{"id": "u-2", "addresses": {"VOICE": "+1"}}\n',
        },
    )
    with pytest.raises(
        InputError, match=r"--to \+1: it is the VOICE address of user 'u-2' at line 2"
    ):
        render(root, "m", "a", to=[("SMS", "+1")])


@pytest.mark.parametrize(
    ("options", "pattern"),
    [
        ({"to": []}, r"no address to send the test to"),
        ({"to": [PHONE, ("VOICE", PHONE[1])]}, r"the address is given twice"),
        ({"to": [("SMS", f"+1{n}") for n in range(101)]}, r"101 --to addresses; .* at most 100"),
        (
            {"to": [("EMAIL", "me@example.com")]},
            r"no block for channel EMAIL; it reaches SMS, APNS, GCM",
        ),
        ({"to": [("SMS", "+15550100003")]}, r"SMS address of user 'u-0003'"),
        ({"users": ["u-0001", "nobody"]}, r"no user 'nobody' in the audience"),
    ],
)
def test_bad_test_sends_are_input_errors(options, pattern):
    with pytest.raises(InputError, match=pattern) as caught:
        render(**options)
    assert "\n" not in str(caught.value)
