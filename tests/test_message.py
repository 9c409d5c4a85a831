"""load_message: message.yaml read once and checked against botocore's model of the API."""

import re

import pytest

from pipeline.errors import MessageError
from pipeline.message import load_message
from tests.helpers import build_tree

FULL = """
    description: Tell customers their order shipped.
    locale: en-GB
    audience: people
    vars:
      store_url: https://shop.example.com
      7: seven
    lint: {sms_max_parts: 2}
    MessageConfiguration:
      SMSMessage:
        Body: "{{ sub('Name') }}, shipped."
        MessageType: TRANSACTIONAL
      APNSMessage:
        Badge: 1
        Body: |
          line one
          line two
    PerUser:
      Substitutions:
        Name: "{{ user.first_name }}"
        Tags: ["{{ user.plan }}", "{{ user.id }}"]
      Context: {segment: "{{ user.plan }}"}
    Context: {campaign: order_shipped}
    TraceId: spring-sale
"""


def load(tmp_path, text, name="m"):
    root = build_tree(tmp_path, {f"templates/{name}/message.yaml": text})
    return load_message(root, root / "templates" / name)


def load_error(tmp_path, text):
    with pytest.raises(MessageError) as caught:
        load(tmp_path, text)
    return caught.value


def test_every_part_of_a_message_is_loaded(tmp_path):
    message = load(tmp_path, FULL, name="group/shipped")
    assert message.name == "group/shipped"
    assert message.path == tmp_path / "templates" / "group" / "shipped" / "message.yaml"
    assert (message.description, message.locale, message.audience) == (
        "Tell customers their order shipped.",
        "en-GB",
        "people",
    )
    assert message.variables == {"store_url": "https://shop.example.com", "7": "seven"}
    assert message.lint == {"sms_max_parts": 2}
    assert list(message.configuration) == ["SMSMessage", "APNSMessage"]
    assert message.configuration["APNSMessage"]["Badge"] == 1
    assert message.per_user["Substitutions"]["Tags"] == ["{{ user.plan }}", "{{ user.id }}"]
    assert (message.context, message.trace_id) == ({"campaign": "order_shipped"}, "spring-sale")


def test_lines_point_at_keys_and_at_the_text_of_block_scalars(tmp_path):
    message = load(tmp_path, FULL)
    assert message.line_of("MessageConfiguration", "SMSMessage", "Body") == 10
    assert message.line_of("PerUser", "Substitutions", "Tags", 1) == 20
    # A place that is not in the file falls back to its nearest parent.
    assert message.line_of("MessageConfiguration", "SMSMessage", "Title") == 9
    assert message.line_of("Nowhere") is None
    assert message.line_of("MessageConfiguration", "APNSMessage", "Body") == 14
    assert message.text_line_of("MessageConfiguration", "APNSMessage", "Body") == 15
    assert message.text_line_of("MessageConfiguration", "SMSMessage", "Body") == 10


def test_an_empty_channel_block_is_an_empty_mapping(tmp_path):
    message = load(tmp_path, "MessageConfiguration:\n  SMSMessage: {}\n  GCMMessage: {}\n")
    assert message.configuration == {"SMSMessage": {}, "GCMMessage": {}}
    assert (message.per_user, message.context, message.variables, message.lint) == ({}, {}, {}, {})
    assert message.trace_id is None


def test_a_substitution_is_one_template_or_a_list_of_templates(tmp_path):
    text = (
        "MessageConfiguration: {SMSMessage: {}}\n"
        "PerUser:\n  Substitutions:\n    One: '{{ user.id }}'\n    Many: [a, '{{ user.id }}']\n"
    )
    message = load(tmp_path, text)
    assert message.per_user["Substitutions"] == {
        "One": "{{ user.id }}",
        "Many": ["a", "{{ user.id }}"],
    }


@pytest.mark.parametrize(
    ("text", "line", "field", "pattern"),
    [
        ("- MessageConfiguration\n", 1, None, r"message\.yaml must be a mapping"),
        (
            "MessageConfiguration:\n  SMSMessage: {Bdy: hi}\n",
            2,
            "MessageConfiguration.SMSMessage.Bdy",
            r"unknown field 'Bdy' in SMSMessage.*did you mean 'Body'\?",
        ),
        (
            "MessageConfiguration:\n  APNSMessage: {Badge: true}\n",
            2,
            "MessageConfiguration.APNSMessage.Badge",
            r"Badge must be a whole number, not bool",
        ),
        (
            "MessageConfiguration:\n  APNSMessage: {TimeToLive: 1.5}\n",
            2,
            "MessageConfiguration.APNSMessage.TimeToLive",
            r"TimeToLive must be a whole number, not float",
        ),
        (
            "MessageConfiguration: {SMSMessage: {}}\nPerUser:\n  Substitutions:\n    Tags: [a, 3]\n",
            4,
            "PerUser.Substitutions.Tags.1",
            r"1 must be a string \(quote it\), not int",
        ),
        (
            "MessageConfiguration: {SMSMessage: {}}\nContext: {run: 7}\n",
            2,
            "Context.run",
            r"run must be a string \(quote it\), not int",
        ),
        (
            "MessageConfiguration: {SMSMessage: {}}\nvars: [a, b]\n",
            2,
            "vars",
            r"vars must be a mapping of names to values",
        ),
        (
            "MessageConfiguration: {SMSMessage: {}}\nlocale: 12\n",
            2,
            "locale",
            r"locale must be a string",
        ),
        (
            "MessageConfiguration: {SMSMessage: {}}\nlint: [sms-parts]\n",
            2,
            "lint",
            r"lint must be a mapping of settings",
        ),
        (
            "MessageConfiguration: {}\n",
            1,
            "MessageConfiguration",
            r"MessageConfiguration is missing or empty",
        ),
        (
            "MessageConfiguration:\n  SMSMessage:\n  GCMMessage: {}\n",
            2,
            "MessageConfiguration.SMSMessage",
            r"SMSMessage has no value .*; give its fields .*SMSMessage: \{\} for a block of defaults",
        ),
        (
            "MessageConfiguration:\n  SMSMessage:\n    Body:\n",
            3,
            "MessageConfiguration.SMSMessage.Body",
            r"Body has no value .*; give it a value, or remove the key",
        ),
        (
            "MessageConfiguration: {SMSMessage: {}}\nPerUser:\n  Substitutions: {A: }\n",
            3,
            "PerUser.Substitutions.A",
            r"A has no value",
        ),
        (
            "MessageConfiguration: {SMSMessage: {}}\nPerUser: {BodyOverride: }\n",
            2,
            "PerUser.BodyOverride",
            r"BodyOverride has no value",
        ),
        (
            "MessageConfiguration: {SMSMessage: {}}\nDescription: x\n",
            2,
            "Description",
            r"unknown top-level key 'Description'.*did you mean 'description'\?",
        ),
    ],
)
def test_mistakes_name_their_line_and_field(tmp_path, text, line, field, pattern):
    error = load_error(tmp_path, text)
    assert (error.line, error.field) == (line, field)
    assert error.exit_code == 2
    assert "\n" not in str(error)
    assert error.more == ()
    assert re.search(pattern, str(error)), str(error)


def test_every_mistake_is_kept_the_first_raised_with_the_others(tmp_path):
    text = (
        "MessageConfiguration:\n"
        "  SMSMessage: {Bdy: hi}\n"
        "  PushMessage: {}\n"
        "PerUser: {TitleOveride: x}\n"
        "vars: 3\n"
    )
    error = load_error(tmp_path, text)
    mistakes = [error, *error.more]
    assert [(m.line, m.field) for m in mistakes] == [
        (2, "MessageConfiguration.SMSMessage.Bdy"),
        (3, "MessageConfiguration.PushMessage"),
        (4, "PerUser.TitleOveride"),
        (5, "vars"),
    ]
    assert all(m.more == () for m in error.more)


def test_a_misspelling_far_from_every_name_lists_the_choices(tmp_path):
    error = load_error(tmp_path, "MessageConfiguration: {SMSMessage: {}}\nzzz: 1\n")
    assert error.fix is not None
    assert error.fix.startswith("expected one of: description, locale, vars")
