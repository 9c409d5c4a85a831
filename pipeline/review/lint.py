"""Lint: every check that can run before sending, as findings with file and line.

A message is read, its templates are scanned without rendering (``checks.static``), then
every user of its audience is rendered the way ``render`` does it and what each receives
on each channel is checked (``checks.users``). The checks and their severities are in
``checks.findings.CHECKS``.

What fails a lint: errors always; warnings only with ``strict`` (``--strict``), because a
warning is something a reviewer should see (a hidden body, a substitution nobody uses, a
user's name that switches an SMS to UCS-2) but that can be right as written. A message
turns a check off for itself with ``lint: {ignore: [check-id, ...]}`` in message.yaml.

What is a finding and what is an error: a MESSAGE or ``--audience`` that does not exist,
or a bad ``--var`` or ``--now``, is a usage error (``InputError``, exit 2). Anything wrong
inside the files being checked, a message.yaml that does not load, an audience declared
by ``audience:`` that does not exist or does not parse, is a finding, so one broken
message does not hide the findings of the others.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pipeline.errors import AudienceError, InputError, MessageError, UnknownFieldError
from pipeline.message import Message, load_message
from pipeline.pinpoint.sms import SmsTotals
from pipeline.project import (
    message_folders,
    message_name,
    resolve_audience,
    resolve_message,
    templates_root,
)
from pipeline.render.filters import cldr_locale
from pipeline.render.templating import locale_chain, make_environment
from pipeline.review.checks.findings import CHECKS, Check, Finding, FindingCollector, Severity
from pipeline.review.checks.static import check_message, read_settings
from pipeline.review.checks.templates import scan_message
from pipeline.review.checks.users import UserChecks
from pipeline.review.lintusers import LocaleUsers, check_audience
from pipeline.shard import Shard

__all__ = [
    "CHECKS",
    "Check",
    "Finding",
    "LintReport",
    "MessageLint",
    "Severity",
    "lint_message",
    "lint_messages",
]


@dataclass(frozen=True, slots=True)
class MessageLint:
    """The findings of one message, and what was rendered to find them."""

    name: str
    path: Path
    audience: Path | None
    users: int
    findings: tuple[Finding, ...]
    ignored: int  # findings dropped by the message's lint: {ignore: [...]}
    sms: SmsTotals | None = None  # the SMS parts of every user rendered, if any gets one

    def to_json(self) -> dict[str, Any]:
        """What was linted, as plain JSON values (the findings are listed on their own)."""
        return {
            "message_name": self.name,
            "audience": str(self.audience) if self.audience is not None else None,
            "users": self.users,
            "ignored": self.ignored,
            "sms": self.sms.to_json() if self.sms is not None else None,
        }


@dataclass(frozen=True, slots=True)
class LintReport:
    """The findings of every message linted."""

    messages: tuple[MessageLint, ...]

    @property
    def findings(self) -> list[Finding]:
        """Every finding, message by message."""
        return [finding for message in self.messages for finding in message.findings]

    @property
    def errors(self) -> int:
        """How many findings are errors."""
        return sum(finding.severity == "error" for finding in self.findings)

    @property
    def warnings(self) -> int:
        """How many findings are warnings."""
        return sum(finding.severity == "warning" for finding in self.findings)

    def failed(self, *, strict: bool = False) -> bool:
        """Whether the lint fails: any error, or with ``strict`` any finding at all."""
        return self.errors > 0 or (strict and self.warnings > 0)


def lint_messages(
    messages: Sequence[str | Path] = (),
    *,
    root: Path = Path(),
    audience: str | Path | None = None,
    variables: Mapping[str, str] | None = None,
    now: datetime | None = None,
    workers: int | None = None,
    shard: Shard | None = None,
) -> LintReport:
    """Lint several messages (every message under templates/ when none is given).

    Args:
        messages: names under ``templates/`` or paths to message folders.
        root: the project root holding ``templates/`` and ``audiences/``.
        audience: the audience for every message; by default each message's own
            ``audience:``.
        variables: values that override the messages' ``vars`` (``--var``).
        now: the run's clock (default: the current time, UTC).
        workers: processes that check an audience's users (default: the usable cores);
            the findings are the same for any number.
        shard: check only the users of this shard.

    Raises:
        InputError: a message or the audience does not exist, or there is no message.
    """
    folders = [resolve_message(root, str(ref)) for ref in messages] or message_folders(root)
    if not folders:
        raise InputError(
            f"no messages under {templates_root(root)}/",
            fix="add a folder with a message.yaml, or give --root",
        )
    audience_path = resolve_audience(root, str(audience)) if audience is not None else None
    clock = now or datetime.now(UTC).replace(microsecond=0)
    return LintReport(
        tuple(
            _lint(
                folder,
                root=root,
                audience=audience_path,
                variables=variables,
                now=clock,
                spread=_Spread(workers, shard),
            )
            for folder in folders
        )
    )


def lint_message(
    message: str | Path,
    *,
    root: Path = Path(),
    audience: str | Path | None = None,
    variables: Mapping[str, str] | None = None,
    now: datetime | None = None,
) -> MessageLint:
    """Lint one message against an audience (by default its declared ``audience:``)."""
    return lint_messages(
        [message], root=root, audience=audience, variables=variables, now=now
    ).messages[0]


@dataclass(frozen=True, slots=True)
class _Spread:
    """How the users are checked: on how many processes, and which shard of them."""

    workers: int | None = None
    shard: Shard | None = None


def _lint(
    folder: Path,
    *,
    root: Path,
    audience: Path | None,
    variables: Mapping[str, str] | None,
    now: datetime,
    spread: _Spread,
) -> MessageLint:
    found = FindingCollector(message_name(root, folder))
    try:
        message = load_message(root, folder)
    except MessageError as first:
        for error in (first, *first.more):  # every schema mistake of the file at once
            check = "unknown-field" if isinstance(error, UnknownFieldError) else "message-invalid"
            found.add_error(check, error)
        return MessageLint(found.message_name, folder, audience, 0, tuple(found.findings()), 0)
    settings = read_settings(message, found)
    templates = templates_root(root)
    scan = scan_message(message, make_environment(templates, None), templates)
    check_message(message, scan, found)
    checks = UserChecks(
        message,
        templates=templates,
        variables={**message.variables, **(variables or {})},
        now=now,
        scan=scan,
        settings=settings,
        found=found,
    )
    audience = audience or _declared_audience(root, message, found)
    users = 0
    if audience is not None:
        users = _check_users(message, audience, checks, found, spread)
    else:
        if message.audience is None:
            found.add(
                "no-audience",
                "no audience to render: only the checks that need no users ran",
                path=message.path,
                fix="declare a sample audience with 'audience: NAME' in message.yaml, or "
                "pass --audience",
            )
        checks.locale(message.locale)  # the envelope still renders and is checked
        _check_locales(message, None, checks, found)
    findings = found.findings(ignore=settings.ignore)
    ignored = len(found.findings()) - len(findings)
    sms = checks.sms if checks.sms.total_users else None
    return MessageLint(message.name, message.path, audience, users, tuple(findings), ignored, sms)


def _declared_audience(root: Path, message: Message, found: FindingCollector) -> Path | None:
    if message.audience is None:
        return None
    try:
        return resolve_audience(root, message.audience, declared=True)
    except AudienceError as error:
        found.add(
            "audience-invalid",
            error.what,
            path=message.path,
            line=message.line_of("audience"),
            fix=error.fix,
        )
        return None


def _check_users(
    message: Message,
    audience: Path,
    checks: UserChecks,
    found: FindingCollector,
    options: _Spread,
) -> int:
    """Render and check every user; returns how many were checked."""
    linted = check_audience(message, audience, checks, workers=options.workers, shard=options.shard)
    if linted.error is not None:
        found.add_error("audience-invalid", linted.error)
    _check_translations(message, checks, found, linted.locales)
    _check_locales(message, audience, checks, found, linted.locales)
    checks.sms_text_costs.report(found)
    return linted.checked


def _check_locales(
    message: Message,
    audience: Path | None,
    checks: UserChecks,
    found: FindingCollector,
    seen: LocaleUsers | None = None,
) -> None:
    """Locales CLDR does not know: their users' numbers and dates use a fallback's format.

    A locale that is the message's ``locale:`` is reported there; others come from the
    audience (``locale`` of a user or of its defaults).
    """
    locales: LocaleUsers = {
        locale: (state.users, state.user_count) for locale, state in checks.locales.items()
    }
    locales.update(seen or {})  # who uses each locale, counted over every chunk
    for locale, (users, user_count) in locales.items():
        cldr = cldr_locale(locale)
        if cldr.known:
            continue
        ours = locale == message.locale
        key = found.add(
            "unknown-locale",
            f"CLDR does not know the locale {locale!r}: numbers, money and dates are "
            f"written as for {cldr.tag!r}",
            path=message.path if ours or audience is None else audience,
            line=message.line_of("locale") if ours else None,
            fix="write a locale CLDR knows, such as 'fr-CA', 'pt-BR' or 'es-419'",
        )
        found.attach_many(key, users, user_count)


def _check_translations(
    message: Message, checks: UserChecks, found: FindingCollector, locales: LocaleUsers
) -> None:
    """Translated files that lack a translation for a locale the audience uses.

    The untranslated file is taken to be in the message's ``locale:``, so users whose
    language is that one need no translation; without ``locale:`` every locale does.
    """
    default = set(locale_chain(message.locale))
    for template in checks.scan.files.values():
        if not template.translations or template.base is None:
            continue
        for locale, (users, count) in locales.items():
            if locale is None or template.covers(locale) or default & set(locale_chain(locale)):
                continue
            key = found.add(
                "missing-translation",
                f"{template.name} is translated ({', '.join(sorted(template.translations))}) "
                f"but not for {locale}: those users get {template.base.name}",
                path=template.base,
                fix=f"add {_translation_name(template.base, locale)}, or set the message's "
                "'locale:' to the language of the untranslated files",
            )
            found.attach_many(key, users, count)


def _translation_name(base: Path, locale: str) -> str:
    language = locale_chain(locale)[-1]
    stem, _, extension = base.name.rpartition(".")
    return f"{stem}.{language}.{extension}" if stem else f"{base.name}.{language}"
