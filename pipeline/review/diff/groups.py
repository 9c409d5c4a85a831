"""Grouping changed users: one group per distinct edit, whatever each user's own data.

A group is the set of users whose change on a channel is the same edit: the same words
removed and inserted in each field, ignoring the unchanged text around them (a user's
name, an order number), with the same SMS parts and encodings and the same push limit
verdict. Full texts are kept only for the first user of each of the first groups.
"""

from __future__ import annotations

import re
from collections.abc import Hashable
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from functools import lru_cache
from typing import Final

from pipeline.review.diff.model import ChangeGroup, ChannelDiff, Shown


@dataclass(slots=True)
class _Group:
    before: Shown | None
    after: Shown | None
    users: int = 0
    examples: list[str] = field(default_factory=list)


@dataclass(slots=True)
class ChannelTally:
    """The changes on one channel, grouped as they stream in."""

    channel: str
    status: str
    max_groups: int
    examples: int
    users: int = 0
    groups: dict[Hashable, _Group] = field(default_factory=dict)
    hidden: set[int] = field(default_factory=set)  # hashes of the signatures not kept
    hidden_users: int = 0

    def add(self, user_id: str, before: Shown | None, after: Shown | None) -> None:
        """Count one user's change into its group (None: the channel is absent there)."""
        self.users += 1
        key = _signature(before, after)
        group = self.groups.get(key)
        if group is None:
            if len(self.groups) >= self.max_groups:
                self.hidden.add(hash(key))
                self.hidden_users += 1
                return
            group = self.groups[key] = _Group(before, after)
        group.users += 1
        if len(group.examples) < self.examples:
            group.examples.append(user_id)

    def result(self) -> ChannelDiff:
        """The groups so far, in the order of their first user."""
        groups = tuple(
            ChangeGroup(group.users, tuple(group.examples), group.before, group.after)
            for group in self.groups.values()
        )
        return ChannelDiff(
            self.channel, self.status, self.users, groups, len(self.hidden), self.hidden_users
        )


_FIELD_ADDED: Final = (("+",),)
_FIELD_REMOVED: Final = (("-",),)


def _signature(before: Shown | None, after: Shown | None) -> Hashable:
    """What makes two users' changes on a channel "the same change"."""
    if before is None or after is None:
        return ("channel", before is None)  # the channel itself came or went: one group
    title = _edits(before.title, after.title)
    body = _edits(before.body, after.body)
    # A payload follows its title and body; on its own it shows a Url, Data or Context edit.
    payload = () if title or body else _edits(before.payload, after.payload)
    return (
        title,
        body,
        payload,
        before.sms_parts,
        after.sms_parts,
        before.sms_encoding,
        after.sms_encoding,
        before.over_limit,
        after.over_limit,
    )


_TOKEN = re.compile(r"\w+|\s+|[^\w\s]")


@lru_cache(maxsize=1024)  # one user's body is often the same on SMS and every push channel
def _edits(before: str | None, after: str | None) -> tuple[tuple[str, ...], ...]:
    """The words removed and inserted between two texts, without the text they share.

    ``"Hi Ana, welcome"`` -> ``"Hello Ana, welcome!"`` gives ``(("Hi", "Hello"), ("", "!"))``,
    the same as for any other name, which is what lets users be grouped by their change.
    """
    if before == after:
        return ()
    if before is None:
        return _FIELD_ADDED
    if after is None:
        return _FIELD_REMOVED
    start = _common_prefix(before, after)
    while start and _word(before, start - 1) and (_word(before, start) or _word(after, start)):
        start -= 1  # never split a word: "Hi" -> "Hello" is one word edit, not "i" -> "ello"
    end = _common_suffix(before, after, min(len(before), len(after)) - start)
    while (
        end
        and _word(before, len(before) - end)
        and (_word(before, len(before) - end - 1) or _word(after, len(after) - end - 1))
    ):
        end -= 1
    old = _TOKEN.findall(before[start : len(before) - end])
    new = _TOKEN.findall(after[start : len(after) - end])
    if not old or not new or set(old).isdisjoint(new):
        return (("".join(old), "".join(new)),)  # one edit: nothing in between to align
    matcher = SequenceMatcher(None, old, new, autojunk=False)
    return tuple(
        ("".join(old[i1:i2]), "".join(new[j1:j2]))
        for tag, i1, i2, j1, j2 in matcher.get_opcodes()
        if tag != "equal"
    )


def _word(text: str, index: int) -> bool:
    return 0 <= index < len(text) and (text[index].isalnum() or text[index] == "_")


def _common_prefix(a: str, b: str) -> int:
    # Binary search on slices: the comparisons run in C, the loop only ~log2(n) times.
    low, high = 0, min(len(a), len(b))
    while low < high:
        middle = (low + high + 1) // 2
        if a[:middle] == b[:middle]:
            low = middle
        else:
            high = middle - 1
    return low


def _common_suffix(a: str, b: str, limit: int) -> int:
    low, high = 0, limit
    while low < high:
        middle = (low + high + 1) // 2
        if a[len(a) - middle :] == b[len(b) - middle :]:
            low = middle
        else:
            high = middle - 1
    return low
