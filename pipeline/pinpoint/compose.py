"""How Pinpoint composes the text one endpoint receives from a block and a user's configuration.

The rules (``pinpoint/FACTS.md``; where AWS is silent, the reading that keeps a preview
from showing text the user might not get):

- The user's ``RawContent``, else the block's own ``RawContent``, replaces everything,
  verbatim (no substitution).
- Else the block's ``Title`` and ``Body`` (an email's ``SimpleEmail`` subject, and its text
  part, else HTML part, when the block has no ``Body``), replaced by ``TitleOverride`` and
  ``BodyOverride`` on the channels AWS documents them for (``OVERRIDDEN_CHANNELS``). SMS and
  VOICE have no title.
- Placeholders ``{{Name}}`` in the title and body are filled from the user's
  ``Substitutions``, then the block's; default blocks are not consulted. A list gives its
  first value (multi-value behaviour is undocumented); an empty list counts as no value. A
  placeholder without a value is left as written (Pinpoint may blank it, as Handlebars does).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final, NamedTuple

from pipeline.pinpoint.channels import OVERRIDDEN_CHANNELS, TITLED_CHANNELS

_PLACEHOLDER: Final = re.compile(r"\{\{\s*([A-Za-z0-9_.\-]+)\s*\}\}")
# Closed fragments may span lines; an unclosed opener is reported up to the end of its line.
_LEFTOVER: Final = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{\{[^\n]*|\{%[^\n]*", re.DOTALL)


class Composed(NamedTuple):
    """The text one endpoint receives.

    A named tuple: the sandbox composes one per endpoint it delivers to (300 per request
    of the reference message), at a third of a frozen dataclass's cost.

    Attributes:
        title: The title (email subject) after overrides and substitution; None if none.
        body: The body after overrides and substitution; the raw content when ``raw``.
        raw: Whether a RawContent (the user's or the block's) replaced everything.
        substitutions: The placeholder values used, by name.
        unfilled: Placeholders left in the title or body for want of a value, in order.
    """

    title: str | None
    body: str | None
    raw: bool
    substitutions: dict[str, str]
    unfilled: tuple[str, ...]


def compose(channel: str, block: Mapping[str, Any], config: Mapping[str, Any]) -> Composed:
    """The text an endpoint of block channel ``channel`` receives (rules in the docstring)."""
    raw = config.get("RawContent")
    if raw is None:
        raw = block.get("RawContent")
    if raw is not None:
        return Composed(None, raw, True, {}, ())
    title, body = _block_text(channel, block)
    if channel in OVERRIDDEN_CHANNELS:
        title = config.get("TitleOverride", title)
        body = config.get("BodyOverride", body)
    if channel not in TITLED_CHANNELS:
        title = None
    # The "{{" test skips the regex engine for the common text without placeholders.
    if (title is None or "{{" not in title) and (body is None or "{{" not in body):
        return Composed(title, body, False, {}, ())

    applied: dict[str, str] = {}
    unfilled: list[str] = []
    sources = (config.get("Substitutions") or {}, block.get("Substitutions") or {})

    def fill(match: re.Match[str]) -> str:
        key = match.group(1)
        for source in sources:
            values = source.get(key)
            if values:
                value = applied[key] = str(values[0])
                return value
        unfilled.append(key)
        return match.group(0)

    if title is not None:
        title = _PLACEHOLDER.sub(fill, title)
    if body is not None:
        body = _PLACEHOLDER.sub(fill, body)
    return Composed(title, body, False, applied, tuple(dict.fromkeys(unfilled)))


def placeholders(text: str) -> list[str]:
    """The distinct placeholder names (``{{Name}}``, ``{{ Name }}``) in a text, in order."""
    return list(dict.fromkeys(_PLACEHOLDER.findall(text)))


def leftover_braces(text: str) -> list[str]:
    """Every ``{{...}}`` or ``{%...%}`` fragment in a text, unclosed openers included."""
    return _LEFTOVER.findall(text)


def _block_text(channel: str, block: Mapping[str, Any]) -> tuple[str | None, str | None]:
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
