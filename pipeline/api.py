"""The Pinpoint API as botocore models it: payload types, channel blocks, request validation.

Everything the pipeline knows about the shape of a request comes from botocore's own
service model, so there is no hand-written schema to drift from the real API.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from typing import Any, NotRequired, TypedDict

import botocore.session
from botocore.model import OperationModel, ServiceModel, Shape, StructureShape
from botocore.validate import ParamValidator

from pipeline.errors import RequestError

SERVICE = "pinpoint"
OPERATION = "SendUsersMessages"


class EndpointSendConfiguration(TypedDict, total=False):
    """Per-user part of a request (``Users[user_id]``)."""

    BodyOverride: str
    Context: dict[str, str]
    RawContent: str
    Substitutions: dict[str, list[str]]
    TitleOverride: str


class SendUsersMessageRequest(TypedDict):
    """The body of one SendUsersMessages call."""

    MessageConfiguration: dict[str, dict[str, Any]]
    Users: dict[str, EndpointSendConfiguration]
    Context: NotRequired[dict[str, str]]
    TraceId: NotRequired[str]


class ApiRequest(TypedDict):
    """One line of ``pipeline render``: the input of ``send-users-messages --cli-input-json``."""

    ApplicationId: str
    SendUsersMessageRequest: SendUsersMessageRequest


@dataclass(frozen=True, slots=True)
class Envelope:
    """What every user of a request shares: MessageConfiguration, Context, TraceId.

    ``key`` is its canonical JSON: locales that render identically share requests.
    """

    body: dict[str, Any]
    key: str
    size: int


@cache
def service_model() -> ServiceModel:
    """Botocore's model of the Pinpoint API (loaded from botocore's bundled data, offline)."""
    return botocore.session.get_session().get_service_model(SERVICE)


@cache
def operation_model() -> OperationModel:
    """The model of SendUsersMessages."""
    return service_model().operation_model(OPERATION)


@cache
def input_shape() -> StructureShape:
    """Shape of the operation's input: ``ApplicationId`` and ``SendUsersMessageRequest``."""
    shape = operation_model().input_shape
    assert shape is not None
    return shape


def request_shape() -> StructureShape:
    """Shape of ``SendUsersMessageRequest`` (the body of the call)."""
    shape = input_shape().members["SendUsersMessageRequest"]
    assert isinstance(shape, StructureShape)
    return shape


def message_configuration_shape() -> StructureShape:
    """Shape of ``MessageConfiguration``: one member per channel block."""
    shape = request_shape().members["MessageConfiguration"]
    assert isinstance(shape, StructureShape)
    return shape


def channel_blocks() -> dict[str, StructureShape]:
    """Every channel block of ``MessageConfiguration`` with its shape, in model order."""
    return {
        name: shape
        for name, shape in message_configuration_shape().members.items()
        if isinstance(shape, StructureShape)
    }


def endpoint_send_configuration_shape() -> StructureShape:
    """Shape of one ``Users`` entry (the per-user fields)."""
    shape = request_shape().members["Users"].value  # type: ignore[attr-defined]
    assert isinstance(shape, StructureShape)
    return shape


def request_members() -> dict[str, Shape]:
    """Top-level members of ``SendUsersMessageRequest``."""
    return dict(request_shape().members)


def validation_errors(request: ApiRequest) -> str | None:
    """Botocore's report on one request, exactly as boto3 would raise it; None if valid."""
    report = ParamValidator().validate(request, input_shape())
    return report.generate_report() if report.has_errors() else None


def validate_request(request: ApiRequest) -> None:
    """Raise RequestError if botocore's own validator rejects the request."""
    errors = validation_errors(request)
    if errors is not None:
        raise RequestError(
            f"the request does not match the Pinpoint API model: {errors}",
            fix="check the field names and types in message.yaml against the AWS API reference",
        )


# One encoder for every compact JSON text of the pipeline; json.dumps with options builds
# a new encoder on every call, which shows on the per-user paths.
_COMPACT_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def to_json(value: Any) -> str:
    """Compact JSON text: UTF-8 characters kept as they are, keys in insertion order."""
    return _COMPACT_JSON.encode(value)


def encode_request(request: ApiRequest) -> str:
    """The canonical JSON text of one request: compact, UTF-8, keys in the order built.

    Deterministic for the same request, so the same inputs give byte-identical output.
    """
    return _COMPACT_JSON.encode(request)


@dataclass(frozen=True, slots=True)
class EncodedRequest:
    """A request as its canonical JSON text (``encode_request``'s), with its user count.

    A parallel render builds requests as text from its workers' pieces and never as
    dicts; whoever writes or journals requests takes either form (``encoded``).
    """

    text: str
    users: int


def encoded(request: ApiRequest | EncodedRequest) -> EncodedRequest:
    """A request as text, encoding it if it is a dict."""
    if isinstance(request, EncodedRequest):
        return request
    return EncodedRequest(encode_request(request), len(request["SendUsersMessageRequest"]["Users"]))
