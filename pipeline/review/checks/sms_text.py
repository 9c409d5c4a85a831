"""The SMS text a message writes itself, as opposed to its users' data, and what it costs.

One curly apostrophe or em dash in a template switches every user's SMS from GSM-7 to
UCS-2: 70 characters a part instead of 160. ``sms_text`` reads what makes the SMS body
for a locale (the ``BodyOverride``, else the SMS block's ``Body``; the substitutions it
uses; every file they load for that locale; the ``vars`` they read) and finds the
characters outside GSM-7 in what those templates write as it is: their text and the
string literals of their code, not Jinja comments or the code itself.

``SmsTextCosts`` counts, per user, the parts the SMS takes and the parts it would take
with each character replaced by its GSM-7 equivalent, and reports one ``sms-ucs2-text``
finding per source file or field. A text in a script GSM-7 cannot write (a letter
without an equivalent: Cyrillic, Greek, Chinese...) is UCS-2 by necessity, and is not
reported.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from pipeline.message import Message
from pipeline.pinpoint.channels import block_for
from pipeline.pinpoint.sms import (
    SmsAnalysis,
    analyze_sms,
    character_name,
    gsm7_replacement,
    outside_gsm7,
)
from pipeline.render.peruser import dotted
from pipeline.review.checks.findings import USER_SAMPLE, FindingCollector
from pipeline.review.checks.templates import TemplateScan
from pipeline.yamlfile import YamlPath

# Jinja's comments, expressions and statements, and the string literals inside the last two.
_JINJA: Final = re.compile(r"\{#.*?#\}|\{\{.*?\}\}|\{%.*?%\}", re.DOTALL)
_STRING: Final = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"", re.DOTALL)
_VARS: Final = re.compile(r"\bvars\s*(?:\.\s*([A-Za-z_]\w*)|\[\s*['\"]([^'\"]+)['\"]\s*\])")
NEWLINE: Final = "\n"
# How many characters a finding lists before "...".
_CHARACTERS_SHOWN: Final = 8


@dataclass(frozen=True, slots=True)
class Forced:
    """A character outside GSM-7 in one source of the SMS text, where it first appears."""

    character: str
    where: str  # "3:14" (line:column), "9" (a line), or "--var NAME"
    count: int
    replacement: str | None  # None: GSM-7 has nothing like it


@dataclass(frozen=True, slots=True)
class Source:
    """One file or field of the SMS text, with its characters outside GSM-7."""

    name: str  # as the finding names it: "PerUser.BodyOverride", "vars.x", a file path
    path: Path | None
    line: int | None  # the first character's line
    forced: tuple[Forced, ...]


@dataclass(frozen=True, slots=True)
class SmsText:
    """The characters outside GSM-7 of a message's SMS text for one locale."""

    sources: tuple[Source, ...] = ()
    table: Mapping[int, str] = field(default_factory=dict)  # for str.translate
    inevitable: bool = False  # a letter GSM-7 cannot write: the language needs UCS-2

    @property
    def gsm(self) -> bool:
        """Whether the text is all GSM-7 before user data goes in."""
        return not self.sources

    @property
    def reported(self) -> bool:
        """Whether the author can keep the SMS in GSM-7 by replacing characters."""
        return bool(self.sources) and not self.inevitable


def sms_text(
    message: Message, scan: TemplateScan, locale: str | None, variables: Mapping[str, Any]
) -> SmsText:
    """The characters outside GSM-7 that the message itself puts in its SMS for ``locale``."""
    block = block_for(message.configuration, "SMS")
    if block is None:
        return SmsText()
    if "BodyOverride" in message.per_user:
        body: YamlPath = ("PerUser", "BodyOverride")
    else:
        body = ("MessageConfiguration", block, "Body")
    fields = [body] if body in scan.fields else []
    used = _substitutions_used(scan.sources(body, locale))
    fields += [
        where
        for where in scan.fields
        if (
            where[:2] == ("PerUser", "Substitutions")
            or where[:3] == ("MessageConfiguration", block, "Substitutions")
        )
        and (used is None or str(where[3 if where[0] == "MessageConfiguration" else 2]) in used)
    ]
    raw_yaml = _read(message.path)
    sources: list[Source] = []
    code: list[str] = []
    files: dict[Path, None] = {}
    for where in fields:
        text = scan.fields[where]
        code.append(text)
        line = message.text_line_of(*where)
        found = _characters(_output(text))
        if found:
            sources.append(_in_yaml(dotted(where), message.path, raw_yaml, line, found))
        for name in sorted(scan.reach.get(where, ())):
            template = scan.files.get(name)
            path = template.resolve(locale) if template is not None else None
            if path is not None:
                files[path] = None
    for path in files:
        text = _read(path)
        code.append(text)
        found = _characters(_output(text))
        if found:
            sources.append(_in_file(path, text, found))
    for name in _vars_used(code):
        if name in variables:
            sources += _in_var(message, raw_yaml, name, str(variables[name]))
    forced = [item for source in sources for item in source.forced]
    table = {ord(f.character): f.replacement for f in forced if f.replacement is not None}
    inevitable = any(f.replacement is None and f.character.isalpha() for f in forced)
    return SmsText(tuple(sources), table, inevitable)


@dataclass(slots=True)
class _Cost:
    users: list[str] = field(default_factory=list)
    count: int = 0
    parts: int = 0
    replaced: int = 0  # the parts with the replacements


class SmsTextCosts:
    """What the message's own characters cost, user by user, reported per source."""

    def __init__(self) -> None:
        self._sources: dict[tuple[str, Path | None, int | None, tuple[Forced, ...]], _Cost] = {}

    def add(self, text: SmsText, user_id: str, sms: SmsAnalysis, body: str) -> None:
        """Count one user's SMS of a locale whose text forces UCS-2."""
        replaced = analyze_sms(body.translate(text.table)).parts
        for source in text.sources:
            cost = self._sources.setdefault(
                (source.name, source.path, source.line, source.forced), _Cost()
            )
            cost.count += 1
            cost.parts += sms.parts
            cost.replaced += replaced
            if len(cost.users) < USER_SAMPLE:
                cost.users.append(user_id)

    def merge(self, other: SmsTextCosts) -> None:
        """Add the costs counted by another (a later chunk of the audience)."""
        for key, theirs in other._sources.items():
            cost = self._sources.setdefault(key, _Cost())
            cost.count += theirs.count
            cost.parts += theirs.parts
            cost.replaced += theirs.replaced
            cost.users = [*cost.users, *theirs.users][:USER_SAMPLE]

    def report(self, found: FindingCollector) -> None:
        """One ``sms-ucs2-text`` finding per source, with its users and their parts."""
        for (name, path, line, forced), cost in self._sources.items():
            shown = ", ".join(_describe(item) for item in forced[:_CHARACTERS_SHOWN])
            more = ", ..." if len(forced) > _CHARACTERS_SHOWN else ""
            key = found.add(
                "sms-ucs2-text",
                f"{name} puts characters outside GSM-7 in the SMS, which makes it UCS-2 (70 "
                f"characters a part, not 160): {shown}{more}; these SMS take "
                f"{_parts(cost.parts)}, {cost.replaced:,} with the replacements",
                path=path,
                line=line,
                fix="write the replacements shown to send GSM-7",
            )
            found.attach_many(key, cost.users, cost.count)


def _parts(count: int) -> str:
    return f"{count:,} part" + ("" if count == 1 else "s")


def _describe(item: Forced) -> str:
    times = f" ({item.count} times)" if item.count > 1 else ""
    if item.replacement is None:
        fix = "no GSM-7 equivalent: leave it out"
    elif item.replacement == "":
        fix = "leave it out"
    else:
        fix = f"write {item.replacement}"
    return f"{character_name(item.character)} at {item.where}{times} ({fix})"


def _output(source: str) -> str:
    """The template with its comments and code blanked, string literals kept (same indexes)."""
    parts = []
    last = 0
    for match in _JINJA.finditer(source):
        parts.append(source[last : match.start()])
        tag = match.group(0)
        kept = [" "] * len(tag)
        if not tag.startswith("{#"):
            for literal in _STRING.finditer(tag):
                kept[literal.start() + 1 : literal.end() - 1] = tag[
                    literal.start() + 1 : literal.end() - 1
                ]
        parts.append("".join(kept))
        last = match.end()
    parts.append(source[last:])
    return "".join(parts)


def _characters(text: str) -> dict[str, list[int]]:
    """Each character outside GSM-7, with the indexes where it appears."""
    found: dict[str, list[int]] = {}
    for index, character in outside_gsm7(text):
        found.setdefault(character, []).append(index)
    return found


def _in_file(path: Path, text: str, found: dict[str, list[int]]) -> Source:
    forced = []
    for character, indexes in found.items():
        first = indexes[0]
        line = text.count("\n", 0, first) + 1
        column = first - text.rfind("\n", 0, first)
        replacement = gsm7_replacement(character)
        forced.append(Forced(character, f"{line}:{column}", len(indexes), replacement))
    first_line = text.count("\n", 0, min(i[0] for i in found.values())) + 1
    return Source(str(path), path, first_line, tuple(forced))


def _in_yaml(
    name: str, path: Path, raw: str, line: int | None, found: dict[str, list[int]]
) -> Source:
    r"""A field's characters, placed where each first appears in message.yaml from its line.

    YAML quoting and folding move text, so the field's own indexes do not say where it is
    written; a character written as an escape (``"\u2019"``) is placed at the line only.
    """
    forced = []
    lines = []
    start = _line_start(raw, line) if line else -1
    for character, indexes in found.items():
        where = str(line) if line else "?"
        at = raw.find(character, start) if start >= 0 else -1
        if at >= 0:
            at_line = raw.count("\n", 0, at) + 1
            where = f"{at_line}:{at - raw.rfind(NEWLINE, 0, at)}"
            lines.append(at_line)
        forced.append(Forced(character, where, len(indexes), gsm7_replacement(character)))
    return Source(name, path, min(lines, default=line), tuple(forced))


def _in_var(message: Message, raw: str, name: str, value: str) -> list[Source]:
    found = _characters(value)
    if not found:
        return []
    if message.variables.get(name) == value:
        line = message.line_of("vars", name)
        return [_in_yaml(f"vars.{name}", message.path, raw, line, found)]
    forced = tuple(
        Forced(character, f"--var {name}", len(indexes), gsm7_replacement(character))
        for character, indexes in found.items()
    )
    return [Source(f"--var {name}", None, None, forced)]


def _substitutions_used(texts: list[str]) -> set[str] | None:
    """Substitution names the SMS body writes; None if it computes a name."""
    names: set[str] = set()
    for text in texts:
        if re.search(r"\bsub\(\s*[^'\"\s)]", text):
            return None
        names.update(re.findall(r"\bsub\(\s*['\"]([^'\"]+)['\"]\s*\)", text))
        names.update(re.findall(r"\{\{\s*([A-Za-z0-9_.\-]+)\s*\}\}", text))
    return names


def _vars_used(texts: list[str]) -> Iterator[str]:
    names: dict[str, None] = {}
    for text in texts:
        for match in _VARS.finditer(text):
            names[match.group(1) or match.group(2)] = None
    yield from names


def _line_start(text: str, line: int) -> int:
    index = 0
    for _ in range(line - 1):
        index = text.find("\n", index) + 1
        if index == 0:
            return len(text)
    return index


def _read(path: Path) -> str:
    try:
        return path.read_text("utf-8")
    except (OSError, UnicodeDecodeError):
        return ""
