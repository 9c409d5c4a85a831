"""A chunk of an audience rendered in a worker: each user's JSON, grouped by envelope.

A worker renders its users exactly as ``render_requests`` does (``MessageRenderer``), but
cannot batch them: a request may take users from several chunks. So it hands back, per
envelope, the text each user contributes to a request's ``Users`` map (``"id":{...}``,
written as ``encode_request`` writes it, in UTF-8), the size bound the batcher uses, and each
user's place in the chunk; the parent stitches requests out of those texts
(``pipeline.render.stitch``) in the order a single process would emit them.

Validation, botocore's and the most expensive step, stays in the worker: users are
validated in requests of up to 100 users of the same envelope, so every user is checked
exactly as in a request of the output (a request is valid when each of its users is).
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass, field

from pipeline.api import (
    ApiRequest,
    EndpointSendConfiguration,
    Envelope,
    has_line_separators,
    validate_request,
)
from pipeline.audience import Audience
from pipeline.chunks import Chunk, ChunkRead, read_chunk
from pipeline.errors import PipelineError
from pipeline.fastjson import dumps_utf8
from pipeline.pinpoint.limits import MAX_RECIPIENTS_PER_REQUEST
from pipeline.render.renderer import MessageRenderer
from pipeline.shard import Shard


@dataclass(slots=True)
class EnvelopeUsers:
    """One envelope's users in a chunk, in audience order.

    Attributes:
        key: The envelope's canonical JSON (``Envelope.key``).
        size: Its size in bytes.
        text: Every user's ``"id":{...}`` JSON, joined by commas.
        ends: Where each user's JSON ends in ``text`` (bytes).
        max_bytes: Each user's size bound, as ``RequestBatcher`` adds it up.
        positions: Each user's place among the chunk's users.
        separators: Whether ``text`` holds U+2028 or U+2029, which a request escapes.
    """

    key: str
    size: int
    text: bytes = b""
    ends: array[int] = field(default_factory=lambda: array("L"))
    max_bytes: array[int] = field(default_factory=lambda: array("L"))
    positions: array[int] = field(default_factory=lambda: array("L"))
    separators: bool = False

    def fragment(self, index: int) -> bytes:
        """The JSON of the ``index``-th user."""
        return self.text[self.ends[index - 1] + 1 if index else 0 : self.ends[index]]

    def span(self, first: int, last: int) -> bytes:
        """The JSON of users ``first`` to ``last`` (included), joined by commas."""
        return self.text[self.ends[first - 1] + 1 if first else 0 : self.ends[last]]


@dataclass(slots=True)
class RenderedChunk:
    """What a worker hands back for one chunk.

    Attributes:
        number: The chunk's place in the audience.
        read: What reading it noted, for the parent's checks across chunks (ids,
            addresses); the user an error stopped at is among its ids when its id was read.
        envelopes: The users rendered, by envelope, in order of first appearance.
        error: The error that stopped the chunk, if any: it comes after every user
            rendered and, when the parent finds no duplicate before it, is the render's.
    """

    number: int
    read: ChunkRead = field(default_factory=ChunkRead)
    envelopes: list[EnvelopeUsers] = field(default_factory=list)
    error: PipelineError | None = None

    @property
    def ids(self) -> list[str]:
        """The ids of the chunk's users, in order."""
        return self.read.ids


@dataclass(slots=True)
class _Open:
    """An envelope's users being gathered in a worker, and those not yet validated."""

    users: EnvelopeUsers
    envelope: Envelope
    parts: list[bytes] = field(default_factory=list)
    length: int = -1  # of the joined text so far; -1 before the first comma
    unchecked: dict[str, EndpointSendConfiguration] = field(default_factory=dict)


@dataclass(slots=True)
class ChunkRenderer:
    """Renders chunks of one audience for one message, in a worker (or in the parent)."""

    renderer: MessageRenderer
    audience: Audience
    app_id: str
    shard: Shard | None = None

    def __call__(self, chunk: Chunk) -> RenderedChunk:
        """Render every user of ``chunk`` (of the shard), stopping at the first error."""
        users, read = read_chunk(self.audience, chunk, self.shard)
        result = RenderedChunk(chunk.number, read)
        groups: dict[str, _Open] = {}
        render_user = self.renderer.render_user
        try:
            for position, user in enumerate(users):
                rendered = render_user(user)
                envelope = rendered.envelope
                group = groups.get(envelope.key)
                if group is None:
                    group = groups[envelope.key] = _Open(
                        EnvelopeUsers(envelope.key, envelope.size), envelope
                    )
                # A configuration holds only rendered texts: ``fastjson.dumps_utf8`` writes
                # ``to_json``'s UTF-8 for it, about four times as fast. Bytes cross the pipe
                # and are stitched as they are: no decoding, pickling or encoding of text.
                text = dumps_utf8({user.id: rendered.configuration})[1:-1]  # "id":{...}
                group.parts.append(text)
                group.length += len(text) + 1
                group.users.ends.append(group.length)
                group.users.max_bytes.append(rendered.max_bytes)
                group.users.positions.append(position)
                group.unchecked[user.id] = rendered.configuration
                if len(group.unchecked) >= MAX_RECIPIENTS_PER_REQUEST:
                    self._validate(group)
            for group in groups.values():
                self._validate(group)
        except PipelineError as error:
            result.error = error
        for group in groups.values():
            text = group.users.text = b",".join(group.parts)
            # Looked for here, in the workers, so that the parent escapes only the requests
            # that need it.
            group.users.separators = has_line_separators(text)
            result.envelopes.append(group.users)
        return result

    def _validate(self, group: _Open) -> None:
        if not group.unchecked:
            return
        body = {**group.envelope.body, "Users": group.unchecked}
        request: ApiRequest = {"ApplicationId": self.app_id, "SendUsersMessageRequest": body}  # type: ignore[typeddict-item]
        validate_request(request)
        group.unchecked = {}
