"""Packing SendMessages requests out of workers' text, exactly as ``AddressBatcher`` packs.

``AddressBatcher`` is the rule (``pipeline.render.address_batch``): per envelope, users
join the open request in audience order, a user's addresses all in one request; a request
is closed when the next user's addresses would take it over 100, or over the payload limit
(an upper bound, made exact near the limit), and emitted as soon as it holds 100; users
without addresses come out 100 at a time; the partial requests follow in the order of the
batcher's dict of open requests, then the last users without addresses.

``AddressPacker`` applies the same steps, with the same numbers, to each user's address
entries already encoded by a worker (``"<address>":{"ChannelType":...}``, joined by
commas: the text ``to_json`` writes for them inside ``Addresses``), so the parent only
joins text: the requests are ``encode_request``'s text of ``AddressBatcher``'s requests,
byte for byte.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from pipeline.api import EncodedRequest, escape_line_separators, to_json
from pipeline.pinpoint.limits import MAX_RECIPIENTS_PER_REQUEST, MAX_REQUEST_BYTES
from pipeline.render.address_batch import ADDRESSES_KEY_BYTES, Unaddressed, alone_over_limit

# One rendered user of a SendMessages render, as a worker hands it over:
# (envelope index in its chunk, user id, the user's addresses in order, its address
# entries' JSON joined by commas, that text's UTF-8 size, its size bound).
EncodedAddressee = tuple[int, str, tuple[str, ...], str, int, int]


@dataclass(slots=True)
class _Open:
    key: str
    size: int
    pieces: list[str] = field(default_factory=list)
    owners: dict[str, str] = field(default_factory=dict)
    text_bytes: int = 0  # the UTF-8 size of the pieces, commas between them included
    max_bytes: int = 0

    def exact_size(self, piece_bytes: int) -> int:
        """``_exact_size`` of ``address_batch``: the request's bytes with one more user."""
        joined = self.text_bytes + (1 if self.pieces else 0) + piece_bytes
        return self.size + ADDRESSES_KEY_BYTES + joined + 2


@dataclass(slots=True)
class AddressPacker:
    """Packs encoded users into SendMessages requests; ``add`` returns what one completed."""

    app_id: str
    max_addresses: int = MAX_RECIPIENTS_PER_REQUEST
    max_request_bytes: int = MAX_REQUEST_BYTES
    _open: dict[str, _Open] = field(default_factory=dict)
    _unaddressed: list[str] = field(default_factory=list)
    _head: str = ""

    def __post_init__(self) -> None:
        self._head = '{"ApplicationId":' + to_json(self.app_id) + ',"MessageRequest":'

    def add(
        self, key: str, size: int, user: EncodedAddressee
    ) -> tuple[EncodedRequest | Unaddressed, ...]:
        """Add one user of the envelope ``key`` (of ``size`` bytes), as ``AddressBatcher.add``.

        Raises:
            RequestError: The user's addresses alone make a request over the payload limit.
        """
        _, user_id, addresses, piece, piece_bytes, bound = user
        if not addresses:
            self._unaddressed.append(user_id)
            if len(self._unaddressed) < self.max_addresses:
                return ()
            return (self._take_unaddressed(),)
        completed: tuple[EncodedRequest | Unaddressed, ...] = ()
        batch = self._open.get(key)
        if batch is not None and len(batch.owners) + len(addresses) > self.max_addresses:
            completed = (self._close(batch),)
            batch = None
        if batch is None:
            batch = self._open[key] = _Open(key, size, max_bytes=size + ADDRESSES_KEY_BYTES)
        if batch.max_bytes + bound > self.max_request_bytes:
            batch.max_bytes = batch.exact_size(piece_bytes)
            if batch.max_bytes > self.max_request_bytes and batch.owners:
                completed = (*completed, self._close(batch))
                batch = self._open[key] = _Open(key, size)
                batch.max_bytes = batch.exact_size(piece_bytes)
            if batch.max_bytes > self.max_request_bytes:
                raise alone_over_limit(
                    user_id, len(addresses), batch.max_bytes, self.max_request_bytes
                )
        else:
            batch.max_bytes += bound
        batch.text_bytes += piece_bytes + (1 if batch.pieces else 0)
        batch.pieces.append(piece)
        owners = batch.owners
        for address in addresses:
            owners[address] = user_id
        if len(owners) >= self.max_addresses:
            completed = (*completed, self._close(batch))
        return completed

    def flush(self) -> Iterator[EncodedRequest | Unaddressed]:
        """The partial requests, in the order their envelopes first appeared, then the rest."""
        for batch in list(self._open.values()):
            yield self._close(batch)
        if self._unaddressed:
            yield self._take_unaddressed()

    def _close(self, batch: _Open) -> EncodedRequest:
        del self._open[batch.key]
        # The envelope's JSON without its closing brace, then Addresses (as the batcher's
        # dict puts it last); an envelope always holds MessageConfiguration.
        text = self._head + batch.key[:-1] + ',"Addresses":{' + ",".join(batch.pieces) + "}}}"
        users = len(set(batch.owners.values()))
        data = escape_line_separators(text).encode(errors="surrogatepass")
        return EncodedRequest(data, users, batch.owners)

    def _take_unaddressed(self) -> Unaddressed:
        taken = Unaddressed(tuple(self._unaddressed))
        self._unaddressed.clear()
        return taken
