"""Batching for SendMessages: rendered users packed into requests to their own addresses.

The users are rendered exactly as for SendUsersMessages (``renderer``); only the packing
differs. Each address of a user gets the user's rendered per-user configuration, unchanged,
plus its ``ChannelType``. Users sharing an envelope share requests: at most 100 addresses
each, under the payload limit, a user's addresses always in one request (so a user is sent
to, or not, in one call), users in audience order. A request is emitted as soon as it is
full, so requests of different envelopes may interleave, as with ``batch``.

SendMessages' ``Addresses`` carry no user id, so each request comes with its owners (which
user each address belongs to), for the journal and the results. A user without any address
is in no request: such users come out as ``Unaddressed`` (up to 100 at a time) for the
journal to report them, as Pinpoint reports a user without endpoints.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from pipeline.api import (
    AddressConfiguration,
    ApiRequest,
    EndpointSendConfiguration,
    Envelope,
    MessageRequest,
    MessagesApiRequest,
    to_json,
)
from pipeline.audience import User
from pipeline.errors import RequestError
from pipeline.pinpoint.limits import MAX_RECIPIENTS_PER_REQUEST, MAX_REQUEST_BYTES

ADDRESSES_KEY_BYTES = len(',"Addresses":{}') + 2
# What an address entry adds to its configuration's JSON, its address aside:
# "<address>":{"ChannelType":"APNS_VOIP_SANDBOX",<configuration>}, and the comma.
_ENTRY_BYTES = len('"":{"ChannelType":"APNS_VOIP_SANDBOX",},') + 2


@dataclass(frozen=True, slots=True)
class AddressedRequest:
    """A SendMessages request and the user each of its addresses belongs to."""

    request: MessagesApiRequest
    owners: dict[str, str]  # address -> user id, in the request's order


@dataclass(frozen=True, slots=True)
class Unaddressed:
    """Users of the audience without any address: in no request, reported as failures."""

    user_ids: tuple[str, ...]


# What rendering yields: SendUsersMessages requests, or SendMessages requests with their
# owners and the users left out of them.
Rendered = ApiRequest | AddressedRequest | Unaddressed


@dataclass(slots=True)
class _OpenBatch:
    envelope: Envelope
    addresses: dict[str, AddressConfiguration] = field(default_factory=dict)
    owners: dict[str, str] = field(default_factory=dict)
    max_bytes: int = 0  # an upper bound of the request's size, made exact near the limit


@dataclass(slots=True)
class AddressBatcher:
    """Packs users' addresses into requests; ``add`` returns whatever one user completed."""

    app_id: str
    max_addresses: int = MAX_RECIPIENTS_PER_REQUEST
    max_request_bytes: int = MAX_REQUEST_BYTES
    _open: dict[str, _OpenBatch] = field(default_factory=dict)
    _unaddressed: list[str] = field(default_factory=list)

    def add(
        self,
        envelope: Envelope,
        user: User,
        configuration: EndpointSendConfiguration,
        max_bytes: int,
    ) -> tuple[AddressedRequest | Unaddressed, ...]:
        """Add one rendered user; returns the batches it completed, usually none.

        Raises:
            RequestError: The user's addresses alone make a request over the payload limit.
        """
        if not user.addresses:
            self._unaddressed.append(user.id)
            if len(self._unaddressed) < self.max_addresses:
                return ()
            return (self._take_unaddressed(),)
        entries = address_entries(user, configuration)
        bound = entries_bound(entries, max_bytes)
        completed: tuple[AddressedRequest | Unaddressed, ...] = ()
        batch = self._open.get(envelope.key)
        if batch is not None and len(batch.addresses) + len(entries) > self.max_addresses:
            completed = (self._close(batch),)
            batch = None
        if batch is None:
            batch = self._open[envelope.key] = _OpenBatch(
                envelope, max_bytes=envelope.size + ADDRESSES_KEY_BYTES
            )
        if batch.max_bytes + bound > self.max_request_bytes:
            batch.max_bytes = _exact_size(batch, entries)
            if batch.max_bytes > self.max_request_bytes and batch.addresses:
                completed = (*completed, self._close(batch))
                batch = self._open[envelope.key] = _OpenBatch(envelope)
                batch.max_bytes = _exact_size(batch, entries)
            # Wherever the user stands in the audience: a request of this user alone would
            # be refused by Pinpoint (413), and no run could ever finish.
            if batch.max_bytes > self.max_request_bytes:
                raise alone_over_limit(
                    user.id, len(entries), batch.max_bytes, self.max_request_bytes
                )
        else:
            batch.max_bytes += bound
        batch.addresses.update(entries)
        user_id = user.id
        for address in entries:
            batch.owners[address] = user_id
        if len(batch.addresses) >= self.max_addresses:
            completed = (*completed, self._close(batch))
        return completed

    def flush(self) -> Iterator[AddressedRequest | Unaddressed]:
        """The partial batches, in the order their envelopes first appeared, then the rest."""
        for batch in list(self._open.values()):
            yield self._close(batch)
        if self._unaddressed:
            yield self._take_unaddressed()

    def _close(self, batch: _OpenBatch) -> AddressedRequest:
        del self._open[batch.envelope.key]
        return addressed_request(self.app_id, batch.envelope, batch.addresses, batch.owners)

    def _take_unaddressed(self) -> Unaddressed:
        taken = Unaddressed(tuple(self._unaddressed))
        self._unaddressed.clear()
        return taken


def alone_over_limit(user_id: str, addresses: int, size: int, limit: int) -> RequestError:
    """A user whose addresses alone make a request over the payload limit."""
    return RequestError(
        f"the user's request alone ({addresses} addresses) is {size:,} bytes, over the "
        f"{limit:,}-byte payload limit",
        user_id=user_id,
        fix="shorten the per-user fields (RawContent, overrides), or give the user fewer "
        "addresses",
    )


def address_entries(
    user: User, configuration: EndpointSendConfiguration
) -> dict[str, AddressConfiguration]:
    """A user's entries of ``Addresses``: its configuration, unchanged, per address."""
    return {
        address: {"ChannelType": channel, **configuration}
        for channel, address in user.addresses
    }


def entries_bound(entries: dict[str, AddressConfiguration], max_bytes: int) -> int:
    """An upper bound of the entries' JSON size, from their configuration's (``max_bytes``)."""
    return sum(max_bytes + _ENTRY_BYTES + 6 * len(address) for address in entries)


def addressed_request(
    app_id: str,
    envelope: Envelope,
    addresses: dict[str, AddressConfiguration],
    owners: dict[str, str],
) -> AddressedRequest:
    """One SendMessages request: the envelope first, then ``Addresses`` (as ``Users`` goes)."""
    body: MessageRequest = {**envelope.body, "Addresses": addresses}  # type: ignore[typeddict-item]
    return AddressedRequest({"ApplicationId": app_id, "MessageRequest": body}, owners)


def _exact_size(batch: _OpenBatch, entries: dict[str, AddressConfiguration]) -> int:
    encoded = to_json({**batch.addresses, **entries})
    return batch.envelope.size + ADDRESSES_KEY_BYTES + len(encoded.encode())
