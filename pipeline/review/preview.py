"""Previews: what each user of an audience receives on each channel of a message.

Users are rendered exactly as ``render`` renders them; each user's request is then read
the way Pinpoint reads it (``delivery.deliver``): the block chosen for the channel, the
per-user overrides, ``{{Name}}`` placeholders filled, RawContent first. Each user is
rendered once, whatever the number of channels.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pipeline.audience import Audience, User, load_audience
from pipeline.errors import InputError
from pipeline.message import load_message
from pipeline.pinpoint.channels import CHANNELS, channels_of
from pipeline.pinpoint.delivery import Delivered, deliver
from pipeline.project import resolve_audience, resolve_message, templates_root
from pipeline.render.renderer import MessageRenderer
from pipeline.shard import Shard
from pipeline.usermap import map_users

# Names people use for a channel besides Pinpoint's own: FCM is what GCM became.
CHANNEL_ALIASES = {"FCM": "GCM", "APNS_SANDBOX": "APNS"}


@dataclass(frozen=True, slots=True)
class UserPreview:
    """One user's deliveries, one per channel previewed, in ``CHANNELS`` order."""

    user_id: str
    locale: str | None
    deliveries: tuple[Delivered, ...]

    def to_json(self) -> dict[str, Any]:
        """The preview as plain JSON values: ``channels`` maps a channel to its delivery."""
        return {
            "user_id": self.user_id,
            "locale": self.locale,
            "channels": {d.channel: delivered_json(d) for d in self.deliveries},
        }


def delivered_json(delivered: Delivered) -> dict[str, Any]:
    """One delivery as plain JSON values.

    The push payload itself is left out (its size is there): it is an approximation of
    what the push service receives. With RawContent, ``payload`` is the raw content.
    """
    sms = delivered.sms
    return {
        "block": delivered.block,
        "title": delivered.title,
        "body": delivered.body,
        "raw": delivered.raw,
        "payload": delivered.payload if delivered.raw else None,
        "html": delivered.html,
        "substitutions": delivered.substitutions,
        "unfilled": list(delivered.unfilled),
        "payload_bytes": delivered.payload_bytes,
        "payload_limit": delivered.payload_limit,
        "sms": None
        if sms is None
        else {
            "encoding": sms.encoding,
            "characters": sms.characters,
            "units": sms.units,
            "parts": sms.parts,
            "ucs2_characters": list(sms.ucs2_characters),
        },
    }


def select_channels(configuration: Mapping[str, Any], names: Collection[str]) -> list[str]:
    """The channels to preview: ``names`` (any case; FCM for GCM), else all it reaches.

    Raises:
        InputError: a name is not a channel, or the message reaches no such channel.
    """
    reached = channels_of(dict(configuration))
    if not names:
        return reached
    wanted = set()
    for name in names:
        channel = CHANNEL_ALIASES.get(name.upper(), name.upper())
        if channel not in CHANNELS:
            raise InputError(
                f"unknown channel {name!r}",
                fix=f"use one of {', '.join(CHANNELS)}",
            )
        if channel not in reached:
            raise InputError(
                f"the message has no block for channel {channel}",
                fix=f"it reaches {', '.join(reached)}",
            )
        wanted.add(channel)
    return [channel for channel in reached if channel in wanted]


def preview_message(
    message: str | Path,
    audience: str | Path,
    *,
    root: Path = Path(),
    variables: Mapping[str, str] | None = None,
    now: datetime | None = None,
    users: Collection[str] = (),
    channels: Collection[str] = (),
    workers: int | None = None,
    shard: Shard | None = None,
) -> Iterator[UserPreview]:
    """What every user (or the ``users`` given) receives on every channel (or ``channels``).

    The message, the audience's defaults and the channel names are checked before the
    first preview is yielded. With ``users``, the whole audience is read first, so an id
    that is not in it is an error before anything is yielded; without, previews stream
    and a user who fails to render stops the iteration with the error.

    Args:
        message: a folder name under ``templates/`` or a path to a message folder.
        audience: a name under ``audiences/`` or a path to an audience file.
        root: the project root holding ``templates/`` and ``audiences/``.
        variables: values that override the message's ``vars`` (``--var``).
        now: the run's clock (default: the current time, UTC).
        users: user ids to preview; empty for every user.
        channels: channel types to preview (``SMS``, ``APNS``...); empty for every one.
        workers: processes that render the users (None: the usable cores).
        shard: only the users of this shard.

    Raises:
        InputError: a message, audience, user id or channel that does not exist.
    """
    previewer, opened = _previewer(message, audience, root, variables, now, channels)
    if not users:
        return map_users(opened, previewer, workers=workers, shard=shard)
    wanted = set(users)
    chosen = [user for user in opened.users(shard) if user.id in wanted]
    missing = wanted - {user.id for user in chosen}
    if missing:
        raise InputError(
            f"no user {sorted(missing)[0]!r} in the audience",
            fix="give a user id from the audience file",
        )
    return iter([previewer(user) for user in chosen])


def preview_lines(
    message: str | Path,
    audience: str | Path,
    *,
    root: Path = Path(),
    variables: Mapping[str, str] | None = None,
    now: datetime | None = None,
    channels: Collection[str] = (),
    workers: int | None = None,
    shard: Shard | None = None,
) -> Iterator[str]:
    """Every user's preview as compact JSON (``UserPreview.to_json``), in audience order.

    As ``preview_message`` for every user, with the JSON made in the worker processes:
    unpickling previews here would cost more than rendering them.
    """
    previewer, opened = _previewer(message, audience, root, variables, now, channels)

    def line(user: User) -> str:
        return preview_json(previewer(user))

    return map_users(opened, line, workers=workers, shard=shard)


# Each value is a fresh tree of dicts and lists: no cycle to look for.
_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False)


def preview_json(preview: UserPreview) -> str:
    """One user's preview as compact JSON text, as ``preview --format json`` prints it."""
    return _JSON.encode(preview.to_json())


@dataclass(slots=True)
class _Previewer:
    """Renders one user and reads what each channel receives (in a worker, or here)."""

    renderer: MessageRenderer
    channels: list[str]

    def __call__(self, user: User) -> UserPreview:
        rendered = self.renderer.render_user(user)
        user_id = user.id
        request = {**rendered.envelope.body, "Users": {user_id: rendered.configuration}}
        deliveries = tuple(deliver(request, user_id, channel) for channel in self.channels)
        return UserPreview(user_id, rendered.locale, deliveries)


def _previewer(
    message: str | Path,
    audience: str | Path,
    root: Path,
    variables: Mapping[str, str] | None,
    now: datetime | None,
    channels: Collection[str],
) -> tuple[_Previewer, Audience]:
    loaded = load_message(root, resolve_message(root, str(message)))
    opened = load_audience(resolve_audience(root, str(audience)))
    selected = select_channels(loaded.configuration, channels)
    renderer = MessageRenderer(
        loaded,
        templates_root(root),
        {**loaded.variables, **(variables or {})},
        now or datetime.now(UTC).replace(microsecond=0),
    )
    return _Previewer(renderer, selected), opened
