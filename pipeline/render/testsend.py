"""Test sends: a message rendered as chosen users of its audience, addressed to given addresses.

An author sends the reviewed message to their own phone before a campaign, as the
recipients would get it: each chosen user (by default the first user of each locale) is
rendered exactly as ``render`` renders them, into one SendMessages request to the
addresses given (``--to CHANNEL:ADDRESS``), so each address gets one message per user.
Those addresses must not belong to anyone in the audience: a test never reaches a
recipient of the campaign.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path

from pipeline.addresses import Address, check_address, check_channel
from pipeline.api import AddressConfiguration, encode_request, validate_request
from pipeline.audience import User, load_audience
from pipeline.errors import InputError, RequestError
from pipeline.message import load_message
from pipeline.pinpoint.channels import ENDPOINT_CHANNELS, block_for, channels_of
from pipeline.pinpoint.limits import MAX_RECIPIENTS_PER_REQUEST, MAX_REQUEST_BYTES
from pipeline.project import resolve_audience, resolve_message, templates_root
from pipeline.render.address_batch import AddressedRequest, addressed_request
from pipeline.render.renderer import MessageRenderer


def parse_recipient(text: str) -> Address:
    """One ``--to CHANNEL:ADDRESS``, e.g. ``SMS:+15550100001``, as (channel type, address).

    Raises:
        InputError: No colon, an unknown channel type, or an empty address.
    """

    def fail(what: str, fix: str) -> InputError:
        return InputError(f"--to {text!r}: {what}", fix=fix)

    channel, colon, address = text.partition(":")
    if not colon:
        raise fail("not CHANNEL:ADDRESS", "write it as e.g. --to SMS:+15550100001")
    return check_channel(channel, fail), check_address(channel, address, fail)


def render_test_requests(
    message: str | Path,
    audience: str | Path,
    *,
    app_id: str,
    to: Sequence[Address],
    users: Collection[str] = (),
    root: Path = Path(),
    variables: Mapping[str, str] | None = None,
    now: datetime | None = None,
) -> list[AddressedRequest]:
    """One validated SendMessages request per chosen user, to the ``to`` addresses.

    The whole audience is read: for the users and to check that no ``to`` address is one
    of its own.

    Args:
        message: A message name under templates/ or a path to a message folder.
        audience: An audience name under audiences/ or a path to an audience file.
        app_id: The Pinpoint application id.
        to: Where the test goes: (channel type, address) pairs.
        users: The ids of the users to render it as; default the first user of each locale.
        root: The project root.
        variables: ``--var`` overrides of the message's variables.
        now: The run's clock.

    Raises:
        InputError: No or too many addresses, one given twice or belonging to the
            audience, a channel the message does not reach, an unknown user, or any
            error of the message and audience.
    """
    if not app_id:
        raise InputError("no application id", fix="pass --app-id or set PIPELINE_APP_ID")
    _check_recipients(to)
    loaded = load_message(root, resolve_message(root, str(message)))
    for channel, address in to:
        if block_for(loaded.configuration, ENDPOINT_CHANNELS[channel]) is None:
            raise InputError(
                f"--to {channel}:{address}: the message has no block for channel {channel}",
                fix=f"it reaches {', '.join(channels_of(loaded.configuration))}",
            )
    renderer = MessageRenderer(
        loaded,
        templates_root(root),
        {**loaded.variables, **(variables or {})},
        now or datetime.now(UTC).replace(microsecond=0),
    )
    stream = load_audience(resolve_audience(root, str(audience))).users()
    chosen = _choose(renderer, _outside(stream, to), users)
    return [_request(renderer, app_id, user, to) for user in chosen]


def _check_recipients(to: Sequence[Address]) -> None:
    if not to:
        raise InputError("no address to send the test to", fix="give --to CHANNEL:ADDRESS")
    if len(to) > MAX_RECIPIENTS_PER_REQUEST:
        raise InputError(
            f"{len(to)} --to addresses; a request holds at most {MAX_RECIPIENTS_PER_REQUEST}"
        )
    seen: set[str] = set()
    for channel, address in to:
        if address in seen:
            raise InputError(f"--to {channel}:{address}: the address is given twice")
        seen.add(address)


def _outside(users: Iterator[User], to: Sequence[Address]) -> Iterator[User]:
    """The audience's users, refusing any who owns a ``to`` address."""
    wanted = {address for _, address in to}
    for user in users:
        for channel, address in user.addresses:
            if address in wanted:
                line = f" at line {user.line}" if user.line else ""
                raise InputError(
                    f"--to {address}: it is the {channel} address of user {user.id!r}{line} "
                    "of the audience, and a test send never reaches the audience",
                    fix="send the test to your own address",
                )
        yield user


def _choose(renderer: MessageRenderer, users: Iterator[User], ids: Collection[str]) -> list[User]:
    """The users named by ``ids`` in audience order, else the first of each locale."""
    if ids:
        chosen = [user for user in users if user.id in ids]
        missing = set(ids) - {user.id for user in chosen}
        if missing:
            raise InputError(
                f"no user {sorted(missing)[0]!r} in the audience",
                fix="give --user an id from the audience file",
            )
        return chosen
    first: dict[str | None, User] = {}
    for user in users:
        first.setdefault(renderer.locale_of(user), user)
    return list(first.values())


def _request(
    renderer: MessageRenderer, app_id: str, user: User, to: Sequence[Address]
) -> AddressedRequest:
    rendered = renderer.render_user(user)
    addresses: dict[str, AddressConfiguration] = {
        address: {"ChannelType": channel, **rendered.configuration} for channel, address in to
    }
    item = addressed_request(
        app_id, rendered.envelope, addresses, dict.fromkeys(addresses, user.id)
    )
    size = len(encode_request(item.request).encode())
    if size > MAX_REQUEST_BYTES:
        raise RequestError(
            f"the test request is {size:,} bytes, over the {MAX_REQUEST_BYTES:,}-byte payload "
            "limit",
            user_id=user.id,
            fix="send it to fewer addresses at once",
        )
    validate_request(item.request)
    return item
