"""A chunk of an audience rendered in a worker for SendMessages: each user, ready to pack.

The SendMessages counterpart of ``pipeline.render.fragments``. A worker renders its users
exactly as ``render_requests`` does (``MessageRenderer``) and validates them; the parent
packs them into requests with the one-process ``AddressBatcher``, in audience order, so
a parallel render is byte-for-byte the render of one process by construction. Packing
and encoding stay in the parent; rendering and botocore's validation, the most expensive
steps, are what the workers share.

Validation mirrors ``fragments``: each user's addresses are validated in requests of up
to 100 addresses of the same envelope, so every address entry is checked as in a request
of the output (a request is valid when each of its entries is).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pipeline.addresses import Address
from pipeline.api import (
    AddressConfiguration,
    EndpointSendConfiguration,
    Envelope,
    MessageRequest,
    MessagesApiRequest,
    validate_request,
)
from pipeline.audience import Audience
from pipeline.chunks import Chunk, ChunkRead, read_chunk
from pipeline.errors import PipelineError
from pipeline.pinpoint.limits import MAX_RECIPIENTS_PER_REQUEST
from pipeline.render.renderer import MessageRenderer
from pipeline.shard import Shard

# One rendered user, as ``AddressBatcher.add`` takes it: the index of its envelope among the
# chunk's, its id, line and addresses, its per-user configuration and its size bound. A
# plain tuple: pickling a dataclass per user costs the parent more than packing the user.
RenderedAddressee = tuple[int, str, int, tuple[Address, ...], EndpointSendConfiguration, int]


@dataclass(slots=True)
class RenderedAddressChunk:
    """What a worker hands back for one chunk of a SendMessages render.

    Attributes:
        number: The chunk's place in the audience.
        read: What reading it noted, for the parent's checks across chunks.
        envelopes: The chunk's envelopes, in order of first appearance.
        users: Its users rendered, in audience order.
        error: The error that stopped the chunk, if any (after every user rendered).
    """

    number: int
    read: ChunkRead = field(default_factory=ChunkRead)
    envelopes: list[Envelope] = field(default_factory=list)
    users: list[RenderedAddressee] = field(default_factory=list)
    error: PipelineError | None = None


@dataclass(slots=True)
class _Unchecked:
    envelope: Envelope
    addresses: dict[str, AddressConfiguration] = field(default_factory=dict)


@dataclass(slots=True)
class AddressChunkRenderer:
    """Renders chunks of one audience for SendMessages, in a worker (or in the parent)."""

    renderer: MessageRenderer
    audience: Audience
    app_id: str
    shard: Shard | None = None

    def __call__(self, chunk: Chunk) -> RenderedAddressChunk:
        """Render every user of ``chunk`` (of the shard), stopping at the first error."""
        users, read = read_chunk(self.audience, chunk, self.shard)
        result = RenderedAddressChunk(chunk.number, read)
        places: dict[str, int] = {}
        unchecked: dict[str, _Unchecked] = {}
        render_user = self.renderer.render_user
        try:
            for user in users:
                rendered = render_user(user)
                envelope = rendered.envelope
                place = places.get(envelope.key)
                if place is None:
                    place = places[envelope.key] = len(result.envelopes)
                    result.envelopes.append(envelope)
                result.users.append(
                    (
                        place,
                        user.id,
                        user.line,
                        user.addresses,
                        rendered.configuration,
                        rendered.max_bytes,
                    )
                )
                if user.addresses:
                    group = unchecked.get(envelope.key)
                    if group is None:
                        group = unchecked[envelope.key] = _Unchecked(envelope)
                    for channel, address in user.addresses:
                        group.addresses[address] = {
                            "ChannelType": channel,
                            **rendered.configuration,
                        }
                    if len(group.addresses) >= MAX_RECIPIENTS_PER_REQUEST:
                        self._validate(group)
            for group in unchecked.values():
                self._validate(group)
        except PipelineError as error:
            result.error = error
        return result

    def _validate(self, group: _Unchecked) -> None:
        if not group.addresses:
            return
        body: MessageRequest = {**group.envelope.body, "Addresses": group.addresses}  # type: ignore[typeddict-item]
        request: MessagesApiRequest = {"ApplicationId": self.app_id, "MessageRequest": body}
        validate_request(request)
        group.addresses = {}
