"""Lint's pass over an audience: every user rendered and checked, on every core.

Each worker checks whole chunks of the audience (``pipeline.chunks``) into a collector of
its own per chunk; this process merges the collectors in audience order, which gives the
findings one process would have found: the same counts, the same first users and details
(``FindingCollector.merge``). Each chunk also says who uses each locale, for the
missing-translation check, which runs once on the merged figures.

A problem with the audience itself stops the pass where one read would stop: at a
malformed line (the chunk stops there), or at an id that repeats one of an earlier chunk.
A chunk already checked past such an id is checked again here, up to it.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import chain, islice
from pathlib import Path

from pipeline.audience import Audience, User, load_audience, no_users_error
from pipeline.chunks import Chunk, ChunkRead, IdsAcrossChunks, read_chunk, split_audience
from pipeline.errors import AudienceError
from pipeline.message import Message
from pipeline.pinpoint.sms import SmsTotals
from pipeline.render.renderer import MessageRenderer
from pipeline.review.checks.findings import USER_SAMPLE, FindingCollector
from pipeline.review.checks.sms_text import SmsTextCosts
from pipeline.review.checks.users import UserChecks
from pipeline.shard import Shard
from pipeline.workers import ordered_map, usable_cores

# Per locale: its first users and how many there are.
LocaleUsers = dict[str | None, tuple[list[str], int]]


@dataclass(slots=True)
class LintedUsers:
    """What checking a run of users found.

    Attributes:
        found: The findings.
        checked: Users checked.
        locales: Who uses each locale, in order of first appearance.
        read: What reading a chunk noted, for the checks across chunks (ids, addresses).
        error: The audience problem that stopped the run, if any (not yet a finding).
    """

    found: FindingCollector
    checked: int = 0
    locales: LocaleUsers = field(default_factory=dict)
    read: ChunkRead = field(default_factory=ChunkRead)
    error: AudienceError | None = None
    out_of_time: bool = False  # a render ran out of time: no user after it is rendered
    sms: SmsTotals | None = None  # a chunk's SMS totals (the whole pass's are the checks')
    sms_text_costs: SmsTextCosts | None = None  # and the cost of its SMS text


def check_audience(
    message: Message,
    path: Path,
    checks: UserChecks,
    *,
    workers: int | None = None,
    shard: Shard | None = None,
) -> LintedUsers:
    """Render and check every user of the audience at ``path`` into ``checks.found``."""
    found = checks.found
    try:
        audience = load_audience(path)
    except AudienceError as error:
        return LintedUsers(found, error=error)
    linter = _Linter(message, checks, audience, shard)
    workers = usable_cores() if workers is None else workers
    chunks = split_audience(audience)
    try:
        first = list(islice(chunks, 2)) if workers > 1 else []
    except AudienceError as error:
        return LintedUsers(found, error=error)
    try:
        if len(first) < 2:
            return linter.check(audience.users(shard), found)
        return _merged(linter, audience, chain(first, chunks), workers, found)
    finally:
        checks.found = checks.deliveries.found = found


def _merged(
    linter: _Linter,
    audience: Audience,
    chunks: Iterator[Chunk],
    workers: int,
    found: FindingCollector,
) -> LintedUsers:
    total = LintedUsers(found)
    ids = IdsAcrossChunks(audience)
    records = 0
    for chunk, linted in _outcomes(linter, chunks, workers):
        records += linted.read.tally.records
        duplicate = ids.first_duplicate(linted.read)
        if duplicate is not None:
            # Checked past the repeated id: check the chunk again, up to it, here.
            place, error = duplicate
            linted = linter(chunk, limit=place)
            linted.error = error
        _add(total, linted, linter.checks)
        if linted.error is not None:
            total.error = linted.error
            return total
    if records == 0:
        total.error = no_users_error(audience.path)
    return total


def _outcomes(
    linter: _Linter, chunks: Iterator[Chunk], workers: int
) -> Iterator[tuple[Chunk, LintedUsers]]:
    """Each chunk with what checking it found, in order: by the workers, then maybe here."""
    handed: deque[Chunk] = deque()  # chunks handed out, oldest first: results come in order

    def tasks() -> Iterator[Chunk]:
        for chunk in chunks:
            handed.append(chunk)
            yield chunk

    pool = ordered_map(linter, tasks(), workers=workers)
    for linted in pool:
        yield handed.popleft(), linted
        if linted.out_of_time:
            break
    else:
        return
    # A render ran out of time: one process renders no further user (each could take as
    # long again), so the rest is read here, unrendered, for its counts and its lines'
    # problems.
    pool.close()
    linter.checks.out_of_time = True
    for chunk in [*handed, *chunks]:
        yield chunk, linter(chunk)


def _add(total: LintedUsers, linted: LintedUsers, checks: UserChecks) -> None:
    """Merge a chunk's findings, counts and SMS figures into the whole pass's."""
    total.found.merge(linted.found)
    total.checked += linted.checked
    if linted.sms is not None:
        checks.sms.merge(linted.sms)
    if linted.sms_text_costs is not None:
        checks.sms_text_costs.merge(linted.sms_text_costs)
    for locale, (users, count) in linted.locales.items():
        seen, before = total.locales.get(locale, ([], 0))
        total.locales[locale] = ([*seen, *users][:USER_SAMPLE], before + count)


@dataclass(slots=True)
class _Linter:
    """Checks runs of users: a worker's chunks, or the whole audience here."""

    message: Message
    checks: UserChecks
    audience: Audience
    shard: Shard | None

    def __call__(self, chunk: Chunk, limit: int | None = None) -> LintedUsers:
        """Check one chunk (its first ``limit`` users) into a collector of its own."""
        users, read = read_chunk(self.audience, chunk, self.shard)
        found = FindingCollector(self.checks.found.message_name)
        checks = self.checks
        kept = checks.sms, checks.sms_text_costs
        checks.sms, checks.sms_text_costs = SmsTotals(), SmsTextCosts()
        try:
            linted = self.check(users if limit is None else islice(users, limit), found)
            linted.sms, linted.sms_text_costs = checks.sms, checks.sms_text_costs
        finally:
            checks.sms, checks.sms_text_costs = kept
        linted.read = read
        return linted

    def check(self, users: Iterator[User], found: FindingCollector) -> LintedUsers:
        """Check ``users`` into ``found``."""
        checks = self.checks
        checks.found = checks.deliveries.found = found
        for state in checks.locales.values():  # from here on, who uses each locale
            state.users, state.user_count = [], 0
        linted = LintedUsers(found)
        locale_of = MessageRenderer(self.message, checks.templates, {}, checks.now).locale_of
        try:
            for user in users:
                try:
                    locale = locale_of(user)
                except AudienceError as error:
                    found.add_error("audience-invalid", error, user_id=user.id)
                    continue
                checks.check_user(user, locale)
                linted.checked += 1
        except AudienceError as error:
            linted.error = error
        linted.out_of_time = checks.out_of_time
        linted.locales = {
            locale: (state.users, state.user_count)
            for locale, state in checks.locales.items()
            if state.user_count
        }
        return linted
