"""Checks on what a user receives: the rendered envelope and each channel's delivery."""

from __future__ import annotations

import json
from typing import Any, Final

from pipeline.api import EndpointSendConfiguration
from pipeline.message import Message
from pipeline.pinpoint.channels import OVERRIDDEN_CHANNELS
from pipeline.pinpoint.compose import leftover_braces
from pipeline.pinpoint.delivery import Delivered
from pipeline.pinpoint.sms import analyze_sms, character_name
from pipeline.review.checks.findings import FindingCollector, Key
from pipeline.review.checks.static import (
    LINKING_ACTIONS,
    LintSettings,
    declared_substitutions,
)
from pipeline.review.checks.templates import TemplateScan

# What the filters of some locales write between digits, or before a % or currency sign.
_NO_BREAK_SPACES: Final = frozenset("\u00a0\u202f")
# Longest leftover fragment quoted in a finding.
FRAGMENT_CHARS: Final = 40


def json_error(text: str) -> str | None:
    """Why a text is not a JSON document, or None if it is one."""
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        return f"{exc.msg} at line {exc.lineno} column {exc.colno}"
    except (ValueError, RecursionError):
        return "nested too deeply, or a number too long, to read"
    return None


def check_envelope(
    message: Message, envelope: dict[str, Any], found: FindingCollector
) -> list[Key]:
    """Check a locale's rendered blocks; returns the findings all its users share."""
    shared = []
    for name, block in envelope["MessageConfiguration"].items():
        if not isinstance(block, dict):
            continue  # a field that failed to render is None
        where = ("MessageConfiguration", name)
        url = block.get("Url")
        written = message.configuration[name].get("Url")  # none at all: a static finding
        if block.get("Action") in LINKING_ACTIONS and written and not str(url).strip():
            shared.append(
                found.add(
                    "missing-url",
                    f"{name}.Url renders empty, but Action {block['Action']} needs a link",
                    path=message.path,
                    line=message.text_line_of(*where, "Url"),
                    fix="give Url a value in every locale",
                )
            )
        raw = block.get("RawContent")
        problem = json_error(raw) if isinstance(raw, str) else None
        if problem is not None:
            shared.append(
                found.add(
                    "raw-content-json",
                    f"{name}.RawContent is not valid JSON: {problem}",
                    path=message.path,
                    line=message.text_line_of(*where, "RawContent"),
                    fix="RawContent must render to a JSON document",
                )
            )
    return shared


class DeliveryChecks:
    """Checks one user's delivery on one channel: SMS size, encoding, payload, leftovers."""

    def __init__(
        self,
        message: Message,
        *,
        scan: TemplateScan,
        settings: LintSettings,
        found: FindingCollector,
    ) -> None:
        self.message = message
        self.budget = settings.sms_max_parts
        self.found = found
        # Names sub-undeclared reports where sub() is written: not reported again here.
        declared = declared_substitutions(message)
        self.undeclared = {call.name for call in scan.sub_calls if call.name not in declared}
        # Per set of characters that forced UCS-2: a table that maps them to a GSM-7
        # character (to count the parts the text would take without them), and their names.
        self._forced: dict[tuple[str, ...], tuple[dict[int, str], tuple[str, ...]]] = {}

    def check(
        self,
        delivered: Delivered,
        user_id: str,
        configuration: EndpointSendConfiguration,
        *,
        sms_template_gsm: bool,
    ) -> None:
        """Record what is wrong with one delivery (most deliveries: nothing)."""
        # Runs for every user and channel: the common, clean case is a few comparisons.
        size = delivered.payload_bytes
        if (
            size is not None
            and delivered.payload_limit is not None
            and size > delivered.payload_limit
        ):
            self.found.add(
                "push-payload",
                f"the {delivered.channel} payload is over the service's "
                f"{delivered.payload_limit:,}-byte limit",
                path=self.message.path,
                line=self._line(delivered, configuration, "Body"),
                fix="shorten the text, Data or Context sent with the notification",
                user_id=user_id,
                largest=delivered.payload_bytes,
                label="largest, in bytes:",
            )
        if delivered.raw:
            return
        sms = delivered.sms
        # Over AWS's limit means ten parts or more, so within a budget under ten it is not.
        if sms is not None and (
            sms.parts > self.budget or sms.encoding == "UCS-2" or self.budget >= 10
        ):
            self._check_sms(delivered, user_id, configuration, sms_template_gsm)
        title, body = delivered.title, delivered.body
        if title is not None and ("{{" in title or "{%" in title):
            self._check_leftovers(title, "Title", delivered, user_id, configuration)
        if body is not None and ("{{" in body or "{%" in body):
            self._check_leftovers(body, "Body", delivered, user_id, configuration)

    def _check_sms(
        self,
        delivered: Delivered,
        user_id: str,
        configuration: EndpointSendConfiguration,
        sms_template_gsm: bool,
    ) -> None:
        sms = delivered.sms
        assert sms is not None and delivered.body is not None
        line = self._line(delivered, configuration, "Body")
        if sms.over_limit:
            self.found.add(
                "sms-too-long",
                f"the SMS is over AWS's {sms.limit:,}-character {sms.encoding} limit, so "
                "sending it fails",
                path=self.message.path,
                line=line,
                fix="shorten the text",
                user_id=user_id,
            )
        elif sms.parts > self.budget:
            self.found.add(
                "sms-parts",
                f"the SMS takes {sms.parts} parts, over the budget of {self.budget}",
                path=self.message.path,
                line=line,
                fix="shorten the text, or raise 'lint: {sms_max_parts: N}' in message.yaml",
                user_id=user_id,
            )
        if sms.encoding == "UCS-2" and sms_template_gsm:
            forced = self._forced.get(sms.ucs2_characters)
            if forced is None:
                table = {ord(c): "?" for c in sms.ucs2_characters}
                names = tuple(character_name(c) for c in sms.ucs2_characters)
                forced = self._forced[sms.ucs2_characters] = (table, names)
            before = analyze_sms(delivered.body.translate(forced[0])).parts
            if sms.parts != before:
                effect = f"{sms.parts} parts instead of {before}"
            else:
                effect = f"still {sms.parts} part{'' if sms.parts == 1 else 's'}"
            fix = (
                "the preview shows each user's encoding; transliterate the data if the cost matters"
            )
            if _NO_BREAK_SPACES.intersection(sms.ucs2_characters):
                fix = (
                    "CLDR's number, money and date formats write no-break spaces; "
                    "| replace('\\u202f', ' ') | replace('\\xa0', ' ') makes them plain spaces"
                )
            self.found.add(
                "sms-ucs2",
                f"the user's data switches the SMS from GSM-7 to UCS-2: {effect}",
                path=self.message.path,
                line=line,
                fix=fix,
                user_id=user_id,
                details=forced[1],
                label="characters:",
            )

    def _check_leftovers(
        self,
        text: str,
        part: str,
        delivered: Delivered,
        user_id: str,
        configuration: EndpointSendConfiguration,
    ) -> None:
        unfilled = set(delivered.unfilled)
        for fragment in dict.fromkeys(leftover_braces(text)):
            name = fragment.strip("{} ")
            if name in unfilled and name in self.undeclared:
                continue
            if len(fragment) > FRAGMENT_CHARS:
                fragment = fragment[:FRAGMENT_CHARS] + "..."
            reason = (
                "no substitution fills it" if name in unfilled else "Pinpoint would read it again"
            )
            self.found.add(
                "leftover-braces",
                f"{fragment!r} is left in the {part.lower()} users receive: {reason}",
                path=self.message.path,
                line=self._line(delivered, configuration, part),
                fix="declare the substitution, or keep '{{' out of the text and the data",
                user_id=user_id,
                details=(delivered.channel,),
                label="on",
            )

    def _line(
        self, delivered: Delivered, configuration: EndpointSendConfiguration, part: str
    ) -> int | None:
        """The line of the field a title or body came from: an override or the block's."""
        override = f"{part}Override"
        if delivered.channel in OVERRIDDEN_CHANNELS and override in configuration:
            return self.message.text_line_of("PerUser", override)
        return self.message.text_line_of("MessageConfiguration", delivered.block, part)
