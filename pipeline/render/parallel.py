"""The parallel render: an audience's chunks rendered on every core, stitched in order.

``render_lines`` is ``render_requests`` as JSON text, with the work spread over worker
processes: each renders and validates whole chunks of the audience
(``pipeline.render.fragments``), and this process checks ids across chunks and stitches
the requests (``pipeline.render.stitch``); for SendMessages, the workers hand back each
user's address entries as text (``pipeline.render.address_fragments``) and this process
packs them (``pipeline.render.address_stitch``). The output is byte-for-byte the output of one
process, in the same order, whatever the number of workers; memory stays flat, as a few
chunks per worker are in flight at a time.

The first error in audience order is the one raised, as in one process: a chunk stops at
its first error, and an id that repeats one of an earlier chunk stops the render there.
The one difference: a request that botocore's validator rejects is reported for the
users validated with it in their worker rather than in their final request (whose
validity is the same).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from itertools import chain, islice
from pathlib import Path
from typing import TypeVar

from pipeline.api import APIS, MESSAGES_API, USERS_API, EncodedRequest, encoded
from pipeline.audience import Audience, no_users_error
from pipeline.chunks import Chunk, IdsAcrossChunks, split_audience
from pipeline.errors import InputError
from pipeline.render.address_batch import AddressBatcher, Rendered, Unaddressed
from pipeline.render.address_fragments import AddressChunkRenderer, RenderedAddressChunk
from pipeline.render.address_stitch import AddressPacker
from pipeline.render.batch import RequestBatcher
from pipeline.render.fragments import ChunkRenderer, RenderedChunk
from pipeline.render.renderer import (
    MessageRenderer,
    address_requests,
    batch_requests,
    open_render,
)
from pipeline.render.stitch import RequestStitcher
from pipeline.shard import Shard
from pipeline.workers import ordered_map, usable_cores


def render_lines(
    message: str | Path,
    audience: str | Path,
    *,
    app_id: str,
    root: Path = Path(),
    variables: Mapping[str, str] | None = None,
    now: datetime | None = None,
    workers: int | None = None,
    shard: Shard | None = None,
    api: str = USERS_API,
) -> Iterator[EncodedRequest | Rendered]:
    """Render a message for an audience into requests as JSON text, on several processes.

    Takes what ``render_requests`` takes, plus:

    Args:
        message: a folder name under ``templates/`` or a path to a message folder.
        audience: a name under ``audiences/`` or a path to an audience file.
        app_id: the Pinpoint application id written into every request.
        root: the project root holding ``templates/`` and ``audiences/``.
        variables: values that override the message's ``vars`` (``--var``).
        now: the run's clock (default: the current time, UTC).
        workers: processes to render in (default: the usable cores); an audience of one
            chunk is rendered in this process.
        shard: render only the users of this shard.
        api: ``send-users-messages`` (the default) or ``send-messages``; a SendMessages
            render's workers render, validate and encode, and this process packs.
    """
    if api not in APIS:
        raise InputError(f"unknown API {api!r}", fix=f"use one of {', '.join(APIS)}")
    renderer, opened = open_render(
        message, audience, app_id=app_id, root=root, variables=variables, now=now
    )
    workers = usable_cores() if workers is None else workers
    chunks = split_audience(opened)
    first = list(islice(chunks, 2)) if workers > 1 else []
    if len(first) < 2:
        users = opened.users(shard)
        if api == MESSAGES_API:
            return address_requests(renderer, users, AddressBatcher(app_id))
        return map(encoded, batch_requests(renderer, users, RequestBatcher(app_id)))
    if api == MESSAGES_API:
        return _packed(renderer, opened, chain(first, chunks), app_id, workers, shard)
    return _stitched(renderer, opened, chain(first, chunks), app_id, workers, shard)


def _stitched(
    renderer: MessageRenderer,
    audience: Audience,
    chunks: Iterator[Chunk],
    app_id: str,
    workers: int,
    shard: Shard | None,
) -> Iterator[EncodedRequest]:
    work = ChunkRenderer(renderer, audience, app_id, shard)
    stitcher = RequestStitcher(app_id)
    for chunk, before in _in_order(audience, ordered_map(work, chunks, workers=workers)):
        yield from stitcher.add(chunk, before=before)
    yield from stitcher.flush()


def _packed(
    renderer: MessageRenderer,
    audience: Audience,
    chunks: Iterator[Chunk],
    app_id: str,
    workers: int,
    shard: Shard | None,
) -> Iterator[EncodedRequest | Unaddressed]:
    """SendMessages: the workers' encoded users packed here, in order, as one process packs."""
    work = AddressChunkRenderer(renderer, audience, app_id, shard)
    packer = AddressPacker(app_id)
    for chunk, before in _in_order(audience, ordered_map(work, chunks, workers=workers)):
        envelopes, add = chunk.envelopes, packer.add
        for user in chunk.users[:before]:
            envelope = envelopes[user[0]]
            yield from add(envelope.key, envelope.size, user)
    yield from packer.flush()


_Rendered = TypeVar("_Rendered", RenderedChunk, RenderedAddressChunk)


def _in_order(
    audience: Audience, chunks: Iterator[_Rendered]
) -> Iterator[tuple[_Rendered, int | None]]:
    """Each rendered chunk with how many of its users to take (None: all), checked across.

    After the chunk's users are taken, its error is raised where one process would raise
    it: an id or address repeating an earlier chunk's, else what stopped the chunk; an
    audience without users is an error too.
    """
    ids = IdsAcrossChunks(audience)
    records = 0
    for chunk in chunks:
        records += chunk.read.tally.records
        duplicate = ids.first_duplicate(chunk.read)
        yield chunk, None if duplicate is None else duplicate[0]
        if duplicate is not None:
            raise duplicate[1]
        if chunk.error is not None:
            raise chunk.error
    if records == 0:
        raise no_users_error(audience.path)
