"""Per-user work over an audience on every core: results in audience order, errors as one read's.

``map_users(audience, work)`` is ``map(work, audience.users())`` spread over worker
processes, a chunk of the audience each (``pipeline.chunks``). A chunk stops at its first
error (a malformed line, a user who fails to render); this process checks ids across
chunks, yields every result before the first error in audience order and then raises it,
exactly as the one-process map would. An audience of one chunk is mapped here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import chain, islice
from typing import Generic, TypeVar

from pipeline.audience import Audience, User, no_users_error
from pipeline.chunks import Chunk, ChunkRead, IdsAcrossChunks, read_chunk, split_audience
from pipeline.errors import PipelineError
from pipeline.shard import Shard
from pipeline.workers import ordered_map, usable_cores

T = TypeVar("T")


@dataclass(slots=True)
class MappedChunk(Generic[T]):
    """A chunk's results: one per user read, up to the error that stopped it, if any."""

    read: ChunkRead
    results: list[T] = field(default_factory=list)
    error: PipelineError | None = None


def map_users(
    audience: Audience,
    work: Callable[[User], T],
    *,
    workers: int | None = None,
    shard: Shard | None = None,
) -> Iterator[T]:
    """``work(user)`` for every user of the audience (of ``shard``), in audience order.

    Args:
        audience: The audience.
        work: What to compute per user; it runs in the workers, which are forked, so it
            may hold anything (compiled templates), and its results must pickle.
        workers: Processes to use (default: the usable cores).
        shard: Only the users of this shard.
    """
    workers = usable_cores() if workers is None else workers
    chunks = split_audience(audience)
    first = list(islice(chunks, 2)) if workers > 1 else []
    if len(first) < 2:
        yield from map(work, audience.users(shard))
        return
    mapper = _ChunkMapper(audience, work, shard)
    ids = IdsAcrossChunks(audience)
    records = 0
    for mapped in ordered_map(mapper, chain(first, chunks), workers=workers):
        records += mapped.read.tally.records
        duplicate = ids.first_duplicate(mapped.read)
        yield from mapped.results[: None if duplicate is None else duplicate[0]]
        if duplicate is not None:
            raise duplicate[1]
        if mapped.error is not None:
            raise mapped.error
    if records == 0:
        raise no_users_error(audience.path)


@dataclass(frozen=True, slots=True)
class _ChunkMapper(Generic[T]):
    audience: Audience
    work: Callable[[User], T]
    shard: Shard | None

    def __call__(self, chunk: Chunk) -> MappedChunk[T]:
        users, read = read_chunk(self.audience, chunk, self.shard)
        mapped: MappedChunk[T] = MappedChunk(read)
        work, results = self.work, mapped.results
        try:
            for user in users:
                results.append(work(user))
        except PipelineError as error:
            mapped.error = error
        return mapped
