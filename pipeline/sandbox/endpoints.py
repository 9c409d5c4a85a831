"""Which endpoints each user has in the sandbox: synthetic ones, or those of an endpoints file.

Without a file, every user has one synthetic endpoint per channel that the request's
``MessageConfiguration`` addresses (``SMSMessage`` -> SMS, ``APNSMessage`` -> APNS,
``GCMMessage`` -> GCM, ``ADMMessage`` -> ADM, ``BaiduMessage`` -> BAIDU, ``EmailMessage`` ->
EMAIL, ``VoiceMessage`` -> VOICE). A ``DefaultPushNotificationMessage`` without any push
block adds one GCM endpoint; a ``DefaultMessage`` alone gives one SMS endpoint. Ids and
addresses derive from the user id and a BLAKE2 hash of it, so they are the same on every run
and an id leads back to its user (SendMessages to ``Endpoints`` finds them):
``sms-<12 hex>-<user id>`` with address ``+1555<7 digits>``, ``email-<12 hex>-<user id>``
with ``<12 hex>@example.com``, push channels with a 64-hex device token.

An endpoints file (YAML) lists the endpoints of chosen users::

    unlisted: none            # users not listed: none (default) or synthetic
    users:
      u-0001:
        - id: ana-iphone      # endpoint id: unique in the file
          channel: APNS       # SMS VOICE EMAIL APNS APNS_SANDBOX APNS_VOIP
                              # APNS_VOIP_SANDBOX GCM ADM BAIDU
          address: 5e1c0a...  # phone number, email address or device token (a string)
        - id: ana-phone
          channel: SMS
          address: "+15550100001"   # quote phone numbers, or YAML reads a number
          opt_out: true       # optional (false): answered OPT_OUT, never delivered
          active: false       # optional (true): an inactive endpoint is not sent to
      u-0002: []              # no endpoints: "No endpoints found for userId."

A user listed with no active endpoints, or (with ``unlisted: none``) a user not listed, has
no endpoints. ``unlisted: synthetic`` gives every user not listed the synthetic endpoints,
which suits a large audience with a few special users. A user has at most 15 endpoints, as
in Pinpoint. Endpoints on channels that no block of a request reaches are not sent to.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Final, Literal, NamedTuple

from pipeline.errors import InputError
from pipeline.pinpoint.channels import (
    CHANNEL_BLOCKS,
    CHANNELS,
    DEFAULT_BLOCK,
    DEFAULT_PUSH_BLOCK,
    ENDPOINT_CHANNELS,
    PUSH_CHANNELS,
)
from pipeline.pinpoint.limits import MAX_ENDPOINTS_PER_USER
from pipeline.yamlfile import YamlPath, load_yaml_with_lines, read_text

_ENDPOINT_KEYS: Final = ("id", "channel", "address", "opt_out", "active")

Unlisted = Literal["none", "synthetic"]
# Builds the error for a place in the file: fail(what, where, *, fix, user_id=None).
_Fail = Callable[..., InputError]


class Endpoint(NamedTuple):
    """One endpoint of a user: where a message on one channel goes.

    A named tuple, not a frozen dataclass: a request of 100 users makes 300 synthetic ones,
    and a named tuple is built in a third of the time (a tenth of the sandbox's CPU).
    """

    id: str
    channel: str
    address: str
    opt_out: bool = False
    synthetic: bool = False  # synthetic addresses may collide by chance: never a DUPLICATE


def synthetic_channels(configuration: Mapping[str, Any]) -> tuple[str, ...]:
    """The channels of the synthetic endpoints for a ``MessageConfiguration``."""
    channels = [c for c in CHANNELS if configuration.get(CHANNEL_BLOCKS[c]) is not None]
    has_push = PUSH_CHANNELS.intersection(channels)
    if configuration.get(DEFAULT_PUSH_BLOCK) is not None and not has_push:
        channels.append("GCM")
    if configuration.get(DEFAULT_BLOCK) is not None and not channels:
        channels.append("SMS")
    return tuple(channels)


def synthetic_endpoints(user_id: str, channels: Sequence[str]) -> list[Endpoint]:
    """The synthetic endpoints of a user on the given channels: same ids on every run."""
    digest = hashlib.blake2b(user_id.encode(), digest_size=32).hexdigest()
    return [_synthetic(user_id, channel, digest) for channel in channels]


def _synthetic(user_id: str, channel: str, digest: str) -> Endpoint:
    if channel in ("SMS", "VOICE"):
        address = f"+1555{int(digest[:12], 16) % 10_000_000:07d}"
    elif channel == "EMAIL":
        address = f"{digest[:12]}@example.com"
    else:
        address = digest
    return Endpoint(f"{channel.lower()}-{digest[:12]}-{user_id}", channel, address, False, True)


class EndpointDirectory:
    """The sandbox's users and their endpoints."""

    def __init__(
        self,
        users: Mapping[str, Sequence[Endpoint]] | None = None,
        *,
        unlisted: Unlisted = "none",
    ) -> None:
        """Listed ``users`` have exactly their endpoints; without ``users``, all are synthetic."""
        self._users = {user: tuple(endpoints) for user, endpoints in (users or {}).items()}
        self._synthetic_unlisted = users is None or unlisted == "synthetic"
        self._by_id = {
            endpoint.id: (user, endpoint)
            for user, endpoints in self._users.items()
            for endpoint in endpoints
        }

    def endpoints_of(self, user_id: str, channels: Sequence[str]) -> Sequence[Endpoint]:
        """A user's endpoints; ``channels`` are those of synthetic endpoints (unlisted users)."""
        listed = self._users.get(user_id)
        if listed is not None:
            return listed
        return synthetic_endpoints(user_id, channels) if self._synthetic_unlisted else ()

    def find(self, endpoint_id: str) -> tuple[str, Endpoint] | None:
        """The user and the endpoint with this id, listed or synthetic; None if none has it."""
        listed = self._by_id.get(endpoint_id)
        if listed is not None or not self._synthetic_unlisted:
            return listed
        channel, _, rest = endpoint_id.partition("-")
        user_id = rest.partition("-")[2]
        if channel.upper() not in CHANNELS or not user_id or user_id in self._users:
            return None
        [endpoint] = synthetic_endpoints(user_id, [channel.upper()])
        return (user_id, endpoint) if endpoint.id == endpoint_id else None


def load_endpoints(path: Path) -> EndpointDirectory:
    """Read an endpoints file (format in the module docstring).

    Raises:
        InputError: The file is unreadable, is not YAML, or does not have the format.
    """
    data, lines = load_yaml_with_lines(read_text(path, InputError), path, InputError)

    def fail(what: str, where: YamlPath, *, fix: str, user_id: str | None = None) -> InputError:
        line = next(
            (lines[where[:n]] for n in range(len(where), -1, -1) if where[:n] in lines), None
        )
        return InputError(what, path=path, line=line, user_id=user_id, fix=fix)

    if not isinstance(data, dict) or not isinstance(data.get("users"), dict):
        raise fail(
            "an endpoints file is a mapping with a 'users' mapping",
            (),
            fix="write 'users:' then one 'user-id: [endpoints]' entry per user",
        )
    for key in data:
        if key not in ("users", "unlisted"):
            raise fail(f"unknown key {key!r}", (str(key),), fix="use 'users' and 'unlisted'")
    unlisted = data.get("unlisted", "none")
    if unlisted not in ("none", "synthetic"):
        raise fail(
            f"unlisted must be 'none' or 'synthetic', not {unlisted!r}",
            ("unlisted",),
            fix="'none' gives unlisted users no endpoints, 'synthetic' the synthetic ones",
        )
    users: dict[str, list[Endpoint]] = {}
    seen: dict[str, str] = {}  # endpoint id -> the user it belongs to
    for key, items in data["users"].items():
        user_id = str(key)
        if isinstance(key, bool) or not user_id:
            raise fail(f"{key!r} is not a user id", ("users", user_id), fix="write it as a string")
        users[user_id] = _user_endpoints(items, user_id, seen, fail)
    return EndpointDirectory(users, unlisted=unlisted)


def _user_endpoints(items: Any, user_id: str, seen: dict[str, str], fail: _Fail) -> list[Endpoint]:
    """One user's entry of the file: its active endpoints, ids unique across the file."""
    where: YamlPath = ("users", user_id)
    if items is None:
        items = []
    if not isinstance(items, list):
        raise fail("a user's endpoints are a list", where, user_id=user_id, fix="write '- id: ...'")
    if len(items) > MAX_ENDPOINTS_PER_USER:
        raise fail(
            f"{len(items)} endpoints, Pinpoint allows {MAX_ENDPOINTS_PER_USER} per user",
            where,
            user_id=user_id,
            fix="remove some",
        )
    endpoints = []
    for index, item in enumerate(items):
        endpoint = _endpoint(item, (*where, index), user_id, fail)
        if endpoint is None:
            continue
        if endpoint.id in seen:
            raise fail(
                f"endpoint id {endpoint.id!r} is also used by user {seen[endpoint.id]!r}",
                (*where, index, "id"),
                user_id=user_id,
                fix="give every endpoint its own id",
            )
        seen[endpoint.id] = user_id
        endpoints.append(endpoint)
    return endpoints


def _endpoint(item: Any, where: YamlPath, user_id: str, fail: _Fail) -> Endpoint | None:
    """One endpoint entry of the file; None if it is inactive."""
    if not isinstance(item, dict):
        raise fail(
            "an endpoint is a mapping", where, user_id=user_id, fix="write id, channel, address"
        )
    for key in item:
        if key not in _ENDPOINT_KEYS:
            raise fail(
                f"unknown endpoint field {key!r}",
                (*where, str(key)),
                user_id=user_id,
                fix=f"use {', '.join(_ENDPOINT_KEYS)}",
            )
    for key in ("id", "channel", "address"):
        value = item.get(key)
        if not isinstance(value, str) or not value:
            raise fail(
                f"endpoint field {key!r} must be a non-empty string",
                (*where, key) if key in item else where,
                user_id=user_id,
                fix="quote it" if key in item else f"add '{key}:'",
            )
    if item["channel"] not in ENDPOINT_CHANNELS:
        raise fail(
            f"unknown channel {item['channel']!r}",
            (*where, "channel"),
            user_id=user_id,
            fix=f"use one of {', '.join(ENDPOINT_CHANNELS)}",
        )
    for key in ("opt_out", "active"):
        if not isinstance(item.get(key, True), bool):
            raise fail(
                f"endpoint field {key!r} must be true or false",
                (*where, key),
                user_id=user_id,
                fix="write true or false",
            )
    if not item.get("active", True):
        return None
    return Endpoint(
        id=item["id"],
        channel=item["channel"],
        address=item["address"],
        opt_out=item.get("opt_out", False),
    )
