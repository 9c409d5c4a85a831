import dataclasses
import pickle
import random

import pytest

from pipeline.pinpoint.sms import SmsAnalysis, analyze_sms

# The GSM 03.38 default alphabet by Unicode code point, written out independently of the
# module's own table so that a mistyped character there fails here.
GSM_BASIC_NON_ASCII = [
    0x00A3, 0x00A5, 0x00E8, 0x00E9, 0x00F9, 0x00EC, 0x00F2, 0x00C7, 0x00D8, 0x00F8,
    0x00C5, 0x00E5, 0x0394, 0x03A6, 0x0393, 0x039B, 0x03A9, 0x03A0, 0x03A8, 0x03A3,
    0x0398, 0x039E, 0x00C6, 0x00E6, 0x00DF, 0x00C9, 0x00A4, 0x00A1, 0x00C4, 0x00D6,
    0x00D1, 0x00DC, 0x00A7, 0x00BF, 0x00E4, 0x00F6, 0x00F1, 0x00FC, 0x00E0,
]  # fmt: skip
GSM_EXTENSION = [0x000C, 0x005E, 0x007B, 0x007D, 0x005C, 0x005B, 0x007E, 0x005D, 0x007C, 0x20AC]
# Printable ASCII outside the default alphabet: the backtick and the extension characters.
ASCII_NOT_BASIC = {"`", "^", "{", "}", "\\", "[", "]", "~", "|"}


def reference_parts(text: str) -> int:
    """Greedy encoder: fill parts unit by unit, never splitting a two-unit character."""
    gsm = analyze_sms(text).encoding == "GSM-7"
    single, size = (160, 153) if gsm else (70, 67)
    costs = [
        (2 if ord(c) in GSM_EXTENSION else 1) if gsm else (2 if ord(c) > 0xFFFF else 1)
        for c in text
    ]
    if not costs:
        return 0
    if sum(costs) <= single:
        return 1
    parts, used = 1, 0
    for cost in costs:
        if used + cost > size:
            parts, used = parts + 1, 0
        used += cost
    return parts


@pytest.mark.parametrize(
    "char",
    ["\n", "\r"]
    + [chr(c) for c in range(0x20, 0x7F) if chr(c) not in ASCII_NOT_BASIC]
    + [chr(c) for c in GSM_BASIC_NON_ASCII],
)
def test_basic_alphabet_is_gsm7_one_septet(char: str) -> None:
    analysis = analyze_sms(char)
    assert (analysis.encoding, analysis.units, analysis.parts) == ("GSM-7", 1, 1)


def test_basic_alphabet_has_127_characters() -> None:
    # 128 codes minus the escape 0x1B.
    ascii_basic = [c for c in range(0x20, 0x7F) if chr(c) not in ASCII_NOT_BASIC]
    assert len(ascii_basic) + 2 + len(GSM_BASIC_NON_ASCII) == 127


@pytest.mark.parametrize("code", GSM_EXTENSION)
def test_extension_characters_count_two_septets(code: int) -> None:
    analysis = analyze_sms("a" + chr(code))
    assert (analysis.encoding, analysis.characters, analysis.units) == ("GSM-7", 2, 3)


@pytest.mark.parametrize(
    ("text", "forcing"),
    [
        ("It’s here", ("’",)),  # curly apostrophe
        ("`code`", ("`",)),  # backtick is not in the alphabet
        ("façade", ("ç",)),  # only the capital Ç is
        ("Olá", ("á",)),
        ("Hi 😀", ("😀",)),
        ("“Quote” and ‘quote’", ("“", "”", "‘", "’")),
        ("😀 ’ 😀 ’ €", ("😀", "’")),  # distinct, in order; € is GSM
        ("\x1b", ("\x1b",)),  # the raw escape code is not a character
    ],
)
def test_non_gsm_characters_force_ucs2(text: str, forcing: tuple[str, ...]) -> None:
    analysis = analyze_sms(text)
    assert analysis.encoding == "UCS-2"
    assert analysis.ucs2_characters == forcing


def test_gsm7_has_no_forcing_characters() -> None:
    assert analyze_sms("Ça coûte 5€").ucs2_characters == ("û",)
    assert analyze_sms("Ça coute 5€ [promo] ^_^").ucs2_characters == ()


APOS = "’"
EMOJI = "😀"


@pytest.mark.parametrize(
    ("text", "encoding", "characters", "units", "parts"),
    [
        ("", "GSM-7", 0, 0, 0),
        ("a", "GSM-7", 1, 1, 1),
        ("a" * 160, "GSM-7", 160, 160, 1),
        ("a" * 161, "GSM-7", 161, 161, 2),
        ("a" * 306, "GSM-7", 306, 306, 2),
        ("a" * 307, "GSM-7", 307, 307, 3),
        ("a" * 459, "GSM-7", 459, 459, 3),
        ("a" * 460, "GSM-7", 460, 460, 4),
        ("€" * 80, "GSM-7", 80, 160, 1),
        ("€" * 81, "GSM-7", 81, 162, 2),
        ("a" * 158 + "[", "GSM-7", 159, 160, 1),
        ("a" * 159 + "[", "GSM-7", 160, 161, 2),
        (APOS * 70, "UCS-2", 70, 70, 1),
        (APOS + "a" * 69, "UCS-2", 70, 70, 1),
        (APOS + "a" * 70, "UCS-2", 71, 71, 2),
        (APOS + "a" * 133, "UCS-2", 134, 134, 2),
        (APOS + "a" * 134, "UCS-2", 135, 135, 3),
        (APOS + "a" * 129, "UCS-2", 130, 130, 2),  # FACTS.md: 130 characters, two parts
        (EMOJI * 35, "UCS-2", 35, 70, 1),
        (EMOJI * 36, "UCS-2", 36, 72, 2),
        ("€" + APOS, "UCS-2", 2, 2, 1),  # no escape in UCS-2: € is one code unit
    ],
)
def test_lengths_and_parts(
    text: str, encoding: str, characters: int, units: int, parts: int
) -> None:
    assert analyze_sms(text) == SmsAnalysis(
        encoding,  # type: ignore[arg-type]
        characters,
        units,
        parts,
        analyze_sms(text).ucs2_characters,
    )


@pytest.mark.parametrize(
    ("text", "units", "parts"),
    [
        # The escape + € pair would take units 153-154: it moves whole to part 2, which
        # leaves 306 units needing three parts instead of two.
        ("a" * 152 + "€" + "a" * 152, 306, 3),
        # One character earlier the pair fits at 152-153 and nothing moves.
        ("a" * 151 + "€" + "a" * 153, 306, 2),
        # A surrogate pair that would straddle units 67-68 moves to part 2.
        (APOS + "a" * 65 + EMOJI + "a" * 66, 134, 3),
        (APOS + "a" * 64 + EMOJI + "a" * 67, 134, 2),
        # Moves add up: two pairs move, so 458 units (three parts by ceil) need four.
        ("a" * 152 + "€" + "a" * 150 + "€" + "a" * 152, 458, 4),
    ],
)
def test_two_unit_characters_are_not_split_across_parts(text: str, units: int, parts: int) -> None:
    analysis = analyze_sms(text)
    assert (analysis.units, analysis.parts) == (units, parts)
    assert analysis.parts == reference_parts(text)


@pytest.mark.parametrize("alphabet", ["ab€[ ", "ab😀’ ", "€^{}|"])
def test_parts_match_a_greedy_encoder(alphabet: str) -> None:
    rng = random.Random(alphabet)
    for _ in range(300):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 700)))
        assert analyze_sms(text).parts == reference_parts(text), text


@pytest.mark.parametrize(
    ("text", "limit", "over"),
    [
        ("a" * 1530, 1530, False),
        ("a" * 1531, 1530, True),
        ("€" * 765, 1530, False),  # 1,530 septets
        ("€" * 766, 1530, True),
        ("a" * 1529 + "€", 1530, True),
        (APOS * 630, 630, False),
        (APOS * 631, 630, True),
        (EMOJI * 315, 630, False),  # 630 code units
        (EMOJI * 316, 630, True),
        ("", 1530, False),
    ],
)
def test_hard_limit(text: str, limit: int, over: bool) -> None:
    analysis = analyze_sms(text)
    assert analysis.limit == limit
    assert analysis.over_limit is over


def test_analysis_is_frozen() -> None:
    analysis = analyze_sms("hello")
    with pytest.raises(dataclasses.FrozenInstanceError):
        analysis.parts = 2  # type: ignore[misc]


@pytest.mark.parametrize("text", ["Hi there", "Grüße 😀 and ünïcödé " * 5, ""])
def test_an_analysis_crosses_a_process_boundary_unchanged(text):
    analysis = analyze_sms(text)
    copy = pickle.loads(pickle.dumps(analysis))
    assert copy == analysis
    assert dataclasses.astuple(copy) == dataclasses.astuple(analysis)
