"""What a page draws for one channel: a delivery laid out the way the device shows it.

The text comes from ``pipeline.pinpoint`` (``Delivered`` for a preview, the diff's
``Shown``); this module only decides how to draw it: the device, the SMS parts with the
characters that forced UCS-2, and where a notification's text is cut.

Where the OS cuts a notification is an approximation: it depends on the device, the font
size and the app, and neither Apple nor Google documents it. The figures below are those
of a 390-point-wide phone at the default text size: an iOS lock-screen notification shows
one line of title and four of body; a collapsed Android notification one of each (the rest
shows when it is expanded).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from pipeline.pinpoint.delivery import Delivered
from pipeline.pinpoint.sms import SmsAnalysis, analyze_sms, split_sms
from pipeline.review.diff.model import Shown


@dataclass(frozen=True, slots=True)
class Device:
    """How a channel is drawn: the mock-up's kind, its name, and its text's cut."""

    kind: str  # "sms", "ios", "android", "email" or "voice": the mock-up's CSS class
    label: str
    line_characters: int = 0  # characters per line of the notification's text; 0: no cut
    title_lines: int = 0
    body_lines: int = 0
    expands: str = ""  # where the rest of the text shows


IOS: Final = Device("ios", "iPhone lock screen", 40, 1, 4, "when the notification is opened")
ANDROID: Final = Device("android", "Android notification", 42, 1, 1, "when it is expanded")
DEVICES: Final = {
    "SMS": Device("sms", "SMS thread"),
    "APNS": IOS,
    "GCM": ANDROID,
    "ADM": Device("android", "Amazon Fire notification", 42, 1, 1, "when it is expanded"),
    "BAIDU": Device("android", "Android notification (Baidu)", 42, 1, 1, "when it is expanded"),
    "EMAIL": Device("email", "Email"),
    "VOICE": Device("voice", "Voice call"),
}
SERVICES: Final = {"APNS": "APNs", "GCM": "FCM", "ADM": "ADM", "BAIDU": "Baidu"}


@dataclass(frozen=True, slots=True)
class Piece:
    """A run of SMS text; ``ucs2`` marks one character that forced UCS-2."""

    text: str
    ucs2: bool = False


@dataclass(frozen=True, slots=True)
class Cut:
    """A text split where the OS stops showing it; ``rest`` is empty when all of it shows."""

    shown: str
    rest: str


@dataclass(frozen=True, slots=True)
class ChannelView:
    """One channel of one recipient, ready to draw.

    Attributes:
        channel: The channel type, e.g. ``SMS``.
        device: How it is drawn.
        block: The MessageConfiguration block that applied, when known.
        title: The title (email subject), or None.
        body: The body, or None.
        raw: The RawContent that replaced everything, or None.
        html: An email's HTML part, or None.
        title_cut: The title as the notification cuts it (push channels).
        body_cut: The body likewise.
        sms: The SMS analysis of the body (SMS with a body).
        sms_parts: The SMS body's parts, each as runs of text.
        payload_bytes: The push payload's size, or None.
        payload_limit: The push service's limit, or None.
        substitutions: The placeholder values used (empty when unknown).
        unfilled: Placeholders no value filled.
    """

    channel: str
    device: Device
    block: str | None
    title: str | None
    body: str | None
    raw: str | None
    html: str | None
    title_cut: Cut | None
    body_cut: Cut | None
    sms: SmsAnalysis | None
    sms_parts: tuple[tuple[Piece, ...], ...]
    payload_bytes: int | None
    payload_limit: int | None
    substitutions: tuple[tuple[str, str], ...]
    unfilled: tuple[str, ...]

    @property
    def service(self) -> str | None:
        """The push service's name (APNs, FCM...), or None off push channels."""
        return SERVICES.get(self.channel)

    @property
    def over_limit(self) -> bool:
        """Whether the push payload is larger than the service accepts."""
        return (
            self.payload_bytes is not None
            and self.payload_limit is not None
            and self.payload_bytes > self.payload_limit
        )


def view_delivered(delivered: Delivered) -> ChannelView:
    """A preview's delivery, ready to draw."""
    return _view(
        delivered.channel,
        delivered.block,
        delivered.title,
        delivered.body,
        delivered.payload if delivered.raw else None,
        delivered.html,
        (delivered.payload_bytes, delivered.payload_limit),
        tuple(delivered.substitutions.items()),
        delivered.unfilled,
    )


def view_shown(channel: str, shown: Shown) -> ChannelView:
    """One side of a diff's change, ready to draw."""
    return _view(
        channel,
        None,
        shown.title,
        shown.body,
        shown.payload if shown.raw else None,
        None,
        (shown.payload_bytes, shown.payload_limit),
        (),
        (),
    )


def _view(
    channel: str,
    block: str | None,
    title: str | None,
    body: str | None,
    raw: str | None,
    html: str | None,
    payload: tuple[int | None, int | None],
    substitutions: tuple[tuple[str, str], ...],
    unfilled: tuple[str, ...],
) -> ChannelView:
    device = DEVICES[channel]
    sms = analyze_sms(body) if channel == "SMS" and body is not None else None
    return ChannelView(
        channel=channel,
        device=device,
        block=block,
        title=title,
        body=body,
        raw=raw,
        html=html,
        title_cut=_cut(title, device.line_characters, device.title_lines),
        body_cut=_cut(body, device.line_characters, device.body_lines),
        sms=sms,
        sms_parts=() if sms is None or body is None else sms_pieces(body, sms),
        payload_bytes=payload[0],
        payload_limit=payload[1],
        substitutions=substitutions,
        unfilled=unfilled,
    )


def sms_pieces(body: str, sms: SmsAnalysis) -> tuple[tuple[Piece, ...], ...]:
    """The body's SMS parts, each as runs of text, the characters that forced UCS-2 apart."""
    forcing = set(sms.ucs2_characters)
    parts = []
    for part in split_sms(body):
        pieces: list[Piece] = []
        run: list[str] = []
        for character in part:
            if character in forcing:
                if run:
                    pieces.append(Piece("".join(run)))
                    run = []
                pieces.append(Piece(character, ucs2=True))
            else:
                run.append(character)
        if run:
            pieces.append(Piece("".join(run)))
        parts.append(tuple(pieces))
    return tuple(parts)


def _cut(text: str | None, width: int, lines: int) -> Cut | None:
    """Where a text stops showing when wrapped at ``width`` characters into ``lines`` lines.

    Lines break at spaces where they can (a word longer than a line is broken), and at
    every newline, as a notification's label does.
    """
    if text is None or width == 0:
        return None
    offset = used = 0  # where the paragraph starts in ``text``; lines used so far
    for paragraph in text.split("\n"):
        start = 0
        while len(paragraph) - start > width:
            used += 1
            stop = paragraph.rfind(" ", start, start + width + 1)
            start = stop + 1 if stop > start else start + width
            if used == lines:
                return _split(text, offset + start)
        used += 1
        offset += len(paragraph)
        if used == lines:
            return _split(text, offset)
        offset += 1  # the newline
    return Cut(text, "")


def _split(text: str, at: int) -> Cut:
    return Cut(text[:at], text[at:])
