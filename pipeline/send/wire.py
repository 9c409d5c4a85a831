"""The journaled bytes on the wire: requests sent as they were stored, answers read as JSON.

botocore spends most of a call's CPU walking the service model: serializing the request
from parameters (which the sender would first parse from the journal's text) and parsing
the answer member by member. Neither is needed here. The journal holds each request's
canonical JSON, validated with botocore's own validator when it was rendered, so that text
is the request body; and the answers of ``SendUsersMessages`` and ``SendMessages`` are JSON
whose keys are the model's member names, with no timestamps or blobs to convert, so a JSON
parse gives what botocore's parser would. Together that is more than half of a call's CPU
(``benchmarks/bench_send.py``), which on a machine shared with the service is throughput.

Both go through botocore's documented event hooks on the client's own calls, so signing,
retries, the connection pool and error answers are botocore's as before:

- ``before-call``: the serialized body (of a call made with an empty payload) is replaced
  by the stored one, before the request is signed and sent;
- ``before-parse``: a successful answer is parsed as JSON and botocore's parser is handed
  an empty object; errors (3xx-5xx) and anything that is not JSON are left to botocore.

Only clients made by ``pipeline.send.client.create_client`` carry the hooks; any other
client (a test's scripted one) is called with the parsed parameters.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from pipeline import fastjson
from pipeline.api import to_json

# Clients that carry the hooks: only they may be called with an empty payload.
_HOOKED: weakref.WeakSet[Any] = weakref.WeakSet()


class _Outgoing(threading.local):
    """The stored body of the call this thread is making (one call at a time)."""

    def __init__(self) -> None:
        self.body: bytes | None = None


_OUTGOING = _Outgoing()


def install(client: Any) -> None:
    """Put the hooks on a boto3 ``pinpoint`` client."""
    client.meta.events.register("before-call.pinpoint", _stored_body)
    client.meta.events.register("before-parse.pinpoint", _json_answer)
    _HOOKED.add(client)


def payload(text: str, sent: dict[str, Any], member: str) -> bytes | None:
    """The JSON of ``member`` in a stored request's text, as bytes; None if it is not there.

    ``sent`` is that text parsed. A stored request is ``{"ApplicationId":...,"<member>":
    {...}}`` as ``to_json`` writes it (rendered requests and retries alike), so its member's
    text is exactly the body botocore would send for those parameters.
    """
    if set(sent) != {"ApplicationId", member}:
        return None
    head = '{"ApplicationId":' + to_json(sent["ApplicationId"]) + ',"' + member + '":'
    if not (text.startswith(head) and text.endswith("}")):
        return None
    return text[len(head) : -1].encode()


@contextmanager
def stored_body(client: Any, body: bytes | None) -> Iterator[bool]:
    """While inside, calls of this thread send ``body``; yields whether they will.

    Yields False (and changes nothing) for a client without the hooks or without a body.
    """
    if body is None or client not in _HOOKED:
        yield False
        return
    _OUTGOING.body = body
    try:
        yield True
    finally:
        _OUTGOING.body = None


def _stored_body(params: dict[str, Any], **_: Any) -> None:
    body = _OUTGOING.body
    if body is not None:
        params["body"] = body


def _json_answer(
    operation_model: Any,
    response_dict: dict[str, Any],
    customized_response_dict: dict[str, Any],
    **_: Any,
) -> None:
    if response_dict.get("status_code", 500) >= 300:
        return  # errors: botocore's parser reads their codes and messages
    shape = operation_model.output_shape
    member = None if shape is None else shape.serialization.get("payload")
    body = response_dict.get("body")
    if member is None or not isinstance(body, bytes):
        return
    try:
        parsed = fastjson.loads(body)
    except ValueError:
        return  # botocore's parser reports it, as an unreadable answer
    if not isinstance(parsed, dict):
        return
    customized_response_dict[member] = parsed
    response_dict["body"] = b"{}"
