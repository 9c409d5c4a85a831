"""Batching: rendered users packed into SendUsersMessages requests.

Users sharing an envelope (the same rendered MessageConfiguration, Context and TraceId)
share requests: at most 100 users each, under the payload limit, in audience order.
A batch is emitted as soon as it is full, so memory holds at most one open batch per
envelope; requests of different envelopes may therefore interleave in the output.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from pipeline.api import (
    ApiRequest,
    EndpointSendConfiguration,
    Envelope,
    SendUsersMessageRequest,
    to_json,
)
from pipeline.errors import RequestError
from pipeline.pinpoint.limits import MAX_RECIPIENTS_PER_REQUEST, MAX_REQUEST_BYTES

# What joining users to an envelope adds to a request's size, as an allowance:
# ',"Users":{}' and the closing braces.
USERS_KEY_BYTES = len(',"Users":{}') + 2


@dataclass(slots=True)
class _OpenBatch:
    envelope: Envelope
    users: dict[str, EndpointSendConfiguration] = field(default_factory=dict)
    max_bytes: int = 0  # an upper bound of the request's size, made exact when it nears the limit


@dataclass(slots=True)
class RequestBatcher:
    """Packs users into requests; ``add`` returns a request whenever one is complete."""

    app_id: str
    max_users: int = MAX_RECIPIENTS_PER_REQUEST
    max_request_bytes: int = MAX_REQUEST_BYTES
    _open: dict[str, _OpenBatch] = field(default_factory=dict)

    def add(
        self,
        envelope: Envelope,
        user_id: str,
        configuration: EndpointSendConfiguration,
        max_bytes: int,
    ) -> tuple[ApiRequest, ...]:
        """Add one user; returns the requests it completed (full batches), usually none."""
        batch = self._open.get(envelope.key)
        if batch is None:
            batch = self._open[envelope.key] = _OpenBatch(
                envelope, max_bytes=envelope.size + USERS_KEY_BYTES
            )
        completed: tuple[ApiRequest, ...] = ()
        if batch.max_bytes + max_bytes > self.max_request_bytes:
            batch.max_bytes = self._exact_size(batch, user_id, configuration)
            if batch.max_bytes > self.max_request_bytes and batch.users:
                completed = (self._close(batch),)
                batch = self._open[envelope.key] = _OpenBatch(envelope)
                batch.max_bytes = self._exact_size(batch, user_id, configuration)
            # Wherever the user stands in the audience: a request of this user alone would
            # be refused by Pinpoint (413), and no run could ever finish.
            if batch.max_bytes > self.max_request_bytes:
                raise RequestError(
                    f"the user's request alone is {batch.max_bytes:,} bytes, over the "
                    f"{self.max_request_bytes:,}-byte payload limit",
                    user_id=user_id,
                    fix="shorten the per-user fields (RawContent, overrides)",
                )
        else:
            batch.max_bytes += max_bytes
        batch.users[user_id] = configuration
        if len(batch.users) >= self.max_users:
            completed = (*completed, self._close(batch))
            del self._open[envelope.key]
        return completed

    def flush(self) -> Iterator[ApiRequest]:
        """The remaining partial batches, in the order their envelopes first appeared."""
        for batch in self._open.values():
            if batch.users:
                yield self._close(batch)
        self._open.clear()

    def _close(self, batch: _OpenBatch) -> ApiRequest:
        body: SendUsersMessageRequest = {**batch.envelope.body, "Users": batch.users}  # type: ignore[typeddict-item]
        return {"ApplicationId": self.app_id, "SendUsersMessageRequest": body}

    @staticmethod
    def _exact_size(
        batch: _OpenBatch, user_id: str, configuration: EndpointSendConfiguration
    ) -> int:
        users = {**batch.users, user_id: configuration}
        # Counted as the stitcher counts it: a lone surrogate (reported when the request
        # is written) as the 3 bytes ``surrogatepass`` gives it.
        encoded = to_json(users).encode(errors="surrogatepass")
        return batch.envelope.size + USERS_KEY_BYTES + len(encoded)
