"""What users receive on two sides of a change, compared user by user as streams.

Both sides are rendered with the library and compared on what each recipient sees on
each channel (``delivery.deliver``: overrides and substitutions applied). Memory stays
flat in the number of users. Two strategies, chosen by the caller:

- lockstep, when both sides read the same audience: each user is rendered on both sides
  at once and nothing is kept per user;
- keyed, when the audiences differ: a digest per user of the working tree's rendering,
  then the base side (its changed users' configurations spilled to a temporary file),
  then the working tree again for the changed and added users.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Final

from pipeline.audience import User
from pipeline.errors import PipelineError
from pipeline.pinpoint.channels import CHANNELS
from pipeline.pinpoint.delivery import Delivered, deliver
from pipeline.render.renderer import MessageRenderer, RenderedUser
from pipeline.review.diff.groups import ChannelTally
from pipeline.review.diff.model import Comparison, Shown, UserSet


@dataclass(frozen=True, slots=True)
class Side:
    """One side of a comparison: a compiled message and the users it goes to."""

    name: str  # "base" or "head": which side a failure belongs to
    renderer: MessageRenderer
    users: Callable[[], Iterator[User]]  # a fresh stream of the audience at each call
    channels: tuple[str, ...]


class SideFailed(Exception):
    """A side could not be rendered; ``side`` is ``base``, ``head`` or ``both``."""

    def __init__(self, side: str, error: PipelineError) -> None:
        super().__init__(str(error))
        self.side = side
        self.error = error


def compare(
    base: Side | None,
    head: Side | None,
    *,
    same_users: bool,
    max_groups: int = 20,
    examples: int = 5,
) -> Comparison:
    """Compare what every user receives on each side; a missing side has no users.

    Args:
        base: The side at the git ref, or None if it has no message or audience.
        head: The side in the working tree, or None likewise.
        same_users: Both sides read byte-identical audiences (compare in lockstep).
        max_groups: Groups kept with their texts per channel; further ones are counted.
        examples: User ids kept per group and per added or removed set.

    Raises:
        SideFailed: A side's audience or templates failed for some user.
    """
    channels = [c for c in CHANNELS if any(s and c in s.channels for s in (base, head))]
    tally = _Tally(base, head, channels, max_groups, examples)
    if base is not None and head is not None:
        if same_users:
            _lockstep(base, head, tally)
        else:
            _keyed(base, head, tally)
    elif base is not None or head is not None:
        only = base or head
        assert only is not None
        users = tally.removed if only is base else tally.added
        count = 0
        for user in _stream(only, only.name):
            count += 1
            users.add(user.id, _later(only, user))
        tally.base_users, tally.head_users = (count, 0) if only is base else (0, count)
    return tally.result()


def _lockstep(base: Side, head: Side, tally: _Tally) -> None:
    count = 0
    for user in _stream(head, "both"):
        count += 1
        before, after = _render(base, user), _render(head, user)
        if (
            before.envelope.key == after.envelope.key
            and before.configuration == after.configuration
        ):
            continue  # the same request: every channel delivers the same text
        tally.compare_user(user.id, _delivered(base, before), _delivered(head, after))
    tally.base_users = tally.head_users = count


_SAME: Final = b"="  # a state shorter than any digest: "rendered identically on both sides"


def _keyed(base: Side, head: Side, tally: _Tally) -> None:
    # user id -> the head rendering's digest, then _SAME, or the offset in ``spill`` of
    # the base configuration of a user whose rendering changed.
    states: dict[str, bytes | int] = {}
    for user in _stream(head, "head"):
        states[user.id] = _digest(_render(head, user))
    tally.head_users = len(states)
    envelopes: dict[str, int] = {}
    envelope_bodies: list[dict[str, Any]] = []
    with tempfile.TemporaryFile() as spill:
        for user in _stream(base, "base"):
            tally.base_users += 1
            state = states.get(user.id)
            if state is None:
                tally.removed.add(user.id, _later(base, user))
                continue
            rendered = _render(base, user)
            if _digest(rendered) == state:
                states[user.id] = _SAME
                continue
            index = envelopes.setdefault(rendered.envelope.key, len(envelopes))
            if index == len(envelope_bodies):
                envelope_bodies.append(rendered.envelope.body)
            states[user.id] = spill.tell()
            line = json.dumps([index, rendered.configuration], ensure_ascii=False)
            spill.write(line.encode() + b"\n")
        for user in _stream(head, "head"):
            state = states.get(user.id)
            if state == _SAME:
                continue
            if isinstance(state, int):
                spill.seek(state)
                index, configuration = json.loads(spill.readline())
                request = {**envelope_bodies[index], "Users": {user.id: configuration}}
                before = _deliver_all(base, request, user.id)
                tally.compare_user(user.id, before, _delivered(head, _render(head, user)))
            else:
                tally.added.add(user.id, _later(head, user))


def _stream(side: Side, blame: str) -> Iterator[User]:
    try:
        yield from side.users()
    except PipelineError as error:
        raise SideFailed(blame, error) from error


def _render(side: Side, user: User) -> RenderedUser:
    try:
        return side.renderer.render_user(user)
    except PipelineError as error:
        raise SideFailed(side.name, error) from error


def _later(side: Side, user: User) -> Callable[[], dict[str, Shown]]:
    """What ``user`` receives on ``side``, rendered only if asked for."""
    return lambda: {c: _shown(d) for c, d in _delivered(side, _render(side, user)).items()}


def _digest(rendered: RenderedUser) -> bytes:
    digest = hashlib.blake2b(rendered.envelope.key.encode(), digest_size=16)
    digest.update(json.dumps(rendered.configuration, ensure_ascii=False).encode())
    return digest.digest()


def _delivered(side: Side, rendered: RenderedUser) -> dict[str, Delivered]:
    request = {**rendered.envelope.body, "Users": {rendered.user.id: rendered.configuration}}
    return _deliver_all(side, request, rendered.user.id)


def _deliver_all(side: Side, request: dict[str, Any], user_id: str) -> dict[str, Delivered]:
    return {channel: deliver(request, user_id, channel) for channel in side.channels}


def _shown(delivered: Delivered) -> Shown:
    sms = delivered.sms
    return Shown(
        title=delivered.title,
        body=delivered.body,
        payload=delivered.payload,
        raw=delivered.raw,
        payload_bytes=delivered.payload_bytes,
        payload_limit=delivered.payload_limit,
        sms_parts=sms.parts if sms else None,
        sms_encoding=sms.encoding if sms else None,
        ucs2_characters=sms.ucs2_characters if sms else (),
    )


@dataclass(slots=True)
class _UserTally:
    limit: int
    count: int = 0
    examples: list[str] = field(default_factory=list)
    example: dict[str, Shown] = field(default_factory=dict)

    def add(self, user_id: str, show: Callable[[], dict[str, Shown]]) -> None:
        if self.count == 0:
            self.example = show()  # only the first user of the set is rendered
        self.count += 1
        if len(self.examples) < self.limit:
            self.examples.append(user_id)

    def result(self) -> UserSet:
        return UserSet(self.count, tuple(self.examples), tuple(self.example.items()))


class _Tally:
    def __init__(
        self,
        base: Side | None,
        head: Side | None,
        channels: list[str],
        max_groups: int,
        examples: int,
    ) -> None:
        def status(channel: str) -> str:
            if base is None or head is None:
                return "changed"
            if channel not in base.channels:
                return "added"
            return "changed" if channel in head.channels else "removed"

        self.channels = {c: ChannelTally(c, status(c), max_groups, examples) for c in channels}
        self.added = _UserTally(examples)
        self.removed = _UserTally(examples)
        self.base_users = self.head_users = self.changed_users = 0

    def compare_user(
        self, user_id: str, before: dict[str, Delivered], after: dict[str, Delivered]
    ) -> None:
        changed = False
        for channel, tally in self.channels.items():
            old, new = before.get(channel), after.get(channel)
            if (
                old is not None
                and new is not None
                and (old.title, old.body, old.payload) == (new.title, new.body, new.payload)
            ):
                continue
            tally.add(
                user_id,
                None if old is None else _shown(old),
                None if new is None else _shown(new),
            )
            changed = True
        self.changed_users += changed

    def result(self) -> Comparison:
        return Comparison(
            base_users=self.base_users,
            head_users=self.head_users,
            changed_users=self.changed_users,
            channels=tuple(t.result() for t in self.channels.values() if t.users),
            added=self.added.result(),
            removed=self.removed.result(),
        )
