"""The preview site: every message's sample recipients, each channel drawn on its device.

The sample recipients of a message are the first user of each locale in its audience,
plus the users asked for; every channel the message reaches is shown for each. The text
is ``preview_message``'s (Pinpoint's composition, SMS analysis, payload sizes), so a page
says exactly what ``pipeline preview --format json`` says for the same user and channel.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from pipeline.audience import load_audience
from pipeline.errors import InputError, PipelineError
from pipeline.message import Message, load_message
from pipeline.project import (
    TEMPLATES_DIR,
    message_folders,
    message_name,
    resolve_audience,
    resolve_message,
    templates_root,
)
from pipeline.render.renderer import MessageRenderer
from pipeline.review.html.pages import render_page
from pipeline.review.html.sitedir import Site, write_site
from pipeline.review.html.views import ChannelView, view_delivered
from pipeline.review.preview import preview_message


@dataclass(frozen=True, slots=True)
class Recipient:
    """A sample recipient: who, why they were picked, and each channel as drawn."""

    user_id: str
    locale: str | None
    reason: str
    locale_users: int
    views: tuple[ChannelView, ...]


@dataclass(frozen=True, slots=True)
class PageError:
    """Why a message could not be previewed: where (file:line) and the whole message."""

    where: str | None
    text: str

    @classmethod
    def of(cls, error: PipelineError) -> PageError:
        """The error as a page shows it."""
        where = None
        if error.path is not None:
            where = f"{error.path}:{error.line}" if error.line else error.path
        return cls(where, str(error))


@dataclass(frozen=True, slots=True)
class MessagePage:
    """One message's page: its audience, locales, channels and sample recipients."""

    name: str
    href: str
    description: str | None = None
    audience: str | None = None
    users: int = 0
    locales: tuple[tuple[str | None, int], ...] = ()
    channels: tuple[str, ...] = ()
    recipients: tuple[Recipient, ...] = ()
    error: PageError | None = None

    @property
    def up(self) -> str:
        """The relative path from this page back to the site's root."""
        return "../" * (self.href.count("/"))


def write_preview_site(target: Path, messages: Sequence[str] = (), **options: Any) -> Site:
    """``build_preview_site`` with the same options, written to ``target`` all or nothing."""
    site = build_preview_site(messages, **options)
    write_site(site, target)
    return site


def build_preview_site(
    messages: Sequence[str] = (),
    *,
    audience: str | None = None,
    root: Path = Path(),
    variables: Mapping[str, str] | None = None,
    now: datetime | None = None,
    users: Collection[str] = (),
    channels: Collection[str] = (),
    keep_going: bool = False,
    live_version: int | None = None,
) -> Site:
    """The preview site of ``messages`` (default: every message under templates/).

    Args:
        messages: Names under ``templates/`` or paths to message folders.
        audience: The audience of every message; default: each message's ``audience:``.
        root: The project root.
        variables: Values that override the messages' ``vars``.
        now: The clock of every message (default: the current time, UTC).
        users: User ids shown besides the first user of each locale.
        channels: The channels shown (default: every channel a message reaches).
        keep_going: Show a message that fails on its page (``pipeline serve``) instead
            of raising.
        live_version: The build's number, for pages that reload themselves when it
            changes; None for a static site.

    Raises:
        InputError: No message, or (unless ``keep_going``) a message that does not
            preview: its error, with file and line.
    """
    refs = list(messages) or [str(folder) for folder in message_folders(root)]
    if not refs:
        raise InputError(
            f"no messages under {templates_root(root)}/",
            fix=f"point --root at the project (the folder holding {TEMPLATES_DIR}/)",
        )
    clock = now or datetime.now(UTC).replace(microsecond=0)
    pages = [
        _message_page(ref, audience, root, variables or {}, clock, users, channels, keep_going)
        for ref in refs
    ]
    site = {"index.html": render_page("index.html.j2", messages=pages, live_version=live_version)}
    for page in pages:
        site[page.href] = render_page("message.html.j2", message=page, live_version=live_version)
    return site


def page_path(name: str) -> str:
    """Where a message's page lives in the site, e.g. ``messages/order_shipped.html``."""
    return str(PurePosixPath("messages", *PurePosixPath(name).parts)) + ".html"


def _message_page(
    ref: str,
    audience: str | None,
    root: Path,
    variables: Mapping[str, str],
    now: datetime,
    users: Collection[str],
    channels: Collection[str],
    keep_going: bool,
) -> MessagePage:
    name = ref
    try:
        folder = resolve_message(root, ref)
        name = message_name(root, folder)
        message = load_message(root, folder)
        if audience is not None:
            path = resolve_audience(root, audience)
        elif message.audience is not None:
            path = resolve_audience(root, message.audience, declared=True)
        else:
            raise InputError(
                f"message {name!r} names no audience to preview it for",
                path=message.path,
                fix="add 'audience: NAME' to its message.yaml, or give an audience",
            )
        return _preview(message, name, path, root, variables, now, users, channels)
    except PipelineError as error:
        if not keep_going:
            raise
        return MessagePage(name, page_path(name), error=PageError.of(error))


def _preview(
    message: Message,
    name: str,
    path: Path,
    root: Path,
    variables: Mapping[str, str],
    now: datetime,
    users: Collection[str],
    channels: Collection[str],
) -> MessagePage:
    # Only to find each user's locale, the way a render does; nothing is rendered here.
    renderer = MessageRenderer(message, templates_root(root), {}, now)
    counts: Counter[str | None] = Counter()
    reasons: dict[str, str] = dict.fromkeys(users, "Asked for")
    for user in load_audience(path).users():
        locale = renderer.locale_of(user)
        if not counts[locale]:
            reasons.setdefault(user.id, f"First user in {locale or 'no locale'}")
        counts[locale] += 1
    previews = preview_message(
        message.folder,
        path,
        root=root,
        variables=variables,
        now=now,
        users=list(reasons),
        channels=channels,
    )
    recipients = tuple(
        Recipient(
            preview.user_id,
            preview.locale,
            reasons[preview.user_id],
            counts[preview.locale],
            tuple(view_delivered(delivered) for delivered in preview.deliveries),
        )
        for preview in previews
    )
    reached = recipients[0].views if recipients else ()
    return MessagePage(
        name=name,
        href=page_path(name),
        description=message.description,
        audience=str(path),
        users=sum(counts.values()),
        locales=tuple(counts.items()),
        channels=tuple(view.channel for view in reached),
        recipients=recipients,
    )
