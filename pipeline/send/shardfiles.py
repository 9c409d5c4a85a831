"""A shard's files: its journal, results and list of unknowns, named after the shard.

Each shard of a send is its own run in its own journal (``journal.shard-2-of-3.sqlite``
beside the journal the command names), so shards on one machine never contend for one
SQLite file, shards on many machines can keep their journals in one shared folder, and
``pipeline report --merge FOLDER`` finds them all.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Final

from pipeline.shard import Shard, parse_shard

_SLUG: Final = re.compile(r"\.shard-(\d+)-of-(\d+)(?:\.|$)")


def shard_file(path: Path, shard: Shard | None) -> Path:
    """``path`` for one shard: ``journal.sqlite`` becomes ``journal.shard-2-of-3.sqlite``."""
    if shard is None:
        return path
    return path.with_name(f"{path.stem}.{shard.slug}{path.suffix}")


def shard_in_name(path: Path) -> Shard | None:
    """The shard a file is named after (``shard_file``), if it is."""
    match = _SLUG.search(path.name)
    if match is None:
        return None
    return parse_shard(f"{match[1]}/{match[2]}")


def label_slug(label: str | None) -> str:
    """A journal's shard label (``2/3``) as it goes in a file name: ``.shard-2-of-3``."""
    if label is None:
        return ""
    shard = parse_shard(label)
    return "" if shard is None else f".{shard.slug}"
