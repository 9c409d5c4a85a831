"""Previews: what each user of an audience receives on each channel of a message.

Users are rendered exactly as ``render`` renders them; each user's request is then read
the way Pinpoint reads it (``delivery.deliver``): the block chosen for the channel, the
per-user overrides, ``{{Name}}`` placeholders filled, RawContent first. Each user is
rendered once, whatever the number of channels. ``count_sms`` totals the SMS parts an
audience is billed, by encoding, as the previews go by.

With ``send-messages`` a user receives on the channels their addresses reach, not on
every channel of the message: the preview shows those, with the addresses, and names the
addresses whose channel no block of the message reaches (Pinpoint would fail them).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pipeline.addresses import Address
from pipeline.api import APIS, MESSAGES_API, USERS_API, escape_line_separators
from pipeline.audience import Audience, User, load_audience
from pipeline.errors import InputError
from pipeline.message import load_message
from pipeline.pinpoint.channels import CHANNELS, ENDPOINT_CHANNELS, channels_of
from pipeline.pinpoint.delivery import Delivered, deliver
from pipeline.pinpoint.sms import SmsAnalysis, SmsTotals
from pipeline.project import resolve_audience, resolve_message, templates_root
from pipeline.render.renderer import MessageRenderer
from pipeline.shard import Shard
from pipeline.usermap import map_users

# Names people use for a channel besides Pinpoint's own: FCM is what GCM became.
CHANNEL_ALIASES = {"FCM": "GCM", "APNS_SANDBOX": "APNS"}


@dataclass(frozen=True, slots=True)
class UserPreview:
    """One user's deliveries, one per channel previewed, in ``CHANNELS`` order.

    ``addresses`` (with ``send-messages`` only; None otherwise) are the user's (channel
    type, address) pairs; ``unreached`` those of them that no block of the message reaches.
    """

    user_id: str
    locale: str | None
    deliveries: tuple[Delivered, ...]
    addresses: tuple[Address, ...] | None = None
    unreached: tuple[Address, ...] = ()

    def to(self, channel: str) -> list[Address]:
        """The addresses a delivery on block channel ``channel`` goes to (send-messages)."""
        return [pair for pair in self.addresses or () if ENDPOINT_CHANNELS[pair[0]] == channel]

    def to_json(self) -> dict[str, Any]:
        """The preview as plain JSON values: ``channels`` maps a channel to its delivery.

        With ``send-messages``, ``addresses`` maps each channel type to the user's
        addresses on it, and ``unreached`` lists the channel types no block reaches.
        """
        data: dict[str, Any] = {
            "user_id": self.user_id,
            "locale": self.locale,
            "channels": {d.channel: delivered_json(d) for d in self.deliveries},
        }
        if self.addresses is not None:
            addresses: dict[str, list[str]] = {}
            for channel, address in self.addresses:
                addresses.setdefault(channel, []).append(address)
            data["addresses"] = addresses
            data["unreached"] = list(dict.fromkeys(channel for channel, _ in self.unreached))
        return data


def sms_of(preview: UserPreview) -> tuple[SmsAnalysis, ...]:
    """The SMS a user gets, if one was previewed (one per SMS delivery)."""
    return tuple(d.sms for d in preview.deliveries if d.sms is not None)


def count_sms(totals: SmsTotals, preview: UserPreview) -> None:
    """Add the SMS a user gets, if one was previewed, to the audience's totals."""
    for delivered in preview.deliveries:
        if delivered.sms is not None:
            totals.add(delivered.sms)


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
    api: str = USERS_API,
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
        api: ``send-messages`` previews each user on the channels of their addresses.
        workers: processes that render the users (None: the usable cores).
        shard: only the users of this shard.

    Raises:
        InputError: a message, audience, user id, channel or API that does not exist.
    """
    previewer, opened = _previewer(message, audience, root, variables, now, channels, api)
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
    api: str = USERS_API,
) -> Iterator[tuple[str, tuple[SmsAnalysis, ...]]]:
    """Every user's preview as compact JSON (``UserPreview.to_json``), in audience order.

    Each with the SMS analyses of its deliveries, for the audience's SMS totals.

    As ``preview_message`` for every user, with the JSON made in the worker processes:
    unpickling previews here would cost more than rendering them.
    """
    previewer, opened = _previewer(message, audience, root, variables, now, channels, api)

    def line(user: User) -> tuple[str, tuple[SmsAnalysis, ...]]:
        preview = previewer(user)
        return preview_json(preview), sms_of(preview)

    return map_users(opened, line, workers=workers, shard=shard)


# Each value is a fresh tree of dicts and lists: no cycle to look for.
_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False)


def preview_json(preview: UserPreview) -> str:
    """One user's preview as compact JSON text, as ``preview --format json`` prints it.

    One line: U+2028 and U+2029 are escaped, as in requests (``api.encode_request``).
    """
    return escape_line_separators(_JSON.encode(preview.to_json()))


@dataclass(slots=True)
class _Previewer:
    """Renders one user and reads what each channel receives (in a worker, or here)."""

    renderer: MessageRenderer
    channels: list[str]
    reached: set[str] | None = None  # send-messages only: the message's block channels

    def __call__(self, user: User) -> UserPreview:
        rendered = self.renderer.render_user(user)
        user_id = user.id
        request = {**rendered.envelope.body, "Users": {user_id: rendered.configuration}}
        channels, reached = self.channels, self.reached
        if reached is None:
            deliveries = tuple(deliver(request, user_id, channel) for channel in channels)
            return UserPreview(user_id, rendered.locale, deliveries)
        # The same text per channel whatever the API: only which channels differs.
        own = {ENDPOINT_CHANNELS[channel] for channel, _ in user.addresses}
        deliveries = tuple(deliver(request, user_id, c) for c in channels if c in own)
        unreached = tuple(
            pair for pair in user.addresses if ENDPOINT_CHANNELS[pair[0]] not in reached
        )
        return UserPreview(user_id, rendered.locale, deliveries, user.addresses, unreached)


def _previewer(
    message: str | Path,
    audience: str | Path,
    root: Path,
    variables: Mapping[str, str] | None,
    now: datetime | None,
    channels: Collection[str],
    api: str = USERS_API,
) -> tuple[_Previewer, Audience]:
    if api not in APIS:
        raise InputError(f"unknown API {api!r}", fix=f"use one of {', '.join(APIS)}")
    loaded = load_message(root, resolve_message(root, str(message)))
    opened = load_audience(resolve_audience(root, str(audience)))
    selected = select_channels(loaded.configuration, channels)
    # The block channels the message reaches, for the addresses it does not (send-messages).
    reached = set(channels_of(loaded.configuration)) if api == MESSAGES_API else None
    renderer = MessageRenderer(
        loaded,
        templates_root(root),
        {**loaded.variables, **(variables or {})},
        now or datetime.now(UTC).replace(microsecond=0),
    )
    return _Previewer(renderer, selected, reached), opened
