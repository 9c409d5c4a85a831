"""render_requests: per-locale envelopes, then every user, into validated requests."""

import json

import pytest

from pipeline.api import encode_request, validation_errors
from pipeline.audience import load_audience
from pipeline.errors import InputError, TemplateError
from pipeline.render.address_batch import AddressedRequest, Unaddressed
from tests.helpers import GOLDEN, REPO, simple_project
from tests.render.support import project, render, users_of


@pytest.mark.parametrize("message", ["order_shipped", "weekly_digest", "back_in_stock"])
def test_example_messages_match_golden_files(message):
    requests = render(REPO, message, "beta_testers")
    golden = GOLDEN / f"{message}.jsonl"
    expected = [json.loads(line) for line in golden.read_text("utf-8").splitlines()]
    assert requests == expected


def test_every_request_passes_botocore_validation():
    for message in ("order_shipped", "weekly_digest", "back_in_stock", "reference"):
        for request in render(REPO, message, "beta_testers"):
            assert validation_errors(request) is None


def test_render_is_deterministic():
    first = [encode_request(r) for r in render(REPO, "weekly_digest", "beta_testers")]
    second = [encode_request(r) for r in render(REPO, "weekly_digest", "beta_testers")]
    assert first == second


def test_simple_project_renders(tmp_path):
    root = simple_project(tmp_path)
    requests = render(root, "hello", "people")
    assert users_of(requests) == {
        "u-1": {"Substitutions": {"FirstName": ["Ana"]}},
        "u-2": {"Substitutions": {"FirstName": ["Zoë"]}},
    }


def test_scope_has_vars_locale_now_message_and_var_overrides(tmp_path):
    root = project(
        tmp_path,
        """
        locale: de-DE
        vars: {greeting: Hallo, url: "https://a.example"}
        MessageConfiguration:
          SMSMessage: {Body: "{{ vars.url }} {{ message }} {{ locale }}"}
        PerUser:
          BodyOverride: "{{ vars.greeting }} {{ user.first_name }} {{ now.isoformat() }} {{ locale }}"
        """,
    )
    [request] = render(root, variables={"url": "https://b.example"})
    body = request["SendUsersMessageRequest"]
    assert body["MessageConfiguration"]["SMSMessage"]["Body"] == "https://b.example m de-DE"
    assert body["Users"]["u-1"]["BodyOverride"] == "Hallo Ana 2026-11-26T09:00:00+00:00 de-DE"


def test_non_string_fields_keep_their_yaml_types(tmp_path):
    root = project(
        tmp_path,
        """
        MessageConfiguration:
          APNSMessage: {Body: hi, Badge: 3, SilentPush: false, TimeToLive: 60}
        """,
    )
    [request] = render(root)
    block = request["SendUsersMessageRequest"]["MessageConfiguration"]["APNSMessage"]
    assert block == {"Body": "hi", "Badge": 3, "SilentPush": False, "TimeToLive": 60}


def test_locale_fallback_picks_the_most_specific_translation(tmp_path):
    root = project(
        tmp_path,
        """
        MessageConfiguration:
          SMSMessage: {Body: "{% include 'm/hello.j2' %}"}
        PerUser:
          BodyOverride: "{% include 'm/hello.j2' %}, {{ user.id }}"
        """,
        audience="""
        users:
          - {id: ca, locale: fr-CA}
          - {id: fr, locale: fr-FR}
          - {id: be, locale: fr_BE}
          - {id: en, locale: en-US}
          - {id: none}
        """,
        **{
            "templates/m/hello.j2": "Hello",
            "templates/m/hello.fr.j2": "Bonjour",
            "templates/m/hello.fr-CA.j2": "Allô",
        },
    )
    requests = render(root)
    bodies = {user: config["BodyOverride"] for user, config in users_of(requests).items()}
    assert bodies == {
        "ca": "Allô, ca",
        "fr": "Bonjour, fr",
        "be": "Bonjour, be",
        "en": "Hello, en",
        "none": "Hello, none",
    }
    # Each locale's MessageConfiguration is rendered for that locale: one request per text.
    sms = sorted(
        r["SendUsersMessageRequest"]["MessageConfiguration"]["SMSMessage"]["Body"] for r in requests
    )
    assert sms == ["Allô", "Bonjour", "Hello"]


def test_user_in_message_configuration_is_an_error_that_explains(tmp_path):
    root = project(
        tmp_path, "MessageConfiguration:\n  SMSMessage:\n    Body: '{{ user.first_name }}'\n"
    )
    with pytest.raises(
        TemplateError,
        match=r"message\.yaml:3: 'user' is not available in "
        r"MessageConfiguration.*PerUser.*sub\('Name'\)",
    ):
        render(root)


def test_user_in_an_included_file_of_a_channel_block_is_an_error(tmp_path):
    root = project(
        tmp_path,
        "MessageConfiguration:\n  SMSMessage:\n    Body: \"{% include 'm/b.j2' %}\"\n",
        **{"templates/m/b.j2": "Hi {{ user.first_name }}"},
    )
    with pytest.raises(TemplateError, match=r"'user' is not available in MessageConfiguration"):
        render(root)


def test_batches_hold_100_users_in_audience_order_per_locale(tmp_path):
    lines = [f"  - {{id: u{n:03d}, locale: {'fr' if n % 3 == 0 else 'en'}}}" for n in range(250)]
    root = project(
        tmp_path,
        """
        MessageConfiguration:
          SMSMessage: {Body: "{% if locale == 'fr' %}Salut{% else %}Hi{% endif %}"}
        """,
        audience="users:\n" + "\n".join(lines) + "\n",
    )
    requests = render(root)
    sizes = [len(r["SendUsersMessageRequest"]["Users"]) for r in requests]
    assert sorted(sizes) == [66, 84, 100]  # en: 166 users in 100 + 66, fr: 84
    for locale, prefix in (("fr", "Salut"), ("en", "Hi")):
        ids = [
            user
            for r in requests
            if r["SendUsersMessageRequest"]["MessageConfiguration"]["SMSMessage"]["Body"] == prefix
            for user in r["SendUsersMessageRequest"]["Users"]
        ]
        expected = [f"u{n:03d}" for n in range(250) if (n % 3 == 0) == (locale == "fr")]
        assert ids == expected


def test_locales_that_render_identically_share_requests():
    requests = render(REPO, "order_shipped", "beta_testers")
    assert len(requests) == 1
    assert len(requests[0]["SendUsersMessageRequest"]["Users"]) == 24


# SendMessages: the same rendered users, packed for their addresses.


def test_send_messages_to_the_example_devices_matches_its_golden_file():
    items = render(REPO, "order_shipped", "beta_devices", api="send-messages")
    golden = GOLDEN / "order_shipped.send-messages.jsonl"
    expected = [json.loads(line) for line in golden.read_text("utf-8").splitlines()]
    assert [item.request for item in items if isinstance(item, AddressedRequest)] == expected
    assert [item.user_ids for item in items if isinstance(item, Unaddressed)] == [("u-0006",)]


@pytest.mark.parametrize("message", ["order_shipped", "weekly_digest", "back_in_stock"])
def test_every_address_gets_what_the_users_api_gives_its_user(message):
    """Rendering does not depend on the API: only ChannelType is added per address."""
    listed = {
        user.id: user.addresses
        for user in load_audience(REPO / "audiences" / "beta_devices.yaml").users()
    }
    by_user = users_of(render(REPO, message, "beta_devices"))
    seen = set()
    for item in render(REPO, message, "beta_devices", api="send-messages"):
        if isinstance(item, Unaddressed):
            assert all(not listed[user_id] for user_id in item.user_ids)
            continue
        assert validation_errors(item.request) is None
        for address, configuration in item.request["MessageRequest"]["Addresses"].items():
            owner = item.owners[address]
            channel = configuration.pop("ChannelType")
            assert configuration == by_user[owner]
            assert (channel, address) in listed[owner]
            seen.add(address)
    assert seen == {address for pairs in listed.values() for _, address in pairs}


def test_send_messages_requests_are_checked_against_send_messages(tmp_path):
    root = project(
        tmp_path,
        """
        MessageConfiguration:
          SMSMessage: {Body: "hi"}
        PerUser:
          BodyOverride: "{{ user.first_name }}"
        """,
        "users:\n  - {id: u-1, first_name: Ana, addresses: {SMS: '+1'}}\n",
    )
    [item] = render(root, api="send-messages")
    assert set(item.request) == {"ApplicationId", "MessageRequest"}
    # The users API's own shape is not valid for SendMessages, and the reverse.
    wrong = {
        "ApplicationId": "a",
        "MessageRequest": {**item.request["MessageRequest"], "Users": {}},
    }
    assert 'Unknown parameter in MessageRequest: "Users"' in validation_errors(wrong)


def test_an_unknown_api_is_an_input_error(tmp_path):
    root = simple_project(tmp_path)
    with pytest.raises(InputError, match="unknown API 'send-emails'.*send-users-messages"):
        render(root, "hello", "people", api="send-emails")


def test_a_lone_surrogate_in_a_channel_block_names_its_field(tmp_path):
    root = project(tmp_path, "MessageConfiguration:\n  SMSMessage: {Body: \"{{ '%c' % 56000 }}\"}\n")
    with pytest.raises(TemplateError, match=r"a lone surrogate \(U\+DAC0\) in the rendered text") as caught:
        render(root)
    assert (caught.value.field, caught.value.line) == ("MessageConfiguration.SMSMessage.Body", 2)
