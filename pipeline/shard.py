"""Shards: a stable partition of an audience by user id, for array jobs on many machines.

Shard ``I/N`` (1-based, as in Playwright's ``--shard=1/3``) holds the users whose id
hashes to it: the first 8 bytes of the id's BLAKE2b digest, as a big-endian number, modulo
N, plus one. The hash depends on the id alone (not on Python's per-process ``hash()``, the
audience order or the machine), so a user is in the same shard on every machine and every
attempt, and the N shards of an audience are disjoint and cover it.

Array-job engines number their tasks from 0 and say so in the environment; the shard is
read from there when ``--shard`` is not given:

| engine | index (0-based) | count |
| --- | --- | --- |
| Kubernetes Indexed Job | ``JOB_COMPLETION_INDEX`` | ``--shards N`` (the Job's completions) |
| AWS Batch array job | ``AWS_BATCH_JOB_ARRAY_INDEX`` | ``AWS_BATCH_JOB_ARRAY_SIZE`` |
| Cloud Run job | ``CLOUD_RUN_TASK_INDEX`` | ``CLOUD_RUN_TASK_COUNT`` |

One shard of one (``1/1``) is the whole audience: no shard at all.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from pipeline.errors import InputError

# (index variable, count variable or None when the count comes from --shards), in the
# order they are looked for.
ENGINES: Final = (
    ("JOB_COMPLETION_INDEX", None),
    ("AWS_BATCH_JOB_ARRAY_INDEX", "AWS_BATCH_JOB_ARRAY_SIZE"),
    ("CLOUD_RUN_TASK_INDEX", "CLOUD_RUN_TASK_COUNT"),
)
_SHARD: Final = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


@dataclass(frozen=True, slots=True)
class Shard:
    """One shard of an audience: ``index`` of ``count``, 1-based, and where it was read.

    Attributes:
        index: The shard, from 1 to ``count``.
        count: How many shards the audience is split into (at least 2).
        source: Where it came from, for the line printed at start: ``--shard`` or the
            environment variables of an array job.
    """

    index: int
    count: int
    source: str = "--shard"

    def __post_init__(self) -> None:
        if self.count < 2 or not 1 <= self.index <= self.count:
            raise InputError(
                f"shard {self.index}/{self.count} does not exist",
                fix="write --shard I/N with 1 <= I <= N and N >= 2",
            )

    @property
    def label(self) -> str:
        """``I/N``, as the journal and the results record it."""
        return f"{self.index}/{self.count}"

    @property
    def slug(self) -> str:
        """``shard-I-of-N``: the shard in a file name."""
        return f"shard-{self.index}-of-{self.count}"

    def contains(self, user_id: str) -> bool:
        """Whether the user with this id belongs to this shard."""
        return shard_of(user_id, self.count) == self.index

    def describe(self) -> str:
        """The line printed at start: which shard, and where that came from."""
        return f"shard {self.label} (from {self.source}): the users whose id hashes to it"


def shard_of(user_id: str, count: int) -> int:
    """The shard (1 to ``count``) that a user id belongs to."""
    digest = hashlib.blake2b(user_id.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") % count + 1


def parse_shard(text: str) -> Shard | None:
    """``--shard I/N`` as a Shard; None for ``1/1`` (the whole audience).

    Raises:
        InputError: It is not ``I/N``, or that shard does not exist.
    """
    match = _SHARD.match(text)
    if match is None:
        raise InputError(f"--shard {text!r} is not I/N", fix="write it as --shard 2/3")
    index, count = int(match[1]), int(match[2])
    if count == 1 and index == 1:
        return None
    return Shard(index, count)


def resolve_shard(
    option: str | None, shards: int | None, environ: Mapping[str, str]
) -> Shard | None:
    """The shard to work on: ``--shard``, else an array job's variables, else none.

    ``--shards N`` gives the count where the engine does not (Kubernetes), and must agree
    with it where it does.

    Raises:
        InputError: A malformed value, a count that disagrees, or ``--shards`` without an
            index to go with it.
    """
    if option is not None:
        shard = parse_shard(option)
        if shards is not None and (shard.count if shard else 1) != shards:
            raise InputError(f"--shard {option} and --shards {shards} disagree")
        return shard
    for index_name, count_name in ENGINES:
        index_text = environ.get(index_name)
        if index_text is None or not index_text.strip():
            continue
        index = _number(index_name, index_text)
        count = shards
        source = f"{index_name}={index_text.strip()}"
        if count_name is not None and environ.get(count_name, "").strip():
            engine_count = _number(count_name, environ[count_name])
            if count is not None and count != engine_count:
                raise InputError(f"--shards {count} disagrees with {count_name}={engine_count}")
            count = engine_count
            source += f", {count_name}={engine_count}"
        elif count is not None:
            source += f", --shards {count}"
        if count is None:
            raise InputError(
                f"{index_name} is set but the number of shards is not",
                fix="pass --shards N (the job's number of completions or tasks)",
            )
        if count == 1 and index == 0:
            return None
        return Shard(index + 1, count, source)
    if shards is not None and shards != 1:
        raise InputError(
            f"--shards {shards} without a shard index",
            fix="pass --shard I/N, or run it as an array job (JOB_COMPLETION_INDEX, "
            "AWS_BATCH_JOB_ARRAY_INDEX or CLOUD_RUN_TASK_INDEX)",
        )
    return None


def _number(name: str, text: str) -> int:
    if not text.strip().isdigit():
        raise InputError(f"{name}={text!r} is not a whole number")
    return int(text)
