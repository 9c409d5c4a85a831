"""The Pinpoint API as botocore models it: payload types, channel blocks, request validation.

Everything the pipeline knows about the shape of a request comes from botocore's own
service model, so there is no hand-written schema to drift from the real API. Two send
operations are modelled: SendUsersMessages (users, reached through their endpoints) and
SendMessages (explicit addresses), chosen with ``--api``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any, Final, NotRequired, TypedDict, final

from botocore.loaders import Loader
from botocore.model import OperationModel, ServiceModel, Shape, StructureShape
from botocore.validate import ParamValidator

from pipeline import fastjson
from pipeline.errors import RequestError
from pipeline.pinpoint.validation import checks_types_only, one_per_form, shapes_under
from pipeline.unsendable import describe, find_unsendable

SERVICE = "pinpoint"
OPERATION = "SendUsersMessages"
MESSAGES_OPERATION: Final = "SendMessages"

# The values of ``--api``: the AWS CLI's names of the two operations.
USERS_API: Final = "send-users-messages"
MESSAGES_API: Final = "send-messages"
APIS: Final = (USERS_API, MESSAGES_API)


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


@final  # so that ``"MessageRequest" in request`` tells the two operations apart (mypy)
class ApiRequest(TypedDict):
    """One line of ``pipeline render``: the input of ``send-users-messages --cli-input-json``."""

    ApplicationId: str
    SendUsersMessageRequest: SendUsersMessageRequest


class AddressConfiguration(EndpointSendConfiguration, total=False):
    """One address of a SendMessages request: the per-user fields plus its ``ChannelType``."""

    ChannelType: str


class MessageRequest(TypedDict):
    """The body of one SendMessages call to explicit addresses."""

    MessageConfiguration: dict[str, dict[str, Any]]
    Addresses: dict[str, AddressConfiguration]
    Context: NotRequired[dict[str, str]]
    TraceId: NotRequired[str]


@final
class MessagesApiRequest(TypedDict):
    """One line of ``pipeline render --api send-messages``: ``send-messages --cli-input-json``."""

    ApplicationId: str
    MessageRequest: MessageRequest


# Either operation's input, as rendered, journaled and sent.
AnyRequest = ApiRequest | MessagesApiRequest


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
    """Botocore's model of the Pinpoint API, from the data bundled with botocore only.

    No botocore session is made: a session reads ``~/.aws/config`` (and ``AWS_DATA_PATH``,
    ``~/.aws/models``) on first use, and the offline commands (render, lint, preview, diff)
    must work the same, and run nothing, whatever the AWS configuration holds.
    """
    loader = Loader(
        extra_search_paths=[Loader.BUILTIN_DATA_PATH], include_default_search_paths=False
    )
    return ServiceModel(_service_data(loader), service_name=SERVICE)


def _service_data(loader: Loader) -> dict[str, Any]:
    """``loader.load_service_model(SERVICE, "service-2")``, without listing every service.

    That method first lists each of the ~450 services botocore bundles, to check the name:
    about 450 folders read and 1,300 files looked up, 20 ms of every command's start. The
    rest of what it does is this: the latest version's model, and its extras (Pinpoint's
    bundled data has none; a test holds the two equal).
    """
    version = loader.determine_latest_version(SERVICE, "service-2")
    model: dict[str, Any] = loader.load_data(f"{SERVICE}/{version}/service-2")
    return model


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


@cache
def messages_input_shape() -> StructureShape:
    """Shape of SendMessages' input: ``ApplicationId`` and ``MessageRequest``."""
    shape = service_model().operation_model(MESSAGES_OPERATION).input_shape
    assert shape is not None
    return shape


def recipients(request: AnyRequest) -> int:
    """How many recipients a request addresses: its users, or its addresses."""
    if "MessageRequest" in request:
        return len(request["MessageRequest"]["Addresses"])
    return len(request["SendUsersMessageRequest"]["Users"])


def validation_errors(request: AnyRequest) -> str | None:
    """Botocore's report on one request, exactly as boto3 would raise it; None if valid.

    A valid request is shown valid with one recipient of each form
    (``pipeline.pinpoint.validation``): the same verdict, for a fraction of the walk.
    """
    validator = ParamValidator()
    messages = "MessageRequest" in request
    shape = messages_input_shape() if messages else input_shape()
    reduced = _one_recipient_per_form(request, messages)
    if reduced is not None and not validator.validate(reduced, shape).has_errors():
        return None
    report = validator.validate(request, shape)
    return report.generate_report() if report.has_errors() else None


# Where each operation's input keeps its recipients: (body member, map of recipients),
# keyed by whether it is SendMessages.
_RECIPIENTS_OF: Final = {
    False: ("SendUsersMessageRequest", "Users"),
    True: ("MessageRequest", "Addresses"),
}


def _one_recipient_per_form(request: AnyRequest, messages: bool) -> dict[str, Any] | None:
    """The request with one recipient of each form; None where that could change the verdict."""
    member, recipients = _RECIPIENTS_OF[messages]
    body = request.get(member)
    if not (isinstance(body, dict) and isinstance(body.get(recipients), dict)):
        return None
    if not _recipients_check_types_only(messages):
        return None
    kept = one_per_form(body[recipients])
    if kept is None or len(kept) == len(body[recipients]):
        return None
    return {**request, member: {**body, recipients: kept}}


@cache
def _recipients_check_types_only(messages: bool) -> bool:
    """Whether botocore's checks of one recipient (and its key) look only at its form."""
    member, recipients = _RECIPIENTS_OF[messages]
    shape = (messages_input_shape() if messages else input_shape()).members[member]
    assert isinstance(shape, StructureShape)
    return checks_types_only(shape.members[recipients])


def validate_request(request: AnyRequest) -> None:
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


def _reusable_encoder() -> Callable[[Any, int], Any] | None:
    """``_COMPACT_JSON``'s C encoder, built once; None where the C accelerator is missing.

    ``JSONEncoder.encode`` builds this object again on every call, about half the cost of
    encoding one user's configuration, which the workers of a parallel render do 100,000
    times per 100,000 users. It is built without the circular-reference markers (a reused
    marker table could stay dirty after an error): ``to_json`` falls back to the checking
    encoder when the C one gives up on depth, so a circular value raises as it always has.
    """
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:
        return None
    encoder = _COMPACT_JSON
    return make(  # type: ignore[no-any-return]
        None,
        encoder.default,
        json.encoder.encode_basestring,
        None,
        encoder.key_separator,
        encoder.item_separator,
        encoder.sort_keys,
        encoder.skipkeys,
        encoder.allow_nan,
    )


_FAST_JSON = _reusable_encoder()


def to_json(value: Any) -> str:
    """Compact JSON text: UTF-8 characters kept as they are, keys in insertion order."""
    if _FAST_JSON is None or isinstance(value, str):  # a bare string: a C call already
        return _COMPACT_JSON.encode(value)
    try:
        return "".join(_FAST_JSON(value, 0))
    except RecursionError:  # circular, or deeper than the checking encoder goes either
        return _COMPACT_JSON.encode(value)


def encode_request(request: AnyRequest) -> str:
    r"""The canonical JSON text of one request: compact, UTF-8, keys in the order built.

    Deterministic for the same request, so the same inputs give byte-identical output.
    U+2028 and U+2029 are written as ``\u2028`` and ``\u2029``: they are valid inside JSON
    strings, but readers that split lines (Python's ``str.splitlines``, many editors and
    log tools) end a line at them, and a request must stay one line of JSON Lines.

    The text is ``to_json``'s, written by ``fastjson.dumps`` at a fifth of the CPU where a
    request cannot hold a float, the one kind of value it would write differently: requests
    are validated, and botocore's validator takes a float only for a float member, of which
    neither operation's input has any (``inputs_have_float_members``).
    """
    if inputs_have_float_members():
        return escape_line_separators(_COMPACT_JSON.encode(request))
    return escape_line_separators(fastjson.dumps(request))


@cache
def inputs_have_float_members() -> bool:
    """Whether the input of SendUsersMessages or SendMessages has a float or double member."""
    return any(
        shape.type_name in ("float", "double")
        for top in (input_shape(), messages_input_shape())
        for shape in shapes_under(top)
    )


def escape_line_separators(text: str) -> str:
    r"""JSON text with U+2028 and U+2029 written as ``\u2028`` and ``\u2029``."""
    if "\u2028" in text or "\u2029" in text:
        text = text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return text


def has_line_separators(data: bytes) -> bool:
    """Whether UTF-8 ``data`` holds U+2028 or U+2029, which a request's text escapes."""
    # 0xE2 leads every character from U+2000 to U+2FFF: a one-byte scan first.
    return b"\xe2" in data and (b"\xe2\x80\xa8" in data or b"\xe2\x80\xa9" in data)


def escape_line_separators_utf8(data: bytes) -> bytes:
    r"""``escape_line_separators`` for JSON text in UTF-8."""
    if has_line_separators(data):
        data = data.replace(b"\xe2\x80\xa8", b"\\u2028").replace(b"\xe2\x80\xa9", b"\\u2029")
    return data


def request_bytes(request: AnyRequest, text: str | None = None) -> bytes:
    """The UTF-8 bytes of a request's text (``text``, else its canonical JSON).

    Raises:
        RequestError: A text of it holds a lone surrogate (from a template or a --var),
            which UTF-8 cannot encode and so cannot be sent; the user (or address) is named.
    """
    text = encode_request(request) if text is None else text
    try:
        return text.encode()
    except UnicodeEncodeError as exc:
        what, fix = describe(exc.object[exc.start])
        if "SendUsersMessageRequest" in request:
            users = request["SendUsersMessageRequest"]["Users"]
            user_id = next((uid for uid, config in users.items() if find_unsendable(config)), None)
            what = f"{what} in the rendered request"
            raise RequestError(what, user_id=user_id, fix=fix) from None
        addresses = request["MessageRequest"]["Addresses"]
        address = next((a for a, config in addresses.items() if find_unsendable(config)), None)
        field = None if address is None else f"Addresses.{address}"
        raise RequestError(f"{what} in the rendered request", field=field, fix=fix) from None


@dataclass(frozen=True, slots=True)
class EncodedRequest:
    """A request as its canonical JSON (``encode_request``'s), in bytes, with its user count.

    A parallel render builds requests as bytes from its workers' pieces and never as
    dicts; whoever writes or journals requests takes either form (``encoded``). ``data``
    is the text's UTF-8, except that a lone surrogate (which UTF-8 cannot hold, and which
    ``encoded_bytes`` reports) is written as ``surrogatepass`` writes it. A SendMessages
    request also carries its ``owners``: the user of each address, in order.
    """

    data: bytes
    users: int
    owners: dict[str, str] | None = None

    @property
    def text(self) -> str:
        """The request's JSON text."""
        return self.data.decode(errors="surrogatepass")


def encoded(request: ApiRequest | EncodedRequest) -> EncodedRequest:
    """A request as its encoded form, encoding it if it is a dict."""
    if isinstance(request, EncodedRequest):
        return request
    data = encode_request(request).encode(errors="surrogatepass")
    return EncodedRequest(data, len(request["SendUsersMessageRequest"]["Users"]))


def encoded_bytes(request: EncodedRequest) -> bytes:
    """The UTF-8 bytes of an encoded request, checked as ``request_bytes`` checks them."""
    data = request.data
    # A surrogate written by ``surrogatepass`` starts with 0xED, as do U+D000-U+D7FF:
    # only then is the whole text decoded to tell them apart.
    if b"\xed" in data:
        try:
            data.decode()
        except UnicodeDecodeError:
            text = request.text
            return request_bytes(json.loads(text), text)
    return data
