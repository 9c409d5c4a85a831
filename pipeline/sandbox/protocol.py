"""Pinpoint's REST-JSON wire format as the sandbox speaks it: routes, validation, answers.

Requests are checked with botocore's own model and ``ParamValidator``, the validator boto3
runs before sending, so the sandbox accepts exactly what the real client can send. The HTTP
body of both operations is the operation's payload member (``SendUsersMessageRequest``,
``MessageRequest``) and the answer's body is the output's payload member, which is how
botocore's rest-json serializer and parser frame them.
"""

from __future__ import annotations

import json
import os
import re
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from json.encoder import encode_basestring
from typing import Any, Final
from urllib.parse import unquote

from botocore.model import StructureShape
from botocore.validate import ParamValidator

from pipeline import fastjson
from pipeline.api import service_model, to_json
from pipeline.pinpoint.limits import MAX_RECIPIENTS_PER_REQUEST, SUCCESSFUL
from pipeline.sandbox.quickcheck import compiled

SEND_USERS_MESSAGES: Final = "SendUsersMessages"
SEND_MESSAGES: Final = "SendMessages"

# The two operations the sandbox serves, by the path botocore builds for them.
_ROUTES: Final = (
    (re.compile(r"/v1/apps/([^/?#]+)/users-messages"), SEND_USERS_MESSAGES),
    (re.compile(r"/v1/apps/([^/?#]+)/messages"), SEND_MESSAGES),
)

# HTTP status -> the modeled error of that status (every operation models the same ones).
ERRORS: Final = {
    400: "BadRequestException",
    403: "ForbiddenException",
    404: "NotFoundException",
    405: "MethodNotAllowedException",
    413: "PayloadTooLargeException",
    429: "TooManyRequestsException",
    500: "InternalServerErrorException",
}
REASONS: Final = {
    200: "OK",
    400: "Bad Request",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    413: "Payload Too Large",
    429: "Too Many Requests",
    500: "Internal Server Error",
}


# Maps every byte to one of 32 characters; 256 is a multiple of 32, so each is equally likely.
_BASE32HEX: Final = bytes(b"0123456789abcdefghijklmnopqrstuv"[i % 32] for i in range(256))


class BadRequest(Exception):
    """A request the service answers with 400 BadRequestException."""


@dataclass(frozen=True, slots=True)
class Route:
    """An operation and the application id taken from its URL."""

    operation: str
    application_id: str


def match_route(path: str) -> Route | None:
    """The operation a request path names, or None for an unknown path."""
    path = path.split("?", 1)[0]
    for pattern, operation in _ROUTES:
        found = pattern.fullmatch(path)
        if found:
            return Route(operation, unquote(found.group(1)))
    return None


@cache
def input_shape(operation: str) -> StructureShape:
    """Botocore's model of an operation's input (from botocore's bundled data, offline)."""
    shape = service_model().operation_model(operation).input_shape
    assert shape is not None
    return shape


def payload_member(operation: str) -> str:
    """The name of the input member that travels as the HTTP body."""
    name: str = input_shape(operation).serialization["payload"]
    return name


def parse_request(route: Route, body: bytes) -> dict[str, Any]:
    """The payload of a request, checked against the model.

    Raises:
        BadRequest: The body is not JSON, or botocore's validator rejects it.
    """
    try:
        payload = fastjson.loads(body) if body else {}
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadRequest(f"The request body is not valid JSON: {exc}") from exc
    if not isinstance(payload, dict):
        raise BadRequest("The request body must be a JSON object.")
    params = {"ApplicationId": route.application_id, payload_member(route.operation): payload}
    shape = input_shape(route.operation)
    if not compiled(shape)(params):  # only then can botocore's validator find something
        report = ParamValidator().validate(params, shape)
        if report.has_errors():
            raise BadRequest(_one_line(report.generate_report()))
    if route.operation == SEND_USERS_MESSAGES:
        count = len(payload["Users"])
    else:
        count = len(payload.get("Addresses") or {}) + len(payload.get("Endpoints") or {})
    if count > MAX_RECIPIENTS_PER_REQUEST:
        raise BadRequest(
            f"A request can address at most {MAX_RECIPIENTS_PER_REQUEST} recipients;"
            f" this one has {count}."
        )
    return payload


def has_no_surrogates(body: bytes) -> bool:
    r"""Whether no string that ``parse_request`` reads from ``body`` can hold a lone surrogate.

    A lone surrogate is the one text that UTF-8 cannot encode. False means "maybe": Python's
    JSON reader lets lone surrogates through, from ``\uD800``-``\uDFFF`` escapes and from
    their raw bytes (0xED 0xA0-0xBF), and a body without ``\ud``, ``\uD`` or 0xED has
    neither. The other texts of a delivery are the sandbox's own or come from an endpoints
    file, which is read as strict UTF-8 and whose YAML refuses surrogate escapes.
    """
    return b"\\ud" not in body and b"\\uD" not in body and b"\xed" not in body


def _one_line(text: str) -> str:
    return " ".join(text.split())


def new_request_id() -> str:
    """A RequestId as the service makes them: a UUID4."""
    return str(uuid.uuid4())


def message_ids(batch: int = 100) -> Iterator[str]:
    """MessageIds like the service's (40 random characters of ``[0-9a-v]``), ``batch`` a read."""
    while True:
        text = os.urandom(40 * batch).translate(_BASE32HEX).decode("ascii")
        for start in range(0, len(text), 40):
            yield text[start : start + 40]


def encode(value: Any) -> bytes:
    """A JSON body as the service sends it."""
    return to_json(value).encode()


# The body of a SendUsersMessages answer is built as text: with its hundreds of answers as
# dicts, then encoded, it cost a third of the sandbox's CPU. Every piece is what ``to_json``
# writes for it (its string escaping is this one), so the body is byte for byte ``encode``'s.
_string: Final = encode_basestring
_SUCCESSFUL: Final = _string(SUCCESSFUL)


def answer_entry(key: str, answer: Mapping[str, Any]) -> str:
    """``"key":answer`` as JSON text, an entry of an answer's map."""
    return f"{_string(key)}:{to_json(answer)}"


def delivered_entry(endpoint_id: str, address: str, message_id: str) -> str:
    """The entry of a SUCCESSFUL endpoint, as ``answer_entry`` writes that answer.

    The MessageId needs no escaping: it is ``[0-9a-v]`` only (``message_ids``).
    """
    return (
        f'{_string(endpoint_id)}:{{"Address":{_string(address)},"DeliveryStatus":{_SUCCESSFUL},'
        f'"MessageId":"{message_id}","StatusCode":200,"StatusMessage":"MessageId: {message_id}"}}'
    )


def users_answer_body(
    application_id: str, request_id: str, result: Iterable[tuple[str, list[str]]]
) -> bytes:
    """The body of a SendUsersMessages answer: each user id and its endpoints' entries."""
    users = ",".join(f"{_string(user)}:{{{','.join(entries)}}}" for user, entries in result)
    head = f'{{"ApplicationId":{_string(application_id)},"RequestId":{_string(request_id)}'
    return f'{head},"Result":{{{users}}}}}'.encode()


def error_body(message: str, request_id: str) -> bytes:
    """The body of every modeled error: ``{"Message": ..., "RequestID": ...}``."""
    return encode({"Message": message, "RequestID": request_id})


def response_head(
    status: int, length: int, request_id: str, *, error: str | None = None, close: bool = False
) -> bytes:
    """The status line and headers of an answer with a JSON body of ``length`` bytes."""
    lines = [
        f"HTTP/1.1 {status} {REASONS.get(status, 'Error')}",
        "Content-Type: application/json",
        f"Content-Length: {length}",
        f"x-amzn-RequestId: {request_id}",
    ]
    if error is not None:
        lines.append(f"x-amzn-ErrorType: {error}")
    if close:
        lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
