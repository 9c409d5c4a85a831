"""The templates a message uses, read without rendering: syntax, ``sub()`` calls, includes.

Walks the Jinja syntax tree of every template string in message.yaml and of every file
they include, import or extend, following every translation of those files too, so lint
knows which substitutions the message uses and which of its files are translated.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.loaders import split_template_path

from pipeline.errors import TemplateError
from pipeline.message import Message
from pipeline.pinpoint.compose import placeholders
from pipeline.render.peruser import compile_field, dotted
from pipeline.render.templating import PipelineEnvironment, locale_chain, template_error
from pipeline.yamlfile import YamlPath

# The locale part of a translated file name: body.fr.j2, body.fr-CA.j2, body.zh-Hant.j2.
_LOCALE_TAG = r"[a-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*"


@dataclass(frozen=True, slots=True)
class SubCall:
    """A ``sub('Name')`` call with a constant name, where it is written."""

    name: str
    path: Path
    line: int | None


@dataclass(frozen=True, slots=True)
class TemplateFile:
    """A template name as written in an include, with its file and its translations."""

    name: str
    base: Path | None
    translations: dict[str, Path]

    @property
    def paths(self) -> list[Path]:
        """Every file of this template: the base first, then translations by tag."""
        found = [self.base] if self.base is not None else []
        return found + [self.translations[tag] for tag in sorted(self.translations)]

    def resolve(self, locale: str | None) -> Path | None:
        """The file the loader picks for ``locale`` (see ``templating.LocaleLoader``)."""
        for tag in locale_chain(locale):
            if tag in self.translations:
                return self.translations[tag]
        return self.base

    def covers(self, locale: str | None) -> bool:
        """Whether a translation exists for ``locale`` or a parent of it."""
        return any(tag in self.translations for tag in locale_chain(locale))


@dataclass(slots=True)
class TemplateScan:
    """What the templates of a message contain, found without rendering them.

    Attributes:
        fields: Every template string of message.yaml by its place.
        sub_calls: Every ``sub()`` with a constant name, in message.yaml and its files.
        dynamic_sub: Whether some ``sub()`` computes its name, so uses cannot be known.
        placeholders: ``{{Name}}`` written as literal text (in ``{% raw %}`` blocks).
        files: Every template reached through include, import or extends, by name.
        reach: For each field, the template names it loads, directly or not.
        errors: Syntax errors and missing templates, each with its check id.
    """

    fields: dict[YamlPath, str]
    sub_calls: list[SubCall] = field(default_factory=list)
    dynamic_sub: bool = False
    placeholders: set[str] = field(default_factory=set)
    files: dict[str, TemplateFile] = field(default_factory=dict)
    reach: dict[YamlPath, set[str]] = field(default_factory=dict)
    errors: list[tuple[str, TemplateError]] = field(default_factory=list)

    def sources(self, where: YamlPath, locale: str | None) -> list[str]:
        """The source text of a field and of every file it loads for ``locale``."""
        texts = [self.fields[where]] if where in self.fields else []
        for name in sorted(self.reach.get(where, ())):
            template = self.files.get(name)  # None: a missing file, reported elsewhere
            path = template.resolve(locale) if template is not None else None
            if path is not None:
                texts.append(_read(path) or "")
        return texts


def template_fields(message: Message) -> dict[YamlPath, str]:
    """Every template string of message.yaml by its place, in file order."""
    roots: dict[str, Any] = {
        "MessageConfiguration": message.configuration,
        "PerUser": message.per_user,
        "Context": message.context,
        "TraceId": message.trace_id,
    }
    return dict(_strings(roots, ()))


def _strings(value: Any, where: YamlPath) -> Iterator[tuple[YamlPath, str]]:
    if isinstance(value, str):
        yield where, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, (*where, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, (*where, index))


def scan_message(
    message: Message, environment: PipelineEnvironment, templates: Path
) -> TemplateScan:
    """Read every template of a message: message.yaml's fields and the files they load."""
    scanner = _Scanner(environment, templates, TemplateScan(template_fields(message)))
    for where, source in scanner.scan.fields.items():
        try:
            compile_field(message, environment, source, where)
        except TemplateError as error:
            scanner.scan.errors.append(("template-syntax", error))
            continue
        tree = environment.parse(source)
        line = message.text_line_of(*where)
        offset = line - 1 if line else None
        scanner.visit(tree, message.path, offset)
        scanner.scan.reach[where] = scanner.closure(tree, message.path, offset, dotted(where))
    for path in sorted(message.folder.glob("*.j2")):
        scanner.read_file(path)  # a file no field uses can still hold a syntax error
    return scanner.scan


class _Scanner:
    """Parses each file once and follows the templates it loads."""

    def __init__(self, environment: PipelineEnvironment, templates: Path, scan: TemplateScan):
        self.environment = environment
        self.templates = templates
        self.scan = scan
        self._trees: dict[Path, nodes.Template | None] = {}

    def visit(self, tree: nodes.Template, path: Path, offset: int | None) -> None:
        """Record the ``sub()`` calls and literal placeholders of one syntax tree."""
        for call in tree.find_all(nodes.Call):
            if not (isinstance(call.node, nodes.Name) and call.node.name == "sub"):
                continue
            argument = call.args[0] if len(call.args) == 1 and not call.kwargs else None
            if isinstance(argument, nodes.Const) and isinstance(argument.value, str):
                self.scan.sub_calls.append(SubCall(argument.value, path, _at(call, offset)))
            else:
                self.scan.dynamic_sub = True
        for data in tree.find_all(nodes.TemplateData):
            if "{{" in data.data:
                self.scan.placeholders.update(placeholders(data.data))

    def closure(
        self, tree: nodes.Template, path: Path, offset: int | None, field_name: str | None
    ) -> set[str]:
        """Every template name a tree loads, directly or through the files it loads."""
        reached: set[str] = set()
        pending = [(name, path, _at(node, offset)) for name, node in _references(tree)]
        while pending:
            name, source, at = pending.pop()
            if name in reached:
                continue
            reached.add(name)
            template = self._template(name)
            if template is None:
                where = field_name if source == path else None
                self.scan.errors.append(("template-not-found", _not_found(name, source, at, where)))
                continue
            for variant in template.paths:
                loaded = self.read_file(variant)
                if loaded is not None:
                    pending.extend(
                        (inner, variant, node.lineno) for inner, node in _references(loaded)
                    )
        return reached

    def read_file(self, path: Path) -> nodes.Template | None:
        """Parse a template file once; record its calls, or its syntax error."""
        if path in self._trees:
            return self._trees[path]
        tree = None
        source = _read(path)
        if source is None:
            error = TemplateError("the template is not UTF-8", path=path, fix="save it as UTF-8")
            self.scan.errors.append(("template-syntax", error))
        else:
            try:
                tree = self.environment.parse(source, filename=str(path))
            except jinja2.TemplateSyntaxError as exc:
                error = template_error(exc, path=path, line=None, field=None)
                self.scan.errors.append(("template-syntax", error))
        self._trees[path] = tree
        if tree is not None:
            self.visit(tree, path, 0)
        return tree

    def _template(self, name: str) -> TemplateFile | None:
        if name in self.scan.files:
            return self.scan.files[name]
        try:
            *folders, filename = split_template_path(name)
        except jinja2.TemplateNotFound:
            return None
        folder = self.templates.joinpath(*folders)
        stem, dot, extension = filename.rpartition(".")
        if not dot or not stem:
            stem, extension = filename, ""
        suffix = f".{extension}" if extension else ""
        pattern = re.compile(rf"{re.escape(stem)}\.({_LOCALE_TAG}){re.escape(suffix)}")
        translations = {}
        if folder.is_dir():
            for candidate in sorted(folder.iterdir()):
                match = pattern.fullmatch(candidate.name)
                if match and self._readable(candidate):
                    translations[match.group(1)] = candidate
        base = folder / filename
        found = TemplateFile(name, base if self._readable(base) else None, translations)
        if found.base is None and not translations:
            return None
        self.scan.files[name] = found
        return found

    def _readable(self, path: Path) -> bool:
        """Whether the loader would read this file: one under templates/, symlinks too."""
        return path.is_file() and path.resolve().is_relative_to(self.templates.resolve())


def _references(tree: nodes.Template) -> list[tuple[str, nodes.Node]]:
    """The templates a tree loads by constant name, with the node that loads each."""
    found: list[tuple[str, nodes.Node]] = []
    for node in tree.find_all((nodes.Extends, nodes.Include, nodes.Import, nodes.FromImport)):
        target = getattr(node, "template", None)
        if isinstance(target, nodes.Const) and isinstance(target.value, str):
            found.append((target.value, node))
    return found


def _at(node: nodes.Node, offset: int | None) -> int | None:
    """A node's line in its file: the field's line offset added for message.yaml."""
    return node.lineno + offset if offset is not None else None


def _read(path: Path) -> str | None:
    try:
        return path.read_text("utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def _not_found(name: str, source: Path, line: int | None, field_name: str | None) -> TemplateError:
    return TemplateError(
        f"template not found: {name}",
        path=source,
        line=line,
        field=field_name,
        fix="include paths are relative to templates/, e.g. '_shared/footer.j2'",
    )
