import json
from datetime import UTC, datetime

import pytest

from pipeline.api import encode_request, validation_errors
from pipeline.errors import TemplateError
from pipeline.render.batch import RequestBatcher
from pipeline.render.renderer import render_requests
from tests.helpers import GOLDEN, REPO, build_tree, simple_project

PROJECT = REPO
NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


def render(root, message="m", audience="a", **options):
    options.setdefault("now", NOW)
    return list(render_requests(message, audience, app_id="app-1", root=root, **options))


def users_of(requests):
    return {
        user_id: config
        for request in requests
        for user_id, config in request["SendUsersMessageRequest"]["Users"].items()
    }


def project(tmp_path, message, audience="users:\n  - {id: u-1, first_name: Ana}\n", **files):
    return build_tree(
        tmp_path,
        {"templates/m/message.yaml": message, "audiences/a.yaml": audience, **files},
    )


@pytest.mark.parametrize("message", ["order_shipped", "weekly_digest", "back_in_stock"])
def test_example_messages_match_golden_files(message):
    requests = render(PROJECT, message, "beta_testers")
    golden = GOLDEN / f"{message}.jsonl"
    expected = [json.loads(line) for line in golden.read_text("utf-8").splitlines()]
    assert requests == expected


def test_every_request_passes_botocore_validation():
    for message in ("order_shipped", "weekly_digest", "back_in_stock", "reference"):
        for request in render(PROJECT, message, "beta_testers"):
            assert validation_errors(request) is None


def test_render_is_deterministic():
    first = [encode_request(r) for r in render(PROJECT, "weekly_digest", "beta_testers")]
    second = [encode_request(r) for r in render(PROJECT, "weekly_digest", "beta_testers")]
    assert first == second


def test_sub_emits_pinpoint_placeholders_and_substitutions_become_lists(tmp_path):
    root = project(
        tmp_path,
        """
        MessageConfiguration:
          SMSMessage: {Body: "{{ sub('FirstName') }} / {{ sub('Tags') }}"}
        PerUser:
          Substitutions:
            FirstName: "{{ user.first_name }}"
            Tags: ["{{ user.first_name | upper }}", "{{ user.id }}"]
        """,
    )
    [request] = render(root)
    body = request["SendUsersMessageRequest"]
    assert body["MessageConfiguration"]["SMSMessage"]["Body"] == "{{FirstName}} / {{Tags}}"
    assert body["Users"] == {
        "u-1": {"Substitutions": {"FirstName": ["Ana"], "Tags": ["ANA", "u-1"]}}
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


def test_include_import_and_extends_work_across_templates(tmp_path):
    root = project(
        tmp_path,
        """
        MessageConfiguration:
          SMSMessage: {}
        PerUser:
          BodyOverride: "{% include 'm/body.j2' %}"
        """,
        **{
            "templates/_shared/macros.j2": "{% macro shout(x) %}{{ x | upper }}!{% endmacro %}",
            "templates/_shared/base.j2": "[{% block content %}{% endblock %}]",
            "templates/m/body.j2": "{% extends '_shared/base.j2' %}{% block content %}"
            "{% import '_shared/macros.j2' as m %}{{ m.shout(user.first_name) }}{% endblock %}",
        },
    )
    assert users_of(render(root))["u-1"]["BodyOverride"] == "[ANA!]"


def test_template_file_final_newline_is_dropped(tmp_path):
    root = project(
        tmp_path,
        "MessageConfiguration: {SMSMessage: {}}\nPerUser: {BodyOverride: \"{% include 'm/b.j2' %}\"}\n",
        **{"templates/m/b.j2": "line one\nline two\n"},
    )
    assert users_of(render(root))["u-1"]["BodyOverride"] == "line one\nline two"


def test_user_data_containing_the_field_separator_is_not_misplaced(tmp_path):
    root = project(
        tmp_path,
        """
        MessageConfiguration: {SMSMessage: {}}
        PerUser:
          TitleOverride: "{{ user.first_name }}"
          BodyOverride: "body"
        """,
        audience='users:\n  - {id: u-1, first_name: "a\\x1fb"}\n',
    )
    assert users_of(render(root))["u-1"] == {"TitleOverride": "a\x1fb", "BodyOverride": "body"}


def test_set_in_one_field_does_not_leak_into_the_next(tmp_path):
    root = project(
        tmp_path,
        """
        MessageConfiguration: {SMSMessage: {}}
        PerUser:
          TitleOverride: "{% set first_name = 'X' %}{{ first_name }}"
          BodyOverride: "{{ first_name | default('none') }}"
        """,
    )
    assert users_of(render(root))["u-1"] == {"TitleOverride": "X", "BodyOverride": "none"}


def test_raw_content_renders_to_json(tmp_path):
    root = project(
        tmp_path,
        """
        MessageConfiguration: {GCMMessage: {Action: OPEN_APP}}
        PerUser:
          RawContent: '{"data": {"name": {{ user.first_name | tojson }}}}'
        """,
    )
    raw = users_of(render(root))["u-1"]["RawContent"]
    assert json.loads(raw) == {"data": {"name": "Ana"}}


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


def test_templates_cannot_reach_outside_templates(tmp_path):
    (tmp_path / "secret.txt").write_text("s3cret")
    root = project(
        tmp_path,
        "MessageConfiguration: {SMSMessage: {}}\nPerUser: {BodyOverride: \"{% include '../secret.txt' %}\"}\n",
    )
    with pytest.raises(TemplateError, match="template not found"):
        render(root)
    (tmp_path / "templates" / "link.j2").symlink_to(tmp_path / "secret.txt")
    root = project(
        tmp_path,
        "MessageConfiguration: {SMSMessage: {}}\nPerUser: {BodyOverride: \"{% include 'link.j2' %}\"}\n",
    )
    with pytest.raises(TemplateError, match="template not found: link.j2"):
        render(root)


def test_sandbox_refuses_unsafe_attributes(tmp_path):
    root = project(
        tmp_path,
        "MessageConfiguration: {SMSMessage: {}}\nPerUser: {BodyOverride: '{{ user.__class__.__mro__ }}'}\n",
    )
    with pytest.raises(TemplateError, match="not allowed in a template"):
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
    requests = render(PROJECT, "order_shipped", "beta_testers")
    assert len(requests) == 1
    assert len(requests[0]["SendUsersMessageRequest"]["Users"]) == 24


def test_batcher_keeps_requests_under_the_payload_limit():
    from pipeline.api import Envelope

    envelope_body = {"MessageConfiguration": {"SMSMessage": {}}}
    key = json.dumps(envelope_body, separators=(",", ":"))
    envelope = Envelope(envelope_body, key, len(key))
    batcher = RequestBatcher("app", max_request_bytes=5_000)
    requests = []
    for number in range(40):
        config = {"BodyOverride": "é" * 300}
        requests.extend(batcher.add(envelope, f"u{number}", config, 6 * 310 + 40))
    requests.extend(batcher.flush())
    assert sum(len(r["SendUsersMessageRequest"]["Users"]) for r in requests) == 40
    for request in requests:
        assert (
            len(
                json.dumps(
                    request["SendUsersMessageRequest"], ensure_ascii=False, separators=(",", ":")
                ).encode()
            )
            <= 5_000
        )
    assert len(requests) > 1


def test_a_user_alone_over_the_payload_limit_is_an_error():
    from pipeline.api import Envelope
    from pipeline.errors import RequestError

    envelope = Envelope({"MessageConfiguration": {}}, "{}", 2)
    batcher = RequestBatcher("app", max_request_bytes=1_000)
    with pytest.raises(RequestError, match="over the 1,000-byte payload limit") as caught:
        batcher.add(envelope, "big", {"BodyOverride": "x" * 2_000}, 12_100)
    assert caught.value.user_id == "big"


def test_simple_project_renders(tmp_path):
    root = simple_project(tmp_path)
    requests = render(root, "hello", "people")
    assert users_of(requests) == {
        "u-1": {"Substitutions": {"FirstName": ["Ana"]}},
        "u-2": {"Substitutions": {"FirstName": ["Zoë"]}},
    }
