"""SMS encoding per GSM 03.38: encoding, length in units, parts billed, GSM-7 replacements."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Final, Literal

Encoding = Literal["GSM-7", "UCS-2"]

# The GSM 03.38 default alphabet (basic character set), in code order 0x00-0x7F. 0x1B is the
# escape to the extension table, not a character, so it is left out.
GSM7_BASIC: Final = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅå"  # 0x00-0x0F
    "Δ_ΦΓΛΩΠΨΣΘΞÆæßÉ"  # 0x10-0x1F, without 0x1B
    " !\"#¤%&'()*+,-./"  # 0x20-0x2F
    "0123456789:;<=>?"  # 0x30-0x3F
    "¡ABCDEFGHIJKLMNO"  # 0x40-0x4F
    "PQRSTUVWXYZÄÖÑÜ§"  # 0x50-0x5F
    "¿abcdefghijklmno"  # 0x60-0x6F
    "pqrstuvwxyzäöñüà"  # 0x70-0x7F
)
# The default extension table: each is sent as ESC + code, so it costs two septets. Form feed
# (ESC 0x0A) is the table's page break.
GSM7_EXTENSION: Final = frozenset("\f^{}\\[~]|€")

GSM7_SINGLE, GSM7_PART = 160, 153
UCS2_SINGLE, UCS2_PART = 70, 67
# AWS End User Messaging SMS guide: "The maximum supported size of any message is 1530 GSM
# characters or 630 non-GSM characters"; longer messages fail with InvalidMessageException.
# The older 1,600 GSM-7 figure is not used: 1,530 is both current and the stricter.
GSM7_MAX_UNITS, UCS2_MAX_UNITS = 1530, 630


def _char_class(chars: frozenset[str]) -> str:
    return "".join(sorted(re.escape(c) for c in chars))


_NOT_GSM7 = re.compile(f"[^{_char_class(GSM7_BASIC | GSM7_EXTENSION)}]")
_GSM7_EXTENSION = re.compile(f"[{_char_class(GSM7_EXTENSION)}]")
_OUTSIDE_BMP = re.compile("[\U00010000-\U0010ffff]")


@dataclass(frozen=True, slots=True)
class SmsAnalysis:
    """How one SMS body is encoded and billed.

    Attributes:
        encoding: "GSM-7" when every character is in the GSM 03.38 default alphabet or its
            extension table, else "UCS-2" for the whole message.
        characters: Unicode code points in the text (what the author typed; a flag emoji
            made of two code points counts two).
        units: Encoded length: septets for GSM-7 (extension characters count two), UTF-16
            code units for UCS-2 (characters outside the BMP count two).
        parts: Message parts billed. 0 for an empty text (nothing to send), 1 up to 160
            GSM-7 / 70 UCS-2 units, else parts of 153 / 67 units each.
        ucs2_characters: The distinct characters that forced UCS-2, in order of appearance.
    """

    encoding: Encoding
    characters: int
    units: int
    parts: int
    ucs2_characters: tuple[str, ...]

    def __reduce__(self) -> tuple[type[SmsAnalysis], tuple[Any, ...]]:
        # Pickled as its constructor's arguments: a preview's workers send one or more per
        # user, and the default pickling of a frozen dataclass with slots (setstate, which
        # looks its fields up each time) was a fifth of the parent's time.
        return SmsAnalysis, (
            self.encoding, self.characters, self.units, self.parts, self.ucs2_characters
        )

    @property
    def limit(self) -> int:
        """The largest message AWS accepts in this encoding, in units (1,530 or 630)."""
        return GSM7_MAX_UNITS if self.encoding == "GSM-7" else UCS2_MAX_UNITS

    @property
    def over_limit(self) -> bool:
        """Whether AWS rejects this message as too long (see ``limit``)."""
        return self.units > self.limit


def analyze_sms(text: str) -> SmsAnalysis:
    """Measure an SMS body as an SMS centre would encode and split it.

    Only the GSM default alphabet and its default extension table count as GSM-7: national
    language shift tables are not modelled, because AWS does not document using them.

    Part counts come from walking the text, not from a plain ceil(): a GSM-7 extension
    character (escape + code) and a UTF-16 surrogate pair are never split between two
    parts, so one that would straddle a boundary moves whole to the next part, leaving the
    previous part one unit short. A text can therefore need more parts than
    ``ceil(units / 153)`` (or ``/ 67``). The hard limit (``SmsAnalysis.limit``) is compared
    with units: AWS's GSM-7 figure, 1,530, is exactly ten parts of 153 septets.
    """
    characters = len(text)
    outside = _NOT_GSM7.findall(text)
    if not outside:
        doubles = _GSM7_EXTENSION
        encoding: Encoding = "GSM-7"
        single, part = GSM7_SINGLE, GSM7_PART
        ucs2: tuple[str, ...] = ()
    else:
        doubles = _OUTSIDE_BMP
        encoding = "UCS-2"
        single, part = UCS2_SINGLE, UCS2_PART
        ucs2 = tuple(dict.fromkeys(outside))
    units = characters + len(doubles.findall(text))
    if units == 0:
        parts = 0
    elif units <= single:
        parts = 1
    else:
        starts = [match.start() for match in doubles.finditer(text)]
        parts = _count_parts(units, starts, part)
    return SmsAnalysis(encoding, characters, units, parts, ucs2)


def outside_gsm7(text: str) -> Iterator[tuple[int, str]]:
    """The index and character of every character of ``text`` that GSM-7 cannot write."""
    for match in _NOT_GSM7.finditer(text):
        yield match.start(), match.group()


def _count_parts(units: int, double_starts: list[int], size: int) -> int:
    """Parts of ``size`` units needed when two-unit characters may not straddle a boundary.

    ``double_starts`` are the code-point indexes of the two-unit characters, in order.
    """
    padding = 0
    for before, index in enumerate(double_starts):
        # Unit offset of this character's first unit once earlier moves are applied: each
        # earlier two-unit character adds one unit, each move adds one unit of padding.
        if (index + before + padding) % size == size - 1:
            padding += 1
    return -(-(units + padding) // size)


def split_sms(text: str) -> tuple[str, ...]:
    """The parts an SMS centre splits ``text`` into, in order: ``analyze_sms(text).parts`` of them.

    A text that fits one message is one part; an empty text is none. Longer texts are cut
    every 153 (GSM-7) or 67 (UCS-2) units, and a two-unit character (a GSM-7 extension
    character, a UTF-16 surrogate pair) that would straddle a cut starts the next part, as
    ``analyze_sms`` counts it.
    """
    analysis = analyze_sms(text)
    if analysis.parts <= 1:
        return (text,) if text else ()
    gsm7 = analysis.encoding == "GSM-7"
    size = GSM7_PART if gsm7 else UCS2_PART
    doubles = _GSM7_EXTENSION if gsm7 else _OUTSIDE_BMP
    parts: list[str] = []
    start = used = 0
    for index, character in enumerate(text):
        cost = 2 if doubles.match(character) else 1
        if used + cost > size:
            parts.append(text[start:index])
            start, used = index, 0
        used += cost
    parts.append(text[start:])
    return tuple(parts)


# What a character outside GSM-7 is written as to keep a text in GSM-7: typographic quotes,
# dashes and spaces that word processors put in copy, then, for accented letters, the
# letter without its accent (see ``gsm7_replacement``). "" means: leave it out.
GSM7_REPLACEMENTS: Final = {
    **dict.fromkeys("\u2018\u2019\u201a\u201b\u2032\u00b4\u0060\u2039\u203a", "'"),
    **dict.fromkeys("\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb", '"'),
    **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u2022", "-"),
    **dict.fromkeys("\t\u00a0\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008", " "),
    **dict.fromkeys("\u2009\u200a\u202f\u205f\u3000", " "),
    **dict.fromkeys("\u00ad\u200b\u200c\u200d\u2060\ufeff", ""),
    "\u2026": "...",
    "\u2122": "TM",
    "\u00a9": "(c)",
    "\u00ae": "(R)",
    "\u0142": "l",
    "\u0141": "L",
    "\u0111": "d",
    "\u0110": "D",
    "\u0153": "oe",
    "\u0152": "OE",
}
_GSM7: Final = GSM7_BASIC | GSM7_EXTENSION


def gsm7_replacement(character: str) -> str | None:
    """What to write instead of a character outside GSM-7, or None if nothing fits.

    Typographic punctuation and spaces have a plain equivalent (’ -> ', — -> -, … -> ...,
    a no-break space -> a space); an accented letter the alphabet lacks becomes the letter
    without its accent (á -> a). Emoji and letters of other scripts have none.
    """
    if character in _GSM7:
        return character
    known = GSM7_REPLACEMENTS.get(character)
    if known is not None:
        return known
    base = unicodedata.normalize("NFD", character)[:1]
    if base != character and base in _GSM7 and base.isalpha():
        return base
    return None


def character_name(character: str) -> str:
    """A character as findings and previews show it: ``’ U+2019``, or its name if unseen."""
    code = f"U+{ord(character):04X}"
    if character.isprintable() and not character.isspace():
        return f"{character} {code}"
    return f"{code} {unicodedata.name(character, 'control character').lower()}"


@dataclass(slots=True)
class SmsTotals:
    """The SMS parts an audience is billed, by encoding (one SMS per user counted)."""

    users: dict[Encoding, int] = field(default_factory=lambda: {"GSM-7": 0, "UCS-2": 0})
    parts: dict[Encoding, int] = field(default_factory=lambda: {"GSM-7": 0, "UCS-2": 0})

    def add(self, sms: SmsAnalysis) -> None:
        """Count one user's SMS."""
        self.users[sms.encoding] += 1
        self.parts[sms.encoding] += sms.parts

    def merge(self, other: SmsTotals) -> None:
        """Add the totals counted by another (a later chunk of the audience)."""
        for encoding, users in other.users.items():
            self.users[encoding] += users
            self.parts[encoding] += other.parts[encoding]

    @property
    def total_users(self) -> int:
        """Users who get an SMS."""
        return sum(self.users.values())

    @property
    def total_parts(self) -> int:
        """Parts billed for all of them."""
        return sum(self.parts.values())

    def describe(self) -> str:
        """One line: ``SMS: 35 parts for 24 users (GSM-7: 13 users, 13 parts; UCS-2: ...)``."""
        each = "; ".join(
            f"{encoding}: {_count(self.users[encoding], 'user')}, "
            f"{_count(self.parts[encoding], 'part')}"
            for encoding in ("GSM-7", "UCS-2")
            if self.users[encoding]
        )
        total = f"{_count(self.total_parts, 'part')} for {_count(self.total_users, 'user')}"
        return f"SMS: {total} ({each})" if each else f"SMS: {total}"

    def to_json(self) -> dict[str, Any]:
        """Plain JSON values: totals, then users and parts by encoding."""
        return {
            "users": self.total_users,
            "parts": self.total_parts,
            "by_encoding": {
                encoding: {"users": self.users[encoding], "parts": self.parts[encoding]}
                for encoding in ("GSM-7", "UCS-2")
            },
        }


def _count(number: int, word: str) -> str:
    return f"{number:,} {word}" + ("" if number == 1 else "s")
