"""What the sandbox's Pinpoint does with a valid request: endpoints, statuses and texts.

For each user (SendUsersMessages) or address / endpoint (SendMessages), in request order:

- An endpoint whose channel no block of ``MessageConfiguration`` reaches is not sent to
  (the block rules are ``pipeline.pinpoint.channels.block_for``'s). A user without endpoints gets
  ``{"": PERMANENT_FAILURE 400 "No endpoints found for userId."}``; a user whose endpoints
  are all unreachable gets an empty map.
- Then, for each endpoint: ``OPT_OUT`` (400) if it is opted out (endpoints file or
  ``opt_out_share``); ``DUPLICATE`` (400) if the request already delivered to its address
  (listed endpoints only: synthetic addresses are hashes and may collide by chance);
  ``THROTTLED`` (429) or ``TEMPORARY_FAILURE`` (500) as the endpoint faults draw; else
  ``SUCCESSFUL`` (200, "MessageId: ...") and a row for the store.

The recorded title and body are ``pipeline.pinpoint.compose``'s, the same composition the
preview shows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

from pipeline.pinpoint.channels import ENDPOINT_CHANNELS, block_for
from pipeline.pinpoint.compose import compose
from pipeline.pinpoint.limits import NO_ENDPOINTS_ANSWER, SUCCESSFUL
from pipeline.sandbox.endpoints import Endpoint, EndpointDirectory, synthetic_channels
from pipeline.sandbox.faults import EndpointDraws, EndpointFault, FaultPlan
from pipeline.sandbox.protocol import (
    answer_entry,
    delivered_entry,
    encode,
    message_ids,
    users_answer_body,
)
from pipeline.sandbox.store import Row

Json = dict[str, Any]


@dataclass(frozen=True, slots=True)
class _Failure:
    """How an endpoint that is not delivered to is answered."""

    status: str
    code: int
    message: str

    def answer(self, address: str) -> Json:
        """The endpoint's answer (an ``EndpointMessageResult``)."""
        return {
            "Address": address,
            "DeliveryStatus": self.status,
            "StatusCode": self.code,
            "StatusMessage": self.message,
        }


_OPT_OUT: Final = _Failure("OPT_OUT", 400, "The endpoint has opted out.")
_DUPLICATE: Final = _Failure(
    "DUPLICATE", 400, "The request already delivered a message to this address."
)
_FAULTS: Final = {
    EndpointFault.THROTTLED: _Failure(
        EndpointFault.THROTTLED.value, 429, "Throttled: the endpoint's rate limit was exceeded."
    ),
    EndpointFault.TEMPORARY_FAILURE: _Failure(
        EndpointFault.TEMPORARY_FAILURE.value, 500, "Temporary failure; retry later."
    ),
}
_NO_ENDPOINTS_ENTRY: Final = answer_entry("", NO_ENDPOINTS_ANSWER)


@dataclass(slots=True)
class Outcome:
    """The answer to one request (the JSON of the output's payload member) and its deliveries."""

    body: bytes
    rows: list[Row] = field(default_factory=list)


def send_users_messages(
    payload: Json,
    *,
    request_id: str,
    application_id: str,
    directory: EndpointDirectory,
    plan: FaultPlan,
    draws: EndpointDraws | None,
) -> Outcome:
    """Answer a SendUsersMessages payload (``SendUsersMessageRequest``)."""
    request = _Request(payload, request_id, application_id, plan, draws)
    channels = synthetic_channels(request.configuration)
    # Each user's entries of its endpoint map, as JSON text. User ids are unique (keys of the
    # payload), and so are a user's endpoint ids (one synthetic endpoint per channel, ids
    # unique across an endpoints file).
    result: list[tuple[str, list[str]]] = []
    for user_id, config in payload["Users"].items():
        endpoints = directory.endpoints_of(user_id, channels)
        if not endpoints:
            result.append((user_id, [_NO_ENDPOINTS_ENTRY]))
            continue
        entries: list[str] = []
        for endpoint in endpoints:
            sent = request.attempt(user_id, endpoint, config)
            if sent is None:
                continue
            if isinstance(sent, _Failure):
                entries.append(answer_entry(endpoint.id, sent.answer(endpoint.address)))
            else:
                entries.append(delivered_entry(endpoint.id, endpoint.address, sent))
        result.append((user_id, entries))
    return Outcome(users_answer_body(application_id, request_id, result), request.rows)


def send_messages(
    payload: Json,
    *,
    request_id: str,
    application_id: str,
    directory: EndpointDirectory,
    plan: FaultPlan,
    draws: EndpointDraws | None,
) -> Outcome:
    """Answer a SendMessages payload (``MessageRequest``).

    ``Addresses`` are sent to directly on their ``ChannelType`` and answered in ``Result``
    (recorded with user id '' and the address as endpoint id). ``Endpoints`` (ids from an
    endpoints file or synthetic ones) are answered in ``EndpointResult`` and recorded under
    their user; an unknown id is PERMANENT_FAILURE 404 "Endpoint not found.".
    """
    request = _Request(payload, request_id, application_id, plan, draws)
    result: Json = {}
    for address, config in (payload.get("Addresses") or {}).items():
        channel = config.get("ChannelType")
        if channel not in ENDPOINT_CHANNELS:
            result[address] = _failure(400, f"ChannelType {channel} cannot be sent to.")
            continue
        endpoint = Endpoint(id=address, channel=channel, address=address)
        answer = request.send("", endpoint, config)
        if answer is None:
            answer = _failure(400, f"No message for channel {channel}.")
        answer.pop("Address", None)  # a MessageResult has no Address
        result[address] = answer
    endpoint_result: Json = {}
    for endpoint_id, config in (payload.get("Endpoints") or {}).items():
        found = directory.find(endpoint_id)
        if found is None:
            endpoint_result[endpoint_id] = _failure(404, "Endpoint not found.")
            continue
        user_id, endpoint = found
        answer = request.send(user_id, endpoint, config)
        if answer is None:
            answer = _failure(400, f"No message for channel {endpoint.channel}.")
            answer["Address"] = endpoint.address
        endpoint_result[endpoint_id] = answer
    body = {
        "ApplicationId": application_id,
        "RequestId": request_id,
        "EndpointResult": endpoint_result,
        "Result": result,
    }
    return Outcome(encode(body), request.rows)


def _failure(code: int, message: str) -> Json:
    return {"DeliveryStatus": "PERMANENT_FAILURE", "StatusCode": code, "StatusMessage": message}


class _Request:
    """One request being answered: its blocks by channel, delivered addresses and rows."""

    def __init__(
        self,
        payload: Json,
        request_id: str,
        application_id: str,
        plan: FaultPlan,
        draws: EndpointDraws | None,
    ) -> None:
        self.configuration: Json = payload["MessageConfiguration"]
        self.request_id = request_id
        self.application_id = application_id
        self.plan = plan
        self.draws = draws
        self.rows: list[Row] = []
        self._delivered: set[tuple[str, str]] = set()
        self._message_ids = message_ids()
        self._may_opt_out = plan.faults.opt_out_share > 0
        # Endpoint channel -> (block channel, the block that supplies its message or None).
        self._blocks: dict[str, tuple[str, Json | None]] = {}
        for channel, block_channel in ENDPOINT_CHANNELS.items():
            name = block_for(self.configuration, block_channel)
            block = None if name is None else self.configuration[name]
            self._blocks[channel] = (block_channel, block)

    def send(self, user_id: str, endpoint: Endpoint, config: Json) -> Json | None:
        """The answer for one endpoint; None if no block reaches its channel."""
        sent = self.attempt(user_id, endpoint, config)
        if sent is None:
            return None
        if isinstance(sent, _Failure):
            return sent.answer(endpoint.address)
        return {
            "Address": endpoint.address,
            "DeliveryStatus": SUCCESSFUL,
            "MessageId": sent,
            "StatusCode": 200,
            "StatusMessage": f"MessageId: {sent}",
        }

    def attempt(self, user_id: str, endpoint: Endpoint, config: Json) -> str | _Failure | None:
        """Deliver to one endpoint: its MessageId, or why not; None if no block reaches it."""
        channel, block = self._blocks[endpoint.channel]
        if block is None:
            return None
        if endpoint.opt_out or (self._may_opt_out and self.plan.opted_out(user_id, endpoint.id)):
            return _OPT_OUT
        if not endpoint.synthetic and (endpoint.channel, endpoint.address) in self._delivered:
            return _DUPLICATE
        if self.draws is not None:
            fault = self.draws.next()
            if fault is not None:
                return _FAULTS[fault]
        if not endpoint.synthetic:
            self._delivered.add((endpoint.channel, endpoint.address))
        message_id = next(self._message_ids)
        text = compose(channel, block, config)
        self.rows.append(
            (
                self.request_id,
                self.application_id,
                user_id,
                endpoint.id,
                endpoint.channel,
                endpoint.address,
                message_id,
                text.title,
                text.body,
                config,
            )
        )
        return message_id
