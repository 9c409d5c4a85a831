"""What Pinpoint sends to one user on one channel for a SendUsersMessages request."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Final

from pipeline.api import to_json
from pipeline.pinpoint.sms import SmsAnalysis, analyze_sms

CHANNELS: Final = ("SMS", "APNS", "GCM", "ADM", "BAIDU", "EMAIL", "VOICE")
PUSH_CHANNELS: Final = frozenset({"APNS", "GCM", "ADM", "BAIDU"})
CHANNEL_BLOCKS: Final = {
    "SMS": "SMSMessage",
    "APNS": "APNSMessage",
    "GCM": "GCMMessage",
    "ADM": "ADMMessage",
    "BAIDU": "BaiduMessage",
    "EMAIL": "EmailMessage",
    "VOICE": "VoiceMessage",
}
DEFAULT_PUSH_BLOCK: Final = "DefaultPushNotificationMessage"
DEFAULT_BLOCK: Final = "DefaultMessage"
# Push services' payload limits in bytes: APNs, FCM and Baidu 4 KB, ADM 6 KB.
PAYLOAD_LIMITS: Final = {"APNS": 4096, "GCM": 4096, "BAIDU": 4096, "ADM": 6144}

_OVERRIDDEN: Final = frozenset({"ADM", "APNS", "BAIDU", "GCM", "SMS"})
_TITLED: Final = frozenset({"ADM", "APNS", "BAIDU", "GCM", "EMAIL"})
_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z0-9_.\-]+)\s*\}\}")
# Closed fragments may span lines; an unclosed opener is reported up to the end of its line.
_LEFTOVER = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{\{[^\n]*|\{%[^\n]*", re.DOTALL)

Block = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Delivered:
    """What one user receives on one channel.

    Attributes:
        channel: The channel type (one of ``CHANNELS``).
        block: The ``MessageConfiguration`` block that applied, e.g. ``"GCMMessage"``.
        title: The title (email subject), after overrides and substitution; None if none.
        body: The body after overrides and substitution; None if none or RawContent.
        raw: Whether a RawContent (the user's or the push block's) replaced everything.
        substitutions: The placeholder values used, by name.
        unfilled: Placeholders left in the title or body for want of a value, in order.
        payload: Push channels: the JSON the push service receives (an approximation, see
            ``push_payload``); with RawContent, the raw content itself on any channel.
        payload_bytes: UTF-8 size of ``payload``.
        payload_limit: The push service's limit in bytes; None off push channels.
        sms: The SMS measurements of the body, for SMS with a body.
    """

    channel: str
    block: str
    title: str | None
    body: str | None
    raw: bool
    substitutions: dict[str, str]
    unfilled: tuple[str, ...]
    payload: str | None
    payload_bytes: int | None
    payload_limit: int | None
    sms: SmsAnalysis | None

    @property
    def over_payload_limit(self) -> bool:
        """Whether the payload is larger than the push service accepts."""
        return (
            self.payload_bytes is not None
            and self.payload_limit is not None
            and self.payload_bytes > self.payload_limit
        )


def block_for(message_configuration: dict[str, Any], channel: str) -> str | None:
    """The name of the block that supplies ``channel``'s message, or None if none does.

    A channel's own block wins; a push channel then takes ``DefaultPushNotificationMessage``;
    any channel then takes ``DefaultMessage``, which AWS calls "the default message for all
    channels", so it reaches push channels when there is no push default, and EMAIL and
    VOICE too. A block present as ``None`` counts as absent.
    """
    own = CHANNEL_BLOCKS[channel]
    if message_configuration.get(own) is not None:
        return own
    if channel in PUSH_CHANNELS and message_configuration.get(DEFAULT_PUSH_BLOCK) is not None:
        return DEFAULT_PUSH_BLOCK
    if message_configuration.get(DEFAULT_BLOCK) is not None:
        return DEFAULT_BLOCK
    return None


def channels_of(message_configuration: dict[str, Any]) -> list[str]:
    """The channel types a ``MessageConfiguration`` reaches, in ``CHANNELS`` order."""
    return [c for c in CHANNELS if block_for(message_configuration, c) is not None]


def placeholders(text: str) -> list[str]:
    """The distinct placeholder names (``{{Name}}``, ``{{ Name }}``) in a text, in order."""
    return list(dict.fromkeys(_PLACEHOLDER.findall(text)))


def leftover_braces(text: str) -> list[str]:
    """Every ``{{...}}`` or ``{%...%}`` fragment in a text, unclosed openers included."""
    return _LEFTOVER.findall(text)


def deliver(request: dict[str, Any], user_id: str, channel: str) -> Delivered:
    """Emulate what Pinpoint sends to ``user_id``'s endpoints of type ``channel``.

    Follows the documented rules (``pinpoint/FACTS.md``); where AWS is silent, the choice is
    the one that keeps a preview from showing text the user might not get:

    - Block: see ``block_for``. Blocks are not merged field by field (undocumented): an
      ``APNSMessage`` without ``Body`` delivers no body even when a default block has one.
    - Content: the user's ``RawContent``, else the push block's own ``RawContent``, replaces
      everything, on every channel, verbatim (no substitution). Else ``BodyOverride`` and
      ``TitleOverride`` replace the block's body and title on ADM, APNS, BAIDU, GCM and SMS,
      the channels AWS documents them for; EMAIL and VOICE keep the block's text. SMS and
      VOICE have no title; an email's title is its subject.
    - Placeholders ``{{Name}}`` in the title and body (from the block or an override) are
      filled from the user's ``Substitutions``, then the chosen block's ``Substitutions``;
      default blocks are not consulted, so the lint flags a placeholder only they would
      fill. A list gives its first value (multi-value behaviour is undocumented); an empty
      list counts as no value. A placeholder without a value is left as written (Pinpoint
      may blank it, as Handlebars does): the preview shows the gap and ``unfilled`` names
      it.

    Args:
        request: A SendUsersMessageRequest body, trusted to match the API model.
        user_id: A key of ``request["Users"]``.
        channel: One of ``CHANNELS``.

    Raises:
        KeyError: ``user_id`` is not in the request.
        ValueError: ``channel`` is unknown, or no block of the request reaches it.
    """
    config = request["Users"][user_id]
    if channel not in CHANNEL_BLOCKS:
        raise ValueError(f"unknown channel {channel!r}; expected one of {', '.join(CHANNELS)}")
    configuration = request["MessageConfiguration"]
    name = block_for(configuration, channel)
    if name is None:
        raise ValueError(f"no block of MessageConfiguration reaches channel {channel}")
    block: Block = configuration[name]
    limit = PAYLOAD_LIMITS.get(channel)

    raw_content = config.get("RawContent")
    if raw_content is None:
        raw_content = block.get("RawContent")
    if raw_content is not None:
        size = len(raw_content.encode())
        return Delivered(channel, name, None, None, True, {}, (), raw_content, size, limit, None)

    title, body = _block_text(channel, block)
    if channel in _OVERRIDDEN:
        title = config.get("TitleOverride", title)
        body = config.get("BodyOverride", body)
    if channel not in _TITLED:
        title = None

    applied: dict[str, str] = {}
    unfilled: list[str] = []
    user_values = config.get("Substitutions") or {}
    block_values = block.get("Substitutions") or {}

    def fill(match: re.Match[str]) -> str:
        key = match.group(1)
        for source in (user_values, block_values):
            values = source.get(key)
            if values:
                value = applied[key] = str(values[0])
                return value
        unfilled.append(key)
        return match.group(0)

    # The "{{" test skips the regex engine for the common text without placeholders.
    if title is not None and "{{" in title:
        title = _PLACEHOLDER.sub(fill, title)
    if body is not None and "{{" in body:
        body = _PLACEHOLDER.sub(fill, body)

    payload = None
    if channel in PUSH_CHANNELS:
        context = {**request.get("Context", {}), **config.get("Context", {})}
        payload = push_payload(channel, block, title, body, context)
    return Delivered(
        channel=channel,
        block=name,
        title=title,
        body=body,
        raw=False,
        substitutions=applied,
        unfilled=tuple(dict.fromkeys(unfilled)),
        payload=payload,
        payload_bytes=None if payload is None else len(payload.encode()),
        payload_limit=limit,
        sms=analyze_sms(body) if channel == "SMS" and body is not None else None,
    )


def _block_text(channel: str, block: Block) -> tuple[str | None, str | None]:
    """A block's own title and body; an email's come from ``SimpleEmail`` when it has one."""
    title: str | None = block.get("Title")
    body: str | None = block.get("Body")
    simple = block.get("SimpleEmail") if channel == "EMAIL" else None
    if simple:
        title = (simple.get("Subject") or {}).get("Data", title)
        if body is None:
            part = simple.get("TextPart") or simple.get("HtmlPart") or {}
            body = part.get("Data")
    return title, body


def push_payload(
    channel: str, block: Block, title: str | None, body: str | None, context: dict[str, str]
) -> str:
    """The JSON a push service receives for one notification: an approximation.

    Pinpoint's payloads are undocumented; these follow the keys its mobile SDKs read, close
    enough to measure against the services' limits (as compact UTF-8 JSON):

    - APNS: ``{"aps": {"alert": {"title", "body"}, "badge", "sound", ...}, "data":
      {"pinpoint": {...Context, "url" | "deeplink"}, "media-url", "jsonBody": Data}}``;
      silent: ``"content-available": 1`` and title and body in ``data`` instead.
    - GCM, ADM: ``{"data": {"pinpoint.notification.title", "pinpoint.notification.body",
      "pinpoint.openApp" | "pinpoint.url" | "pinpoint.deeplink", image, icon and sound,
      "pinpoint.jsonBody": Data as JSON, "pinpoint.<Context key>"}}`` plus the service's
      envelope fields (``collapse_key``, ``time_to_live``..., ``consolidationKey``...).
    - BAIDU: ``{"title", "description": body, "custom_content": data}``.
    """
    text = {key: value for key, value in (("title", title), ("body", body)) if value is not None}
    url = block.get("Url")
    link = _LINK_KEYS.get(block.get("Action", "")) if url else None
    if channel == "APNS":
        aps: dict[str, Any] = {}
        pinpoint = {**context, link: url} if link else dict(context)
        data: dict[str, Any] = {"pinpoint": pinpoint}
        if block.get("SilentPush"):
            aps["content-available"] = 1
            data.update(text)  # no alert to carry them, but they still travel
        else:
            if text:
                aps["alert"] = text
            _copy(aps, block, (("badge", "Badge"), ("sound", "Sound")))
        _copy(aps, block, (("category", "Category"), ("thread-id", "ThreadId")))
        if block.get("MediaUrl") is not None:
            aps["mutable-content"] = 1  # lets the app's extension fetch the media
            data["media-url"] = block["MediaUrl"]
        _copy(data, block, (("jsonBody", "Data"),))
        return _dumps({"aps": aps, "data": data})

    # FCM data values must be strings, hence "true", "0" and Data as a JSON string.
    fields: dict[str, Any] = {}
    if channel != "BAIDU":
        fields.update((f"pinpoint.notification.{key}", value) for key, value in text.items())
    fields["pinpoint.notification.silentPush"] = "1" if block.get("SilentPush") else "0"
    if link:
        fields[f"pinpoint.{link}"] = url
    else:
        fields["pinpoint.openApp"] = "true"
    _copy(fields, block, _ANDROID_FIELDS)
    if block.get("Data"):
        fields["pinpoint.jsonBody"] = _dumps(block["Data"])
    fields.update((f"pinpoint.{key}", value) for key, value in context.items())
    if channel == "BAIDU":
        baidu = {"title": title or "", "description": body or "", "custom_content": fields}
        return _dumps(baidu)
    payload: dict[str, Any] = {"data": fields}
    _copy(payload, block, _ENVELOPES[channel])
    return _dumps(payload)


_LINK_KEYS: Final = {"URL": "url", "DEEP_LINK": "deeplink"}
_ANDROID_FIELDS: Final = (
    ("pinpoint.notification.imageUrl", "ImageUrl"),
    ("pinpoint.notification.imageIconUrl", "ImageIconUrl"),
    ("pinpoint.notification.smallImageIconUrl", "SmallImageIconUrl"),
    ("pinpoint.notification.icon", "IconReference"),
    ("pinpoint.notification.sound", "Sound"),
)
_ENVELOPES: Final = {
    "GCM": (
        ("collapse_key", "CollapseKey"),
        ("priority", "Priority"),
        ("time_to_live", "TimeToLive"),
        ("restricted_package_name", "RestrictedPackageName"),
    ),
    "ADM": (
        ("consolidationKey", "ConsolidationKey"),
        ("expiresAfter", "ExpiresAfter"),
        ("md5", "MD5"),
    ),
}


def _copy(
    target: dict[str, Any], source: dict[str, Any], keys: tuple[tuple[str, str], ...]
) -> None:
    """Copy ``source[field]`` to ``target[key]`` for each pair whose field is set."""
    for key, field in keys:
        value = source.get(field)
        if value is not None:
            target[key] = value


def _dumps(value: Any) -> str:
    return to_json(value)
