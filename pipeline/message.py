"""Messages: ``templates/<name>/message.yaml`` read and checked against the API's model.

A message has the shape of the SendUsersMessages request it produces. Field names and
types are checked here, once, against botocore's model of the API, with the line of each
mistake; past this module the pipeline trusts the message.
"""

from __future__ import annotations

import difflib
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from botocore.model import ListShape, MapShape, Shape, StructureShape

from pipeline import api
from pipeline.errors import MessageError, UnknownFieldError
from pipeline.project import MESSAGE_FILE, inside_root, message_name, named_by_repository
from pipeline.yamlfile import BLOCK_TEXT, YamlPath, load_yaml_with_lines, read_text

TOP_LEVEL_KEYS = (
    "description",
    "locale",
    "vars",
    "audience",
    "lint",
    "MessageConfiguration",
    "PerUser",
    "Context",
    "TraceId",
)
YAML_TYPES = {
    "string": (str,),
    "boolean": (bool,),
    "integer": (int,),
    "long": (int,),
    "double": (int, float),
    "float": (int, float),
    "list": (list,),
    "map": (dict,),
    "structure": (dict,),
}
TYPE_WORDS = {
    "string": "a string (quote it)",
    "boolean": "true or false",
    "integer": "a whole number",
    "long": "a whole number",
    "double": "a number",
    "float": "a number",
    "list": "a list",
    "map": "a mapping",
    "structure": "a mapping",
}


@dataclass(frozen=True, slots=True)
class Message:
    """A parsed, checked message. Every string in the request fields is a Jinja template."""

    name: str
    folder: Path
    path: Path
    description: str | None
    locale: str | None
    variables: dict[str, Any]
    configuration: dict[str, dict[str, Any]]
    per_user: dict[str, Any]
    context: dict[str, str]
    trace_id: str | None
    audience: str | None
    lint: dict[str, Any]
    lines: dict[YamlPath, int]

    def text_line_of(self, *where: str | int) -> int | None:
        """The line where a template string's text starts (after a ``|`` or ``>``)."""
        return self.lines.get((*where, BLOCK_TEXT)) or self.line_of(*where)

    def line_of(self, *where: str | int) -> int | None:
        """The line of a key in message.yaml, or of its nearest parent."""
        path: YamlPath = tuple(where)
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return None


def load_message(root: Path, folder: Path) -> Message:
    """Read and check ``message.yaml`` in ``folder``."""
    path = folder / MESSAGE_FILE
    if named_by_repository(root, path):
        inside_root(root, path, MessageError)
    document, lines = load_yaml_with_lines(read_text(path, MessageError), path, MessageError)
    if not isinstance(document, dict):
        raise MessageError(
            "message.yaml must be a mapping",
            path=path,
            line=1,
            fix="start with 'MessageConfiguration:' (see the README for an example)",
        )
    checker = _Checker(path, lines)
    configuration = document.get("MessageConfiguration")
    per_user = document.get("PerUser") or {}
    context = document.get("Context") or {}
    trace_id = document.get("TraceId")
    variables = document.get("vars") or {}
    lint = document.get("lint") or {}
    _check_keys(checker, document)
    _check_blocks(checker, configuration)
    request = api.request_members()
    with checker.part():
        checker.check(
            per_user, api.endpoint_send_configuration_shape(), ("PerUser",), list_of_templates=True
        )
    with checker.part():
        checker.check(context, request["Context"], ("Context",))
    with checker.part():
        checker.check(trace_id, request["TraceId"], ("TraceId",))
    _check_settings(checker, document)
    if checker.errors:
        first, *others = checker.errors
        first.more = tuple(others)
        raise first
    assert isinstance(configuration, dict)  # a mistake there was among the errors above
    return Message(
        name=message_name(root, folder),
        folder=folder,
        path=path,
        description=document.get("description"),
        locale=document.get("locale"),
        variables={str(key): value for key, value in variables.items()},
        configuration=configuration,
        per_user=per_user,
        context=context,
        trace_id=trace_id,
        audience=document.get("audience"),
        lint=lint,
        lines=lines,
    )


def _check_keys(checker: _Checker, document: dict[str, Any]) -> None:
    """The top-level keys: the request's own and the message's settings."""
    for key in document:
        with checker.part():
            if key not in TOP_LEVEL_KEYS:
                checker.fail(
                    (str(key),),
                    f"unknown top-level key {key!r}",
                    _suggest(key, TOP_LEVEL_KEYS),
                    kind=UnknownFieldError,
                )


def _check_settings(checker: _Checker, document: dict[str, Any]) -> None:
    """The settings that are not part of the request: vars, texts, lint."""
    with checker.part():
        if not isinstance(document.get("vars") or {}, dict):
            checker.fail(("vars",), "vars must be a mapping of names to values", None)
    for key in ("description", "locale", "audience"):
        with checker.part():
            if document.get(key) is not None and not isinstance(document[key], str):
                checker.fail((key,), f"{key} must be a string", "quote it")
    with checker.part():
        if not isinstance(document.get("lint") or {}, dict):
            checker.fail(("lint",), "lint must be a mapping of settings", None)


def _check_blocks(checker: _Checker, configuration: Any) -> None:
    """MessageConfiguration: at least one block, each a block of the API with its fields."""
    with checker.part():
        if not isinstance(configuration, dict) or not configuration:
            checker.fail(
                ("MessageConfiguration",),
                "MessageConfiguration is missing or empty: at least one channel block is needed",
                "add a block such as 'SMSMessage: {Body: ...}'",
            )
        blocks = api.channel_blocks()
        for block_name, block in configuration.items():
            with checker.part():
                if block_name not in blocks:
                    checker.fail(
                        ("MessageConfiguration", str(block_name)),
                        f"unknown channel block {block_name!r}",
                        _suggest(block_name, blocks),
                        kind=UnknownFieldError,
                    )
                where = ("MessageConfiguration", block_name)
                if block is None:
                    # YAML reads "SMSMessage:" with nothing after it as no value: a block
                    # whose fields were forgotten (or mis-indented), not one of defaults.
                    checker.fail(
                        where,
                        f"{block_name} has no value",
                        f"give its fields (e.g. {block_name}: {{Body: ...}}), write "
                        f"{block_name}: {{}} for a block of defaults, or remove it",
                    )
                checker.check(block, blocks[block_name], where)


class _Abandon(Exception):
    """Leaves the part of message.yaml where a mistake was found; the next part goes on."""


class _Checker:
    """Walks YAML values against botocore shapes and keeps every mistake it finds."""

    def __init__(self, path: Path, lines: dict[YamlPath, int]) -> None:
        self.path = path
        self.lines = lines
        self.errors: list[MessageError] = []

    def part(self) -> suppress:
        """A part checked on its own: a mistake in it does not stop the others."""
        return suppress(_Abandon)

    def fail(
        self,
        where: YamlPath,
        what: str,
        fix: str | None,
        *,
        kind: type[MessageError] = MessageError,
    ) -> NoReturn:
        line = None
        probe = where
        while probe and line is None:
            line, probe = self.lines.get(probe), probe[:-1]
        self.errors.append(
            kind(what, path=self.path, line=line, field=".".join(map(str, where)), fix=fix)
        )
        raise _Abandon

    def _absent(self, where: YamlPath) -> None:
        if len(where) > 1:  # "Body:" with nothing after it: a field left empty, not unset
            self.fail(where, f"{where[-1]} has no value", "give it a value, or remove the key")

    def check(
        self, value: Any, shape: Shape, where: YamlPath, *, list_of_templates: bool = False
    ) -> None:
        if value is None:
            self._absent(where)
            return
        kind = shape.type_name
        if list_of_templates and kind == "list" and isinstance(value, str):
            return  # a Substitutions value: one template, rendered to a one-element list
        if not _has_type(value, kind):
            self.fail(
                where,
                f"{where[-1]} must be {TYPE_WORDS.get(kind, f'a {kind}')}, "
                f"not {type(value).__name__}",
                None,
            )
        if isinstance(shape, StructureShape):
            members = shape.members
            for key, item in value.items():
                with self.part():
                    if key not in members:
                        self.fail(
                            (*where, str(key)),
                            f"unknown field {key!r} in {where[-1]}",
                            _suggest(key, members),
                            kind=UnknownFieldError,
                        )
                    self.check(
                        item, members[key], (*where, key), list_of_templates=list_of_templates
                    )
        elif isinstance(shape, MapShape):
            for key, item in value.items():
                with self.part():
                    if not isinstance(key, str):
                        self.fail((*where, str(key)), f"key {key!r} must be a string", "quote it")
                    self.check(
                        item, shape.value, (*where, key), list_of_templates=list_of_templates
                    )
        elif isinstance(shape, ListShape):
            for index, item in enumerate(value):
                with self.part():
                    self.check(item, shape.member, (*where, index))


def _has_type(value: Any, kind: str) -> bool:
    if isinstance(value, bool) and kind != "boolean":
        return False  # YAML's yes/no/true/false never stand for numbers or text
    return isinstance(value, YAML_TYPES.get(kind, (object,)))


def _suggest(name: object, choices: Any) -> str:
    options = [str(choice) for choice in choices]
    close = difflib.get_close_matches(str(name), options, n=1, cutoff=0.6) or [
        option for option in options if option.lower().startswith(str(name).lower())
    ]
    if close:
        return f"did you mean {close[0]!r}?"
    return "expected one of: " + ", ".join(options)
