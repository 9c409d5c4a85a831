"""What Pinpoint sends to one user on one channel for a SendUsersMessages request."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from pipeline.api import to_json
from pipeline.pinpoint.channels import CHANNEL_BLOCKS, CHANNELS, PUSH_CHANNELS, block_for
from pipeline.pinpoint.compose import compose
from pipeline.pinpoint.limits import PUSH_PAYLOAD_LIMITS
from pipeline.pinpoint.sms import SmsAnalysis, analyze_sms

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
        html: EMAIL: the ``SimpleEmail`` HTML part, placeholders filled as in the body;
            None elsewhere or without an HTML part (``body`` is then the text part).
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
    html: str | None = None

    @property
    def over_payload_limit(self) -> bool:
        """Whether the payload is larger than the push service accepts."""
        return (
            self.payload_bytes is not None
            and self.payload_limit is not None
            and self.payload_bytes > self.payload_limit
        )


def deliver(request: dict[str, Any], user_id: str, channel: str) -> Delivered:
    """Emulate what Pinpoint sends to ``user_id``'s endpoints of type ``channel``.

    Follows the documented rules (``pinpoint/FACTS.md``); where AWS is silent, the choice is
    the one that keeps a preview from showing text the user might not get:

    - Block: see ``block_for``. Blocks are not merged field by field (undocumented): an
      ``APNSMessage`` without ``Body`` delivers no body even when a default block has one.
    - Text: ``pipeline.pinpoint.compose``'s rules (RawContent, overrides, placeholders);
      the preview shows a placeholder without a value as written and ``unfilled`` names it.

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
    limit = PUSH_PAYLOAD_LIMITS.get(channel)
    text = compose(channel, block, config)
    if text.raw:
        raw = text.body or ""
        size = len(raw.encode())
        return Delivered(channel, name, None, None, True, {}, (), raw, size, limit, None)
    title, body = text.title, text.body

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
        substitutions=text.substitutions,
        unfilled=text.unfilled,
        payload=payload,
        payload_bytes=None if payload is None else len(payload.encode()),
        payload_limit=limit,
        sms=analyze_sms(body) if channel == "SMS" and body is not None else None,
        html=_email_html(block, config) if channel == "EMAIL" else None,
    )


def _email_html(block: Block, config: dict[str, Any]) -> str | None:
    """An email's HTML part as its reader gets it: the block's body rules applied to it.

    The body of an email with a text part is the text part; the HTML part travels beside
    it and Pinpoint fills its placeholders the same way (users' values, then the block's).
    """
    html = ((block.get("SimpleEmail") or {}).get("HtmlPart") or {}).get("Data")
    if html is None:
        return None
    part = {"Body": html, "Substitutions": block.get("Substitutions")}
    return compose("EMAIL", part, {"Substitutions": config.get("Substitutions")}).body


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
