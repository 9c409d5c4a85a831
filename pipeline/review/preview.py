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

from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pipeline.addresses import Address
from pipeline.api import APIS, MESSAGES_API, USERS_API
from pipeline.audience import User, load_audience
from pipeline.errors import InputError
from pipeline.message import load_message
from pipeline.pinpoint.channels import CHANNELS, ENDPOINT_CHANNELS, channels_of
from pipeline.pinpoint.delivery import Delivered, deliver
from pipeline.pinpoint.sms import SmsTotals
from pipeline.project import resolve_audience, resolve_message, templates_root
from pipeline.render.renderer import MessageRenderer

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

    Raises:
        InputError: a message, audience, user id, channel or API that does not exist.
    """
    if api not in APIS:
        raise InputError(f"unknown API {api!r}", fix=f"use one of {', '.join(APIS)}")
    loaded = load_message(root, resolve_message(root, str(message)))
    stream = load_audience(resolve_audience(root, str(audience))).users()
    selected = select_channels(loaded.configuration, channels)
    # The block channels the message reaches, for the addresses it does not (send-messages).
    reached = set(channels_of(loaded.configuration)) if api == MESSAGES_API else None
    renderer = MessageRenderer(
        loaded,
        templates_root(root),
        {**loaded.variables, **(variables or {})},
        now or datetime.now(UTC).replace(microsecond=0),
    )
    if not users:
        return _previews(renderer, stream, selected, reached)
    wanted = set(users)
    chosen = [user for user in stream if user.id in wanted]
    missing = wanted - {user.id for user in chosen}
    if missing:
        raise InputError(
            f"no user {sorted(missing)[0]!r} in the audience",
            fix="give a user id from the audience file",
        )
    return iter(list(_previews(renderer, iter(chosen), selected, reached)))


def _previews(
    renderer: MessageRenderer,
    users: Iterator[User],
    channels: list[str],
    reached: set[str] | None,
) -> Iterator[UserPreview]:
    """Each user's previews; ``reached`` (send-messages only) the message's block channels."""
    render_user = renderer.render_user
    for user in users:
        rendered = render_user(user)
        user_id = user.id
        request = {**rendered.envelope.body, "Users": {user_id: rendered.configuration}}
        if reached is None:
            deliveries = tuple(deliver(request, user_id, channel) for channel in channels)
            yield UserPreview(user_id, rendered.locale, deliveries)
            continue
        # The same text per channel whatever the API: only which channels differs.
        own = {ENDPOINT_CHANNELS[channel] for channel, _ in user.addresses}
        deliveries = tuple(deliver(request, user_id, c) for c in channels if c in own)
        unreached = tuple(
            pair for pair in user.addresses if ENDPOINT_CHANNELS[pair[0]] not in reached
        )
        yield UserPreview(user_id, rendered.locale, deliveries, user.addresses, unreached)
