"""The quick check: a value it passes is one botocore's validator finds nothing wrong with."""

from __future__ import annotations

import copy
import json
import random
from typing import Any

import pytest
from botocore.validate import ParamValidator

from pipeline.sandbox.protocol import input_shape
from pipeline.sandbox.quickcheck import compiled
from tests.helpers import GOLDEN

OPERATIONS = ("SendUsersMessages", "SendMessages")


def valid_requests() -> list[tuple[str, dict[str, Any]]]:
    requests = []
    for golden in sorted(GOLDEN.glob("*.jsonl")):
        for line in golden.read_text("utf-8").splitlines():
            request = json.loads(line)
            operation = "SendMessages" if "MessageRequest" in request else "SendUsersMessages"
            requests.append((operation, request))
    users = next(r for _, r in requests if "SendUsersMessageRequest" in r)[
        "SendUsersMessageRequest"
    ]
    message = {
        "MessageConfiguration": users["MessageConfiguration"],
        "Endpoints": {"e-1": {"BodyOverride": "hi", "Substitutions": {"A": ["1"]}}},
        "Addresses": {"+15550100": {"ChannelType": "SMS", "BodyOverride": "hi"}},
    }
    requests.append(("SendMessages", {"ApplicationId": "app", "MessageRequest": message}))
    return requests


def botocore_accepts(operation: str, params: Any) -> bool:
    return not ParamValidator().validate(params, input_shape(operation)).has_errors()


def test_valid_requests_pass_quickly():
    for operation, request in valid_requests():
        assert compiled(input_shape(operation))(request), request


ODD_VALUES = [None, 0, 1, -1, True, 1.5, "", "x", [], ["x"], [1], {}, {"k": "v"}, {"k": 1}, ("t",)]


def mutate(value: Any, rng: random.Random) -> Any:
    """The value with one place changed: a new type, a key removed or added, an item changed."""
    if isinstance(value, dict) and value and rng.random() < 0.8:
        key = rng.choice(list(value))
        choice = rng.random()
        if choice < 0.2:
            del value[key]
        elif choice < 0.3:
            value["Unknown" + key] = rng.choice(ODD_VALUES)
        else:
            value[key] = mutate(value[key], rng)
        return value
    if isinstance(value, list) and value and rng.random() < 0.7:
        index = rng.randrange(len(value))
        value[index] = mutate(value[index], rng)
        return value
    return copy.deepcopy(rng.choice(ODD_VALUES))


@pytest.mark.parametrize("seed", range(40))
def test_whatever_passes_quickly_botocore_accepts(seed):
    rng = random.Random(seed)
    for operation, request in valid_requests():
        for _ in range(25):
            changed = mutate(copy.deepcopy(request), rng)
            if compiled(input_shape(operation))(changed):
                assert botocore_accepts(operation, changed), changed
