"""Per-user fields: every template string of ``PerUser`` rendered once per user, lean.

Every field renders exactly as it would alone, as its own template: an inline field's
final newline is dropped as a template file's is, and a ``{% block %}``, a top-level
``{% set %}`` or a macro belongs to its field only. How the fields are called is the
optimisation, and nobody can observe it:

- Fields that only output text and expressions (no assignment, block, macro, import or
  extends anywhere in them) are also compiled joined into one template, their outputs
  separated by NUL, and rendered in one Jinja call. Such a field reads nothing another
  field could set, and NUL is neither whitespace (so ``-}}`` cannot strip it) nor YAML
  text; their final newlines are dropped before joining, as Jinja drops a template's.
  When an output contains NUL itself (a template wrote one), the split gives not one part per
  field, and that user's fields are rendered one by one instead.
- Every other field is rendered alone through its own template.

Each template keeps one Jinja Context for every user, whose parent is a scope dict that
is reused rather than copied; a builder generated once per message assembles the rendered
texts into the user's configuration.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any, Final

import jinja2
from jinja2 import nodes
from jinja2.runtime import Context

from pipeline.api import EndpointSendConfiguration
from pipeline.audience import User
from pipeline.errors import TemplateError
from pipeline.message import Message
from pipeline.render.templating import PipelineEnvironment, template_error
from pipeline.unsendable import describe, find_unsendable
from pipeline.yamlfile import YamlPath

# Separates the outputs of the joined fields in the one rendered string.
FIELD_SEPARATOR: Final = "\x00"
# What makes a field depend on, or change, what other fields see: not joined.
_SEPARATE: Final = (
    nodes.Assign,
    nodes.AssignBlock,
    nodes.Block,
    nodes.CallBlock,
    nodes.Extends,
    nodes.FromImport,
    nodes.Import,
    nodes.Macro,
)
_FINAL_NEWLINE: Final = re.compile(r"(?:\r\n|\r|\n)\Z")  # what Jinja's lexer drops

# A template's root render function and the Context it reuses (None: a fresh one per user).
_Call = tuple[Callable[[Context], Iterator[str]], Context | None, jinja2.Template]


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
    """The per-user fields of a message, compiled once, rendered per user in one pass."""

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
        self.raw_content = "RawContent" in message.per_user
        self.concat = environment.concat
        trees = [environment.parse(source) for _, source in self.fields]
        joined = [i for i, tree in enumerate(trees) if next(tree.find_all(_SEPARATE), None) is None]
        if len(joined) < 2:
            joined = []
        alone = [i for i in range(len(self.fields)) if i not in joined]
        # Rendered texts come in this order: the joined fields, then the others.
        self.order = joined + alone
        self.joined = len(joined)
        self.combined = None
        if joined:
            source = FIELD_SEPARATOR.join(_FINAL_NEWLINE.sub("", self.fields[i][1]) for i in joined)
            self.combined = compile_field(message, environment, source, ("PerUser",))
        # One Context per template for every user: its parent is ``scope`` itself, whose
        # ``user`` entry is replaced per user. Creating a Context per call costs a third
        # of the render. A field that extends another template gets a fresh one each
        # time: Jinja appends the parent's blocks to the Context on every render.
        self.calls: list[_Call] = [
            (
                self.templates[i].root_render_func,
                None
                if trees[i].find(nodes.Extends)
                else self.templates[i].new_context(scope, shared=True),
                self.templates[i],
            )
            for i in alone
        ]
        self.context = self.combined.new_context(scope, shared=True) if self.combined else None
        self.build = _builder(message.per_user, [self.fields[i] for i in self.order])
        # JSON of a string is at most 6 bytes per character (\u0000) plus quotes; keys
        # and punctuation are the size of the configuration with every field empty.
        empty = self.build([""] * len(self.fields))
        self.overhead = len(json.dumps(empty, ensure_ascii=False).encode()) + 8

    def render(self, user: User) -> tuple[EndpointSendConfiguration, int]:
        """One user's configuration and an upper bound of its JSON size in bytes."""
        scope = self.scope
        scope["user"] = user.attributes
        concat = self.concat
        try:
            parts = self._render_joined()
            if parts is not None:
                for render, context, template in self.calls:
                    if context is None:
                        context = template.new_context(scope, shared=True)
                    elif context.vars:
                        context.vars.clear()  # top-level assignments of the previous user
                        context.exported_vars.clear()
                    parts.append(concat(render(context)))
        except Exception:
            parts = None  # rendered again below, for the error's file and line
        if parts is None:
            parts = self._render_fields(user)
        if not all(map(str.isascii, parts)):  # C calls in the common case: only non-ASCII fails
            self._check_encodable(parts, user)
        configuration = self.build(parts)
        if self.raw_content:
            self._check_raw_content(configuration, user)
        size = sum(map(len, parts)) + len(user.id)
        return configuration, 6 * size + self.overhead

    def _render_joined(self) -> list[str] | None:
        """The joined fields' texts, or None when an output holds the separator."""
        combined, context = self.combined, self.context
        if combined is None or context is None:
            return []
        parts = self.concat(combined.root_render_func(context)).split(FIELD_SEPARATOR)
        return parts if len(parts) == self.joined else None

    def _render_fields(self, user: User) -> list[str]:
        parts = []
        for index in self.order:
            where, template = self.fields[index][0], self.templates[index]
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

    def _check_encodable(self, parts: list[str], user: User) -> None:
        """Refuse a lone surrogate (from ``%c``, a literal, a --var): it cannot be sent."""
        try:
            "".join(parts).encode()
        except UnicodeEncodeError as exc:
            what, fix = describe(exc.object[exc.start])
            failing = next(i for i, part in enumerate(parts) if find_unsendable(part))
            # Rendered texts come in ``self.order``: the joined fields, then the others.
            where = ("PerUser", *self.fields[self.order[failing]][0])
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
