"""Checks that render every user of an audience, the way ``render`` does, collecting errors.

Each locale is compiled once, as in ``render``: the envelope (MessageConfiguration,
Context, TraceId) rendered once, and the per-user fields through ``PerUserTemplate``'s
single Jinja call per user. A user whose fast path fails is rendered again field by field,
so every failing field is reported, not only the first; users who render cleanly raise no
exception. A broken envelope does not stop the per-user checks, nor the reverse.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import jinja2

from pipeline.api import EndpointSendConfiguration
from pipeline.audience import User
from pipeline.errors import (
    MissingTemplateError,
    RenderTimeError,
    TemplateError,
    TemplateSyntaxError,
    UndefinedValueError,
    UserInBlockError,
)
from pipeline.message import Message
from pipeline.pinpoint.channels import channels_of
from pipeline.pinpoint.delivery import deliver
from pipeline.pinpoint.sms import SmsTotals
from pipeline.render.peruser import PerUserTemplate, compile_field, dotted
from pipeline.render.renderer import render_envelope, template_scope
from pipeline.render.templating import PipelineEnvironment, make_environment, template_error
from pipeline.review.checks.findings import USER_SAMPLE, FindingCollector, Key
from pipeline.review.checks.received import DeliveryChecks, check_envelope, json_error
from pipeline.review.checks.sms_text import SmsText, SmsTextCosts, sms_text
from pipeline.review.checks.static import LintSettings
from pipeline.review.checks.templates import TemplateScan
from pipeline.yamlfile import YamlPath

USER_IN_BLOCK = (
    "'user' is not available in MessageConfiguration: a channel block is shared by every "
    "user of a request"
)
USER_IN_BLOCK_FIX = (
    "put per-user text in PerUser (BodyOverride, TitleOverride), or write sub('Name') in "
    "the block and set Name under PerUser.Substitutions"
)


@dataclass(slots=True)
class LocaleState:
    """A message compiled for one locale, and what every user of that locale shares."""

    scope: dict[str, Any]
    envelope: dict[str, Any] | None  # None when one of its fields failed to render
    per_user: PerUserTemplate | None  # None when a PerUser field does not compile
    fields: list[tuple[YamlPath, jinja2.Template]]  # the PerUser fields that compile
    shared: list[Key] = field(default_factory=list)  # findings every user here has
    sms_text: SmsText = field(default_factory=SmsText)
    users: list[str] = field(default_factory=list)  # the first few, for findings
    user_count: int = 0


class UserChecks:
    """Renders users one by one and records what is wrong with what they receive."""

    def __init__(
        self,
        message: Message,
        *,
        templates: Path,
        variables: Mapping[str, Any],
        now: datetime,
        scan: TemplateScan,
        settings: LintSettings,
        found: FindingCollector,
    ) -> None:
        self.message = message
        self.templates = templates
        self.variables = dict(variables)
        self.now = now
        self.scan = scan
        self.found = found
        self.deliveries = DeliveryChecks(message, scan=scan, settings=settings, found=found)
        self.channels = channels_of(message.configuration)
        self.locales: dict[str | None, LocaleState] = {}
        self.sms = SmsTotals()  # the parts of every user's SMS, by encoding
        self.sms_text_costs = SmsTextCosts()
        # Once a render runs out of time, no more users are rendered: each could take as
        # long again, and lint must end within seconds whatever a pull request writes.
        self.out_of_time = False

    def locale(self, locale: str | None) -> LocaleState:
        """The compiled state of a locale, built the first time it is asked for."""
        state = self.locales.get(locale)
        if state is None:
            state = self.locales[locale] = self._compile(locale)
        return state

    def check_user(self, user: User, locale: str | None) -> None:
        """Render one user and check what they receive on every channel."""
        if self.out_of_time:
            return
        state = self.locale(locale)
        state.user_count += 1
        if len(state.users) < USER_SAMPLE:
            state.users.append(user.id)
        for key in state.shared:
            self.found.attach(key, user.id)
        if state.per_user is None:
            state.scope["user"] = user.attributes
            self._diagnose(state, user)
            return
        try:
            configuration, _ = state.per_user.render(user)
        except RenderTimeError as error:
            self._stop(error, user.id)
            return
        except TemplateError:
            self._diagnose(state, user)
            return
        if state.envelope is not None:
            self._check_deliveries(state.envelope, state, user, configuration)

    def _check_deliveries(
        self,
        envelope: dict[str, Any],
        state: LocaleState,
        user: User,
        configuration: EndpointSendConfiguration,
    ) -> None:
        request = {**envelope, "Users": {user.id: configuration}}
        check, text = self.deliveries.check, state.sms_text
        for channel in self.channels:
            delivered = deliver(request, user.id, channel)
            check(delivered, user.id, configuration, sms_template_gsm=text.gsm)
            sms = delivered.sms
            if sms is not None and not delivered.raw and delivered.body is not None:
                self.sms.add(sms)
                if text.reported and sms.encoding == "UCS-2":
                    self.sms_text_costs.add(text, user.id, sms, delivered.body)

    # --- compiling a locale ------------------------------------------------------------

    def _compile(self, locale: str | None) -> LocaleState:
        environment = make_environment(self.templates, locale)
        scope = template_scope(environment, self.message, self.variables, locale, self.now)
        shared: list[Key] = []
        envelope, complete = self.render_envelope(environment, scope, shared)
        shared += check_envelope(self.message, envelope, self.found)
        try:
            per_user: PerUserTemplate | None = PerUserTemplate(self.message, environment, scope)
        except TemplateError:
            per_user = None  # each field is compiled alone below, to report every error
        fields = self._per_user_fields(environment, per_user)
        text = sms_text(self.message, self.scan, locale, self.variables)
        return LocaleState(scope, envelope if complete else None, per_user, fields, shared, text)

    def _per_user_fields(
        self, environment: PipelineEnvironment, per_user: PerUserTemplate | None
    ) -> list[tuple[YamlPath, jinja2.Template]]:
        if per_user is not None:
            return [
                (("PerUser", *where), template)
                for (where, _), template in zip(per_user.fields, per_user.templates, strict=True)
            ]
        fields = []
        for where, source in self.scan.fields.items():
            if where[0] == "PerUser":
                try:
                    fields.append((where, compile_field(self.message, environment, source, where)))
                except TemplateError as error:
                    self.found.add_error("template-syntax", error)
        return fields

    def render_envelope(
        self, environment: PipelineEnvironment, scope: dict[str, Any], shared: list[Key]
    ) -> tuple[dict[str, Any], bool]:
        """A locale's envelope as ``render`` builds it, and whether every field rendered.

        A field that fails is None in the envelope. Every failing field is recorded; the
        findings of runtime failures go to ``shared`` so that each user of the locale is
        counted in them.
        """
        failed = False

        def record(where: YamlPath, error: TemplateError) -> None:
            nonlocal failed
            failed = True
            if isinstance(error, RenderTimeError):
                self._stop(error, None)
            elif isinstance(error, UserInBlockError):
                shared.append(self._user_in_block(error.path, error.line, where))
            elif isinstance(error, TemplateSyntaxError):
                self.found.add_error("template-syntax", error)
            else:
                shared.append(self.found.add_error(_classify(error), error))

        body = render_envelope(self.message, environment, scope, on_error=record)
        return body, not failed

    def _user_in_block(self, path: str | Path | None, line: int | None, where: YamlPath) -> Key:
        return self.found.add(
            "user-in-block",
            f"{USER_IN_BLOCK} (in {dotted(where)})",
            path=path,
            line=line,
            fix=USER_IN_BLOCK_FIX,
        )

    # --- a user who fails --------------------------------------------------------------

    def _diagnose(self, state: LocaleState, user: User) -> None:
        """Render a failing user field by field and record every field that fails."""
        message, scope = self.message, state.scope
        failures = 0
        for where, template in state.fields:
            line = message.text_line_of(*where)
            try:
                text = template.render(scope)
            except Exception as exc:
                failures += 1
                error = template_error(exc, path=message.path, line=line, field=dotted(where))
                if isinstance(error, RenderTimeError):
                    self._stop(error, user.id)
                    return
                self.found.add_error(_classify(error), error, user_id=user.id)
                continue
            if where == ("PerUser", "RawContent") and (problem := json_error(text)):
                failures += 1
                self.found.add(
                    "raw-content-json",
                    "PerUser.RawContent does not render to valid JSON",
                    path=message.path,
                    line=line,
                    fix="RawContent must render to a JSON document; use the tojson filter",
                    user_id=user.id,
                    details=(problem,),
                    label="errors:",
                )
        if failures == 0 and state.per_user is not None:
            # Each field renders alone, yet the user fails: report what render would say.
            try:
                state.per_user.render(user)
            except TemplateError as error:
                self.found.add_error("render-failed", error, user_id=user.id)

    def _stop(self, error: RenderTimeError, user_id: str | None) -> None:
        """Record a render that ran out of time, and render no further users."""
        self.out_of_time = True
        stopped = RenderTimeError(
            f"{error.what}; lint rendered no further users of this message",
            path=error.path,
            line=error.line,
            field=error.field,
            fix=error.fix,
        )
        self.found.add_error("render-failed", stopped, user_id=user_id)


def _classify(error: TemplateError) -> str:
    """The check id of a template's failure, by its kind."""
    if isinstance(error, TemplateSyntaxError):
        return "template-syntax"
    if isinstance(error, MissingTemplateError):
        return "template-not-found"
    if isinstance(error, UserInBlockError):
        return "user-in-block"
    if isinstance(error, UndefinedValueError):
        return "undefined"
    return "render-failed"
