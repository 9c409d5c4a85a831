"""Rendering: a message and an audience become validated requests, for either send API.

Users are grouped by locale; each locale's envelope (MessageConfiguration, Context,
TraceId) is rendered once, and each user's per-user fields once (see ``peruser``). The
rendered users are then packed for the API chosen: SendUsersMessages (``batch``) or
SendMessages to the users' addresses (``address_batch``); rendering itself does not depend
on the API, so both carry the same text to every recipient.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jinja2 import meta

from pipeline.api import (
    APIS,
    MESSAGES_API,
    USERS_API,
    ApiRequest,
    EndpointSendConfiguration,
    Envelope,
    to_json,
    validate_request,
)
from pipeline.audience import Audience, User, load_audience
from pipeline.errors import AudienceError, InputError, TemplateError, UserInBlockError
from pipeline.message import Message, load_message
from pipeline.project import resolve_audience, resolve_message, templates_root
from pipeline.render.address_batch import AddressBatcher, AddressedRequest, Rendered, Unaddressed
from pipeline.render.batch import RequestBatcher
from pipeline.render.peruser import PerUserTemplate, compile_field, dotted
from pipeline.render.templating import (
    PipelineEnvironment,
    UserOutOfScope,
    make_environment,
    template_error,
)
from pipeline.shard import Shard
from pipeline.unsendable import describe, find_unsendable
from pipeline.yamlfile import YamlPath

USER_OUT_OF_SCOPE = (
    "'user' is not available in MessageConfiguration: a channel block is shared by every "
    "user of a request. Put per-user text in PerUser (BodyOverride, TitleOverride), or "
    "write sub('Name') in the block and set Name under PerUser.Substitutions"
)


@dataclass(frozen=True, slots=True)
class RenderedUser:
    """One user's per-user configuration, the envelope it goes with, and a size bound."""

    user: User
    locale: str | None
    envelope: Envelope
    configuration: EndpointSendConfiguration
    max_bytes: int  # an upper bound of the configuration's JSON size, id included


@dataclass(slots=True)
class _LocaleRenderer:
    """A message compiled for one locale: its envelope and its per-user template."""

    envelope: Envelope
    render: Callable[[User], tuple[EndpointSendConfiguration, int]]


@dataclass(slots=True)
class MessageRenderer:
    """Renders one message for many users; templates compile once per locale, lazily."""

    message: Message
    templates: Path
    variables: Mapping[str, Any]
    now: datetime
    _locales: dict[str | None, _LocaleRenderer] = field(default_factory=dict)

    def locale_of(self, user: User) -> str | None:
        """The user's locale: user.locale (audience defaults included), else the message's."""
        locale = user.attributes.get("locale") or self.message.locale
        if locale is not None and not isinstance(locale, str):
            raise AudienceError(
                f"locale must be a string like 'fr-CA', not {locale!r}",
                user_id=user.id,
                field="locale",
            )
        return locale

    def render_user(self, user: User) -> RenderedUser:
        """Render one user's per-user fields (and, first time per locale, the envelope)."""
        locale = self.locale_of(user)
        renderer = self._locales.get(locale)
        if renderer is None:
            renderer = self._locales[locale] = self._compile(locale)
        configuration, max_bytes = renderer.render(user)
        return RenderedUser(user, locale, renderer.envelope, configuration, max_bytes)

    def _compile(self, locale: str | None) -> _LocaleRenderer:
        environment = make_environment(self.templates, locale)
        scope = template_scope(environment, self.message, self.variables, locale, self.now)
        body = render_envelope(self.message, environment, scope)
        key = to_json(body)
        per_user = PerUserTemplate(self.message, environment, scope)
        return _LocaleRenderer(Envelope(body, key, len(key.encode())), per_user.render)


def template_scope(
    environment: PipelineEnvironment,
    message: Message,
    variables: Mapping[str, Any],
    locale: str | None,
    now: datetime,
) -> dict[str, Any]:
    """What every template of a locale sees, ``user`` aside (set per user).

    The environment's date filters read the user's ``time_zone`` from this scope.
    """
    scope = {
        **environment.globals,
        "vars": dict(variables),
        "locale": locale,
        "now": now,
        "message": message.name,
    }
    environment.formats.bind(scope)
    return scope


# Called with the place and the error of a field that fails; the field becomes None.
OnFieldError = Callable[[YamlPath, TemplateError], None]


def render_envelope(
    message: Message,
    environment: PipelineEnvironment,
    scope: dict[str, Any],
    *,
    on_error: OnFieldError | None = None,
) -> dict[str, Any]:
    """Render Context, MessageConfiguration and TraceId once for a locale.

    ``user`` is out of scope: a reference to it is an error that explains where per-user
    text goes. By default the first failing field raises; lint passes ``on_error`` to
    collect every failing field instead.
    """
    scope = {**scope, "user": environment.undefined(
        hint=USER_OUT_OF_SCOPE, name="user", exc=UserOutOfScope
    )}
    parts: dict[str, Any] = {
        "Context": message.context or None,
        "MessageConfiguration": message.configuration,
        "TraceId": message.trace_id,
    }

    def walk(value: Any, where: YamlPath) -> Any:
        if isinstance(value, dict):
            return {key: walk(item, (*where, key)) for key, item in value.items()}
        if isinstance(value, list):
            return [walk(item, (*where, index)) for index, item in enumerate(value)]
        if not isinstance(value, str):
            return value  # non-string fields keep their YAML types
        try:
            return _render_field(value, where, message, environment, scope)
        except TemplateError as error:
            if on_error is None:
                raise
            on_error(where, error)
            return None

    return {key: walk(value, (key,)) for key, value in parts.items() if value is not None}


def _render_field(
    source: str,
    where: YamlPath,
    message: Message,
    environment: PipelineEnvironment,
    scope: dict[str, Any],
) -> str:
    template = compile_field(message, environment, source, where)
    if "user" in meta.find_undeclared_variables(environment.parse(source)):
        raise UserInBlockError(
            USER_OUT_OF_SCOPE,
            path=message.path,
            line=message.text_line_of(*where),
            field=dotted(where),
        )
    try:
        text = template.render(scope)
    except Exception as exc:
        raise template_error(
            exc, path=message.path, line=message.text_line_of(*where), field=dotted(where)
        ) from exc
    if not text.isascii() and (found := find_unsendable(text)):  # e.g. '%c' % 55296
        what, fix = describe(found)
        raise TemplateError(
            f"{what} in the rendered text",
            path=message.path,
            line=message.text_line_of(*where),
            field=dotted(where),
            fix=fix,
        )
    return text


def render_requests(
    message: str | Path,
    audience: str | Path,
    *,
    app_id: str,
    root: Path = Path(),
    variables: Mapping[str, str] | None = None,
    now: datetime | None = None,
    api: str = USERS_API,
    shard: Shard | None = None,
) -> Iterator[Rendered]:
    """Render a message for every user of an audience into validated requests.

    The message and the audience's defaults are checked before the first request is
    yielded; errors in later users surface while iterating, so a caller that must not
    act on half a run (a file write, a send) consumes everything first.

    With the users API every item is an ``ApiRequest``; with ``send-messages`` each is an
    ``AddressedRequest`` (the request and the user of each address) or ``Unaddressed``
    (users without addresses, who are in no request).

    Args:
        message: a folder name under ``templates/`` or a path to a message folder.
        audience: a name under ``audiences/`` or a path to an audience file.
        app_id: the Pinpoint application id written into every request.
        root: the project root holding ``templates/`` and ``audiences/``.
        variables: values that override the message's ``vars`` (``--var``).
        now: the run's clock (default: the current time, UTC).
        api: ``send-users-messages`` (the default) or ``send-messages``.
        shard: render only the users of this shard.
    """
    if api not in APIS:
        raise InputError(f"unknown API {api!r}", fix=f"use one of {', '.join(APIS)}")
    renderer, opened = open_render(
        message, audience, app_id=app_id, root=root, variables=variables, now=now
    )
    if api == MESSAGES_API:
        return address_requests(renderer, opened.users(shard), AddressBatcher(app_id))
    return batch_requests(renderer, opened.users(shard), RequestBatcher(app_id))


def open_render(
    message: str | Path,
    audience: str | Path,
    *,
    app_id: str,
    root: Path,
    variables: Mapping[str, str] | None,
    now: datetime | None,
) -> tuple[MessageRenderer, Audience]:
    """The message loaded and compiled lazily, and the audience opened: a render's start."""
    if not app_id:
        raise InputError("no application id", fix="pass --app-id or set PIPELINE_APP_ID")
    loaded = load_message(root, resolve_message(root, str(message)))
    opened = load_audience(resolve_audience(root, str(audience)))
    renderer = MessageRenderer(
        loaded,
        templates_root(root),
        {**loaded.variables, **(variables or {})},
        now or datetime.now(UTC).replace(microsecond=0),
    )
    return renderer, opened


def batch_requests(
    renderer: MessageRenderer, users: Iterator[User], batcher: RequestBatcher
) -> Iterator[ApiRequest]:
    """Render users one by one and batch them into validated requests."""
    render_user, add = renderer.render_user, batcher.add
    for user in users:
        rendered = render_user(user)
        for request in add(rendered.envelope, user.id, rendered.configuration, rendered.max_bytes):
            validate_request(request)
            yield request
    for request in batcher.flush():
        validate_request(request)
        yield request


def address_requests(
    renderer: MessageRenderer, users: Iterator[User], batcher: AddressBatcher
) -> Iterator[AddressedRequest | Unaddressed]:
    """Render users one by one and pack their addresses into validated requests."""
    render_user, add = renderer.render_user, batcher.add
    for user in users:
        rendered = render_user(user)
        for item in add(rendered.envelope, user, rendered.configuration, rendered.max_bytes):
            if isinstance(item, AddressedRequest):
                validate_request(item.request)
            yield item
    for item in batcher.flush():
        if isinstance(item, AddressedRequest):
            validate_request(item.request)
        yield item
