"""The Jinja environment: sandboxed, strict, rooted at templates/, and locale-aware.

One environment per locale: its loader resolves ``body.j2`` for ``fr-CA`` to the first of
``body.fr-CA.j2``, ``body.fr.j2`` and ``body.j2`` that exists next to it, so authors
translate a message by adding a file, and its filters (``number``, ``currency``,
``percent``, ``date``, ``time``, ``datetime``) format in that locale. Jinja caches loaded
templates per environment, which is why the locale belongs to the environment and not to
each lookup, and why no filter looks the locale up per user.
"""

from __future__ import annotations

import re
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jinja2
from jinja2.loaders import split_template_path

from pipeline.errors import (
    MissingTemplateError,
    RenderLimitError,
    RenderTimeError,
    TemplateError,
    TemplateSyntaxError,
    UndefinedValueError,
    UserInBlockError,
)
from pipeline.render.filters import FilterError, LocaleFormats
from pipeline.render.guarded import LimitedEnvironment
from pipeline.render.limits import ENVIRONMENT_VARIABLE, LimitExceeded, RenderLimits

SUBSTITUTION_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")


class UserOutOfScope(jinja2.UndefinedError):
    """Jinja's error for a use of ``user`` where it is out of scope (MessageConfiguration)."""


class PipelineUndefined(jinja2.StrictUndefined):
    """Jinja's ``StrictUndefined``, strict inside a list or a dict too.

    ``{{ [user.missing] }}`` prints the list's ``repr``, which is the one thing
    ``StrictUndefined`` lets through: it would send ``[Undefined]`` to every user.
    """

    def __repr__(self) -> str:
        self._fail_with_undefined_error()


def locale_chain(locale: str | None) -> list[str]:
    """Locales to try, most specific first: ``zh-Hant-TW`` -> zh-Hant-TW, zh-Hant, zh."""
    if not locale:
        return []
    parts = re.split(r"[-_]", locale)
    separator = "_" if "_" in locale and "-" not in locale else "-"
    return [separator.join(parts[:size]) for size in range(len(parts), 0, -1)]


def localized_names(filename: str, locale: str | None) -> list[str]:
    """File names to try for a locale: the locale goes before the last extension."""
    stem, dot, extension = filename.rpartition(".")
    if not dot or not stem:
        stem, extension = filename, ""
    suffix = f".{extension}" if extension else ""
    return [f"{stem}.{tag}{suffix}" for tag in locale_chain(locale)] + [filename]


class LocaleLoader(jinja2.BaseLoader):
    """Loads templates from one folder only, preferring the locale's translation."""

    def __init__(self, root: Path, locale: str | None) -> None:
        self.root = root.resolve()
        self.locale = locale

    def get_source(
        self,
        environment: jinja2.Environment,  # noqa: ARG002 (Jinja's loader protocol)
        template: str,
    ) -> tuple[str, str, Callable[[], bool]]:
        """Find a template's source for this loader's locale (Jinja's loader protocol)."""
        *folders, filename = split_template_path(template)  # refuses '..' segments
        for name in localized_names(filename, self.locale):
            candidate = self.root.joinpath(*folders, name)
            if not candidate.is_file():
                continue
            real = candidate.resolve()
            if not real.is_relative_to(self.root):  # a symlink that leads outside templates/
                raise jinja2.TemplateNotFound(template)
            try:
                source = real.read_text("utf-8")
            except UnicodeDecodeError as exc:
                raise TemplateError(
                    "the template is not UTF-8", path=candidate, fix="save it as UTF-8"
                ) from exc
            # An editor's byte-order mark is no text: sent, it would force UCS-2 on an SMS.
            return source.removeprefix("\ufeff"), str(candidate), lambda: True
        raise jinja2.TemplateNotFound(template)


class PipelineEnvironment(LimitedEnvironment):
    """The sandboxed environment, with render limits and fast attribute lookups on mappings.

    Jinja tries ``getattr`` first and falls back to the key, which raises and catches an
    AttributeError for every ``user.first_name`` (the bulk of per-user work). User data
    is plain dicts, whose keys are what authors mean, so keys are looked up first.

    ``formats`` holds the locale's number and date filters (see ``filters``).
    """

    formats: LocaleFormats

    def getattr(self, obj: Any, attribute: str) -> Any:
        """Look up ``obj.attribute`` in a template: keys of plain dicts first."""
        if type(obj) is dict:
            try:
                return obj[attribute]
            except KeyError:
                pass
        return super().getattr(obj, attribute)


def sub(name: str) -> str:
    """Emit Pinpoint's placeholder ``{{Name}}``, which Jinja would otherwise consume."""
    if not isinstance(name, str) or not SUBSTITUTION_NAME.match(name):
        raise jinja2.TemplateRuntimeError(
            f"sub({name!r}): a substitution name is letters, digits, '_', '.' or '-'"
        )
    return "{{" + name + "}}"


def make_environment(
    templates: Path, locale: str | None, *, limits: RenderLimits | None = None
) -> PipelineEnvironment:
    """The environment for one locale: everything a template can reach is under templates/.

    ``limits`` bound each render (default: ``RenderLimits.from_environment()``).
    """
    environment = PipelineEnvironment(
        loader=LocaleLoader(templates, locale),
        limits=limits,
        undefined=PipelineUndefined,
        autoescape=False,  # plain text for SMS and push, not HTML
        auto_reload=False,  # no stat() per include per user: files do not change mid-run
        cache_size=-1,
    )
    environment.globals["sub"] = sub
    environment.formats = LocaleFormats(locale)
    environment.formats.install(environment)
    return environment


def _runtime_location(exc: Exception, path: Path, line: int | None) -> tuple[Path, int | None]:
    """Where a runtime error happened: the innermost template frame's file and line.

    Jinja rewrites the traceback so that template frames carry the template's file and line;
    a frame of message.yaml itself is offset by the line its field starts on.
    """
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename.endswith((".j2", ".jinja", ".txt", ".json")) or frame.filename == str(
            path
        ):
            if frame.filename != str(path):
                return Path(frame.filename), frame.lineno
            if line is not None and frame.lineno:
                return path, line + frame.lineno - 1
            break
    return path, line


def template_error(
    exc: Exception,
    *,
    path: Path,
    line: int | None,
    field: str | None,
    user_id: str | None = None,
) -> TemplateError:
    """Turn a Jinja error into a one-line error at the template file and line."""
    if isinstance(exc, TemplateError):
        return exc
    where_path, where_line = path, line
    if isinstance(exc, jinja2.TemplateSyntaxError):
        if exc.filename:
            where_path, where_line = Path(exc.filename), exc.lineno
        elif line is not None and exc.lineno:
            where_line = line + exc.lineno - 1
        return TemplateSyntaxError(
            f"template syntax error: {exc.message}",
            path=where_path,
            line=where_line,
            field=field,
            user_id=user_id,
            fix="fix the Jinja syntax",
        )
    where_path, where_line = _runtime_location(exc, path, line)
    if isinstance(exc, jinja2.TemplateNotFound):
        return MissingTemplateError(
            f"template not found: {exc.name}",
            path=where_path,
            line=where_line,
            field=field,
            user_id=user_id,
            fix="include paths are relative to templates/, e.g. '_shared/footer.j2'",
        )
    if isinstance(exc, UserOutOfScope):
        return UserInBlockError(str(exc.message), path=where_path, line=where_line, field=field)
    if isinstance(exc, jinja2.UndefinedError):
        # "'dict object' has no attribute 'x'" says nothing to an author: name the key.
        what = re.sub(
            r"^'[\w ]+ object' has no attribute ", "no key or attribute ", str(exc.message)
        )
        return UndefinedValueError(
            f"undefined value: {what}",
            path=where_path,
            line=where_line,
            field=field,
            user_id=user_id,
            fix="check the spelling, or give a fallback with | default('...')",
        )
    if isinstance(exc, FilterError):
        return TemplateError(
            str(exc.message),
            path=where_path,
            line=where_line,
            field=field,
            user_id=user_id,
            fix=exc.fix,
        )
    if isinstance(exc, LimitExceeded | MemoryError | RecursionError):
        return _limit_error(exc, where_path, where_line, field, user_id)
    if isinstance(exc, jinja2.exceptions.SecurityError):
        return TemplateError(
            f"not allowed in a template: {exc}",
            path=where_path,
            line=where_line,
            field=field,
            user_id=user_id,
        )
    return TemplateError(
        f"template failed: {type(exc).__name__}: {exc}",
        path=where_path,
        line=where_line,
        field=field,
        user_id=user_id,
    )


def _limit_error(
    exc: BaseException, path: Path, line: int | None, field: str | None, user_id: str | None
) -> RenderLimitError:
    """A render that went past a limit, or ran out of memory or stack, as one line."""
    if isinstance(exc, LimitExceeded):
        what = f"the template exceeds a render limit: {exc.what}"
    elif isinstance(exc, MemoryError):
        what = "the template ran out of memory while rendering"
    else:
        what = "the template nests too deeply (a macro or include that calls itself?)"
    kind = RenderTimeError if isinstance(exc, LimitExceeded) and exc.timed_out else RenderLimitError
    return kind(
        what,
        path=path,
        line=line,
        field=field,
        user_id=user_id,
        fix=f"make the template do less; the operator sets the limits with {ENVIRONMENT_VARIABLE} "
        "(e.g. seconds=5,characters=2000000,digits=4300)",
    )
