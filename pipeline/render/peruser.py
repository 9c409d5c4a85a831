"""Per-user fields: every template string of ``PerUser`` compiled into one Jinja call.

The per-user hot path is one Jinja call per user: every per-user field (overrides,
substitutions, context, raw content) is compiled into one template whose outputs are
separated by a control character, rendered against a scope dict that is reused rather
than copied, then split and assembled by a builder generated once per message.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import jinja2

from pipeline.api import EndpointSendConfiguration
from pipeline.audience import User
from pipeline.errors import TemplateError
from pipeline.message import Message
from pipeline.render.templating import PipelineEnvironment, template_error
from pipeline.unsendable import describe, find_unsendable
from pipeline.yamlfile import YamlPath

# Separates the per-user fields in the one rendered string; a user whose data contains it
# is rendered field by field instead, so it can never shift a value into the wrong field.
FIELD_SEPARATOR = "\x1f"


def compile_field(
    message: Message, environment: PipelineEnvironment, source: str, where: YamlPath
) -> jinja2.Template:
    """Compile one template string of message.yaml, reporting errors at its line."""
    line = message.text_line_of(*where)
    try:
        code = environment.compile(source, name=None, filename=str(message.path))
        return environment.template_class.from_code(environment, code, environment.globals)
    except jinja2.TemplateSyntaxError as exc:
        exc.filename = None  # the line is within the field; template_error adds the offset
        raise template_error(exc, path=message.path, line=line, field=dotted(where)) from exc


def dotted(where: YamlPath) -> str:
    """A place in message.yaml as text, e.g. ``PerUser.Substitutions.FirstName``."""
    return ".".join(str(part) for part in where)


class PerUserTemplate:
    """All per-user fields of a message compiled into one template and one builder."""

    def __init__(
        self, message: Message, environment: PipelineEnvironment, scope: dict[str, Any]
    ) -> None:
        self.message = message
        self.scope = scope
        self.fields = _per_user_fields(message.per_user)
        self.templates = [
            compile_field(message, environment, source, ("PerUser", *where))
            for where, source in self.fields
        ]
        self.build = _builder(message.per_user, self.fields)
        self.raw_content = "RawContent" in message.per_user
        # {% with %} keeps a {% set %} in one field from leaking into the next.
        combined = FIELD_SEPARATOR.join(
            "{% with %}" + source + "{% endwith %}" for _, source in self.fields
        )
        self.combined = (
            compile_field(message, environment, combined, ("PerUser",))
            if self.fields and "extends" not in combined
            else None
        )
        # One Context for every user: its parent is ``scope`` itself, whose ``user`` entry
        # is replaced per user. Creating a Context per call costs a third of the render.
        self.context = self.combined.new_context(scope, shared=True) if self.combined else None
        # JSON of a string is at most 6 bytes per character (\u001f) plus quotes; keys
        # and punctuation are the size of the configuration with every field empty.
        empty = self.build([""] * len(self.fields))
        self.overhead = len(json.dumps(empty, ensure_ascii=False).encode()) + 8

    def render(self, user: User) -> tuple[EndpointSendConfiguration, int]:
        """One user's configuration and an upper bound of its JSON size in bytes."""
        scope = self.scope
        scope["user"] = user.attributes
        parts: list[str] | None = None
        text = ""
        combined, context = self.combined, self.context
        if combined is not None and context is not None:
            if context.vars:
                context.vars.clear()  # top-level assignments of the previous user
                context.exported_vars.clear()
            try:
                text = combined.environment.concat(combined.root_render_func(context))
                parts = text.split(FIELD_SEPARATOR)
            except Exception:
                parts = None  # rendered again field by field below, for a precise error
            if parts is not None and len(parts) != len(self.fields):
                parts = None
        if parts is None:
            parts = self._render_fields(user)
            text = FIELD_SEPARATOR.join(parts)
        if not text.isascii():  # one C call in the common case: only non-ASCII can fail
            self._check_encodable(text, parts, user)
        configuration = self.build(parts)
        if self.raw_content:
            self._check_raw_content(configuration, user)
        size = sum(map(len, parts)) + len(user.id)
        return configuration, 6 * size + self.overhead

    def _render_fields(self, user: User) -> list[str]:
        parts = []
        for (where, _), template in zip(self.fields, self.templates, strict=True):
            try:
                parts.append(template.render(self.scope))
            except Exception as exc:
                raise template_error(
                    exc,
                    path=self.message.path,
                    line=self.message.text_line_of("PerUser", *where),
                    field=dotted(("PerUser", *where)),
                    user_id=user.id,
                ) from exc
        return parts

    def _check_encodable(self, text: str, parts: list[str], user: User) -> None:
        """Refuse a lone surrogate (from ``%c``, a literal, a --var): it cannot be sent."""
        try:
            text.encode()
        except UnicodeEncodeError as exc:
            what, fix = describe(exc.object[exc.start])
            failing = next(i for i, part in enumerate(parts) if find_unsendable(part))
            where = ("PerUser", *self.fields[failing][0])
            raise TemplateError(
                f"{what} in the rendered text",
                path=self.message.path,
                line=self.message.text_line_of(*where),
                field=dotted(where),
                user_id=user.id,
                fix=fix,
            ) from None

    def _check_raw_content(self, configuration: EndpointSendConfiguration, user: User) -> None:
        try:
            json.loads(configuration["RawContent"])
        except json.JSONDecodeError as exc:
            raise TemplateError(
                f"RawContent is not valid JSON: {exc.msg} at line {exc.lineno} column "
                f"{exc.colno} of the rendered text",
                path=self.message.path,
                line=self.message.line_of("PerUser", "RawContent"),
                field="PerUser.RawContent",
                user_id=user.id,
                fix="RawContent must render to a JSON document; use the tojson filter for values",
            ) from exc
        except (ValueError, RecursionError) as exc:  # json reads what Python can hold
            raise TemplateError(
                "RawContent is JSON nested too deeply, or with a number too long, to read",
                path=self.message.path,
                line=self.message.line_of("PerUser", "RawContent"),
                field="PerUser.RawContent",
                user_id=user.id,
                fix="keep RawContent's JSON shallow and its numbers under 4,300 digits",
            ) from exc


def _per_user_fields(per_user: dict[str, Any]) -> list[tuple[YamlPath, str]]:
    """Every template string of PerUser with its place, in message.yaml order."""
    fields: list[tuple[YamlPath, str]] = []
    for key, value in per_user.items():
        if isinstance(value, str):
            fields.append(((key,), value))
        elif isinstance(value, dict):
            for name, item in value.items():
                if isinstance(item, list):
                    fields.extend(((key, name, index), text) for index, text in enumerate(item))
                else:
                    fields.append(((key, name), item))
    return fields


def _builder(
    per_user: dict[str, Any], fields: list[tuple[YamlPath, str]]
) -> Callable[[list[str]], EndpointSendConfiguration]:
    """A function that assembles one user's configuration from the rendered field texts.

    It is generated as a single dict display, which is several times faster per user than
    walking a description of the structure; every name in it comes from repr().
    """
    index = {where: position for position, (where, _) in enumerate(fields)}

    def value(key: str, name: str, item: Any) -> str:
        if key == "Substitutions":
            if isinstance(item, list):
                return (
                    "[" + ", ".join(f"p[{index[(key, name, i)]}]" for i in range(len(item))) + "]"
                )
            return f"[p[{index[(key, name)]}]]"
        return f"p[{index[(key, name)]}]"

    entries = []
    for key, item in per_user.items():
        if isinstance(item, str):
            entries.append(f"{key!r}: p[{index[(key,)]}]")
        elif isinstance(item, dict):
            inner = ", ".join(f"{name!r}: {value(key, name, v)}" for name, v in item.items())
            entries.append(f"{key!r}: {{{inner}}}")
    source = "lambda p: {" + ", ".join(entries) + "}"
    built: Callable[[list[str]], EndpointSendConfiguration] = eval(source, {"__builtins__": {}})  # noqa: S307
    return built
