"""render_requests: per-locale envelopes, then every user, into validated requests."""

import json

import pytest

from pipeline.api import encode_request, validation_errors
from pipeline.errors import TemplateError
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


def test_a_lone_surrogate_in_a_channel_block_names_its_field(tmp_path):
    root = project(tmp_path, "MessageConfiguration:\n  SMSMessage: {Body: \"{{ '%c' % 56000 }}\"}\n")
    with pytest.raises(TemplateError, match=r"a lone surrogate \(U\+DAC0\) in the rendered text") as caught:
        render(root)
    assert (caught.value.field, caught.value.line) == ("MessageConfiguration.SMSMessage.Body", 2)
