import random

import pytest
from botocore.model import ShapeResolver
from botocore.validate import ParamValidator

from pipeline.api import input_shape, messages_input_shape, validation_errors
from pipeline.pinpoint.validation import checks_types_only, one_per_form


def _map_of(value: dict[str, object]):
    shapes = {
        "Recipients": {"type": "map", "key": {"shape": "Key"}, "value": {"shape": "Value"}},
        "Key": {"type": "string"},
        "Value": {"type": "structure", "members": {"Text": {"shape": "Text"}}},
        "Text": value,
    }
    return ShapeResolver(shapes).get_shape_by_name("Recipients")


def test_the_recipients_of_both_operations_are_checked_by_form_only():
    users = input_shape().members["SendUsersMessageRequest"].members["Users"]
    addresses = messages_input_shape().members["MessageRequest"].members["Addresses"]
    assert checks_types_only(users)
    assert checks_types_only(addresses)


@pytest.mark.parametrize(
    "text",
    [
        {"type": "string", "min": 1},
        {"type": "timestamp"},
        {"type": "blob"},
        {"type": "structure", "members": {}, "document": True},
        {"type": "string", "jsonvalue": True, "location": "header"},
    ],
)
def test_a_check_that_reads_values_is_noticed_anywhere_in_the_shape(text):
    assert checks_types_only(_map_of({"type": "string"}))
    assert not checks_types_only(_map_of(text))


def test_one_recipient_is_kept_per_form_the_first_of_each_in_order():
    recipients = {
        "a": {"BodyOverride": "hi", "Substitutions": {"Name": ["A"]}},
        "b": {"BodyOverride": "hello", "Substitutions": {"Name": ["Bee"]}},
        "c": {"BodyOverride": 7, "Substitutions": {"Name": ["C"]}},
        "d": {"BodyOverride": "yo", "Substitutions": {"Name": ["D", "E"]}},
        "e": {"BodyOverride": "yo", "Substitutions": {"Plan": ["D"]}},
        "f": {"BodyOverride": True, "Substitutions": {"Name": ["F"]}},
        "g": {"Substitutions": {"Name": ["G"]}, "BodyOverride": "key order"},
    }
    assert list(one_per_form(recipients)) == ["a", "c", "d", "e", "f", "g"]


def test_a_recipient_holding_anything_but_plain_data_has_no_form():
    class Text(str):
        pass

    assert one_per_form({"a": {"BodyOverride": "x"}, "b": {"BodyOverride": Text("x")}}) is None
    assert one_per_form({"a": {1: "x"}}) is None


# Values of the wrong type for every per-user field: botocore judges them by type only.
_WRONG = [3, 2.5, True, None, ["a"], {"k": "v"}]


def _random_user(rng: random.Random, mistakes: float) -> dict[str, object]:
    def text(*choices: str) -> object:
        return rng.choice(_WRONG) if rng.random() < mistakes else rng.choice(choices)

    user: dict[str, object] = {}
    if rng.random() < 0.9:
        user["BodyOverride"] = text("Hi", "Hello there", "")
    if rng.random() < 0.7:
        user["TitleOverride"] = text("T", "Title")
    if rng.random() < 0.8:
        values = [text("x", "yy") for _ in range(rng.randint(0, 2))]
        user["Substitutions"] = {rng.choice(["Name", "Plan"]): values}
    if rng.random() < mistakes:
        user[rng.choice(["Bogus", "ChannelType"])] = "SMS"
    return user


@pytest.mark.parametrize("seed", range(40))
def test_the_verdict_and_report_are_botocores_own_on_random_requests(seed):
    rng = random.Random(seed)
    mistakes = (0.0, 0.002, 0.01)[seed % 3]  # a third of the requests valid, in many forms
    users = {f"u{n}": _random_user(rng, mistakes) for n in range(rng.randint(1, 100))}
    body = {"MessageConfiguration": {"SMSMessage": {"Body": "b"}}, "Users": users}
    request = {"ApplicationId": "app", "SendUsersMessageRequest": body}
    report = ParamValidator().validate(request, input_shape())
    expected = report.generate_report() if report.has_errors() else None
    assert validation_errors(request) == expected  # type: ignore[arg-type]


def test_a_mistake_in_the_last_of_many_alike_recipients_is_reported_by_name():
    users = {f"u{n}": {"BodyOverride": f"Hi {n}"} for n in range(100)}
    users["u99"] = {"BodyOverride": 99}  # type: ignore[dict-item]
    body = {"MessageConfiguration": {"SMSMessage": {"Body": "b"}}, "Users": users}
    report = validation_errors({"ApplicationId": "app", "SendUsersMessageRequest": body})  # type: ignore[arg-type,typeddict-item]
    assert report is not None
    assert "SendUsersMessageRequest.Users.u99.BodyOverride" in report
