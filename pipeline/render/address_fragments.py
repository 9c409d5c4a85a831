"""A chunk of an audience rendered in a worker for SendMessages: each user, ready to pack.

The SendMessages counterpart of ``pipeline.render.fragments``. A worker renders its users
exactly as ``render_requests`` does (``MessageRenderer``), validates them, and encodes each
user's address entries (``"<address>":{"ChannelType":...,<configuration>}``, as ``to_json``
writes them inside ``Addresses``); the parent packs the requests out of that text
(``pipeline.render.address_stitch``) with ``AddressBatcher``'s rule, in audience order.

Validation mirrors ``fragments``: each user's address entries are validated in requests of
about 100 addresses of the same envelope, so every entry is checked as in a request of the
output (a request is valid when each of its entries is).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pipeline.api import (
    AddressConfiguration,
    Envelope,
    to_json,
    validate_request,
)
from pipeline.audience import Audience
from pipeline.chunks import Chunk, ChunkRead, read_chunk
from pipeline.errors import PipelineError
from pipeline.pinpoint.limits import MAX_RECIPIENTS_PER_REQUEST
from pipeline.render.address_batch import address_entries, addressed_request, entries_bound
from pipeline.render.address_stitch import EncodedAddressee
from pipeline.render.renderer import MessageRenderer
from pipeline.shard import Shard


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
    users: list[EncodedAddressee] = field(default_factory=list)
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
                if not user.addresses:
                    result.users.append((place, user.id, (), "", 0, 0))
                    continue
                entries = address_entries(user, rendered.configuration)
                piece = to_json(entries)[1:-1]  # the entries, as inside Addresses
                # A lone surrogate cannot be encoded: counted here, reported (naming the
                # address) when the request is written, as in one process.
                piece_bytes = len(piece.encode("utf-8", "surrogatepass"))
                bound = entries_bound(entries, rendered.max_bytes)
                result.users.append((place, user.id, tuple(entries), piece, piece_bytes, bound))
                group = unchecked.get(envelope.key)
                if group is None:
                    group = unchecked[envelope.key] = _Unchecked(envelope)
                group.addresses.update(entries)
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
        request = addressed_request(self.app_id, group.envelope, group.addresses, {})
        validate_request(request.request)
        group.addresses = {}
