"""Stitching: requests built from workers' rendered chunks, as one process would batch them.

``RequestBatcher`` is the rule: per envelope, users join the open request in audience
order; a request is emitted when it holds 100 users, or closed early when the next user
would take it over the payload limit; the partial requests come last. Its output order
is therefore the order in which requests fill up across envelopes, and the partial ones
follow in the order of the batcher's dict of open requests (an envelope's entry is made
when a user opens a request after the last full one, and kept when a request is closed
for size). ``RequestStitcher`` reproduces that order exactly from each user's place,
chunk by chunk, so a parallel render is byte-for-byte the render of one process.

Users are taken a run at a time: as long as the size bound of a run of users keeps a
request under the limit (always, short of megabytes of per-user text), the run joins as
one slice of a worker's text, without a step per user. Near the limit users go one by
one through the batcher's own exact-size rule.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pipeline.api import (
    EncodedRequest,
    escape_line_separators_utf8,
    has_line_separators,
    to_json,
)
from pipeline.errors import RequestError
from pipeline.pinpoint.limits import MAX_RECIPIENTS_PER_REQUEST, MAX_REQUEST_BYTES
from pipeline.render.batch import USERS_KEY_BYTES
from pipeline.render.fragments import EnvelopeUsers, RenderedChunk

# A user's place in the audience: (chunk, place in the chunk).
Place = tuple[int, int]


@dataclass(slots=True)
class _Open:
    key: str
    size: int
    opened: Place  # when the batcher's dict entry for this envelope was made
    pieces: list[bytes] = field(default_factory=list)
    users: int = 0
    max_bytes: int = 0
    separators: bool = False  # whether a piece holds U+2028 or U+2029

    def exact_size(self, fragment: bytes) -> int:
        """``RequestBatcher._exact_size``: the request's bytes with ``fragment`` added."""
        users = b",".join([*self.pieces, fragment])
        return self.size + USERS_KEY_BYTES + len(users) + 2


@dataclass(slots=True)
class RequestStitcher:
    """Builds the requests of a render from its chunks, handed over in audience order."""

    app_id: str
    max_users: int = MAX_RECIPIENTS_PER_REQUEST
    max_request_bytes: int = MAX_REQUEST_BYTES
    _open: dict[str, _Open] = field(default_factory=dict)
    _head: bytes = b""  # every request's text up to its envelope

    def __post_init__(self) -> None:
        head = '{"ApplicationId":' + to_json(self.app_id) + ',"SendUsersMessageRequest":'
        self._head = head.encode(errors="surrogatepass")

    def add(self, chunk: RenderedChunk, *, before: int | None = None) -> list[EncodedRequest]:
        """The requests completed by a chunk's users (those placed before ``before``).

        Raises:
            RequestError: A user whose request alone is over the payload limit.
        """
        done: list[tuple[int, int, EncodedRequest]] = []  # (place in the chunk, order, request)
        for users in chunk.envelopes:
            count = len(users.positions)
            if before is not None:
                count = next((i for i, p in enumerate(users.positions) if p >= before), count)
            if count:
                self._add(chunk, users, count, done)
        done.sort(key=lambda item: (item[0], item[1]))
        return [request for _, _, request in done]

    def flush(self) -> list[EncodedRequest]:
        """The partial requests, in the batcher's order."""
        batches = sorted(self._open.values(), key=lambda batch: batch.opened)
        self._open.clear()
        return [self._close(batch) for batch in batches if batch.users]

    def _add(
        self,
        chunk: RenderedChunk,
        users: EnvelopeUsers,
        count: int,
        done: list[tuple[int, int, EncodedRequest]],
    ) -> None:
        positions, max_bytes, limit = users.positions, users.max_bytes, self.max_request_bytes
        batch = self._open.get(users.key)
        first = 0
        while first < count:
            if batch is None:
                batch = self._open[users.key] = _Open(
                    users.key,
                    users.size,
                    (chunk.number, positions[first]),
                    max_bytes=users.size + USERS_KEY_BYTES,
                )
            end = min(count, first + self.max_users - batch.users)
            run = sum(max_bytes[first:end])
            if batch.max_bytes + run <= limit:  # every user of the run passes the check
                batch.pieces.append(users.span(first, end - 1))
                batch.separators |= users.separators
                batch.users += end - first
                batch.max_bytes += run
                first = end
                if batch.users >= self.max_users:
                    done.append((positions[end - 1], 0, self._close(batch)))
                    del self._open[users.key]
                    batch = None
                continue
            batch = self._add_one(chunk, users, first, batch, done)
            first += 1

    def _add_one(
        self,
        chunk: RenderedChunk,
        users: EnvelopeUsers,
        index: int,
        batch: _Open,
        done: list[tuple[int, int, EncodedRequest]],
    ) -> _Open | None:
        """One user near the limit, exactly as ``RequestBatcher.add`` takes it."""
        place, fragment = users.positions[index], users.fragment(index)
        order = 0
        if batch.max_bytes + users.max_bytes[index] > self.max_request_bytes:
            batch.max_bytes = batch.exact_size(fragment)
            if batch.max_bytes > self.max_request_bytes and batch.users:
                done.append((place, order, self._close(batch)))
                order += 1
                # The dict keeps the envelope's entry (and its place) for the new request.
                batch = self._open[users.key] = _Open(users.key, users.size, batch.opened)
                batch.max_bytes = batch.exact_size(fragment)
            if batch.max_bytes > self.max_request_bytes:
                raise RequestError(
                    f"the user's request alone is {batch.max_bytes:,} bytes, over the "
                    f"{self.max_request_bytes:,}-byte payload limit",
                    user_id=chunk.ids[place],
                    fix="shorten the per-user fields (RawContent, overrides)",
                )
        else:
            batch.max_bytes += users.max_bytes[index]
        batch.pieces.append(fragment)
        batch.separators |= users.separators
        batch.users += 1
        if batch.users >= self.max_users:
            done.append((place, order, self._close(batch)))
            del self._open[users.key]
            return None
        return batch

    def _close(self, batch: _Open) -> EncodedRequest:
        # The app id and the envelope are scanned here, once per request; the users'
        # pieces were scanned in their worker.
        opening = self._head + batch.key[:-1].encode(errors="surrogatepass") + b',"Users":{'
        data = b"".join((opening, b",".join(batch.pieces), b"}}}"))
        if batch.separators or has_line_separators(opening):
            data = escape_line_separators_utf8(data)
        return EncodedRequest(data, batch.users)
