"""The errors a user can cause, each one line long and carrying its exit code.

PipelineError                  exit code 1 unless a subclass says otherwise
├── InputError                 exit 2: invalid input or usage; nothing was sent or written
│   ├── MessageError           message.yaml: syntax, wrong type, wrong shape
│   │   └── UnknownFieldError  a key, block or field the API does not have
│   ├── TemplateError          a Jinja template fails to compile or render
│   │   ├── TemplateSyntaxError    a Jinja syntax error
│   │   ├── MissingTemplateError   an include, import or extends of a missing file
│   │   ├── UndefinedValueError    an undefined value
│   │   │   └── UserInBlockError   ``user`` inside MessageConfiguration
│   │   └── RenderLimitError       a render goes past a limit: the size of a value, memory
│   │       └── RenderTimeError    ... or its time
│   ├── AudienceError          an audience file: syntax, missing or duplicate id, no users
│   │   └── AddressError       a user's addresses: unknown channel, empty, listed twice
│   ├── RequestError           a built request that botocore's model rejects
│   └── DuplicateRunError      the same content was already sent
│       └── RunBusyError       ... or is being sent right now by another live process
├── SendError                  exit 3: a send stopped part-way; its journal allows a resume
│   ├── CredentialsError       no usable AWS credentials or profile, found before sending
│   ├── JournalError           the journal cannot be opened, read or written, or is damaged
│   └── RunStopped             a run stopped part-way: the cause, plus what was delivered
└── StorageError               exit 3: the machine refused a file: disk full, permissions

Kinds are classes: code that tells errors apart uses ``isinstance``, never their text.
Foreign errors (yaml, jinja2, botocore) are converted once, where they are met, with
``raise ... from exc``. The CLI prints ``Error: <str(error)>`` and exits with ``exit_code``.
"""

from __future__ import annotations

import errno
from pathlib import Path
from typing import Any


class PipelineError(Exception):
    """Base of every error the pipeline reports to its user."""

    exit_code = 1

    def __init__(
        self,
        what: str,
        *,
        path: str | Path | None = None,
        line: int | None = None,
        user_id: str | None = None,
        field: str | None = None,
        fix: str | None = None,
    ) -> None:
        self.what = what
        self.path = str(path) if path is not None else None
        self.line = line
        self.user_id = user_id
        self.field = field
        self.fix = fix
        super().__init__(self.message())

    def message(self) -> str:
        """The one-line text shown to the user: where, what, for whom, and the fix."""
        parts = []
        if self.path is not None:
            parts.append(f"{self.path}:{self.line}: " if self.line else f"{self.path}: ")
        parts.append(_one_line(self.what))
        context = []
        if self.user_id is not None:
            context.append(f"user {self.user_id!r}")
        if self.field is not None:
            context.append(f"field {self.field}")
        if context:
            parts.append(f" ({', '.join(context)})")
        if self.fix:
            parts.append(f"; {_one_line(self.fix)}")
        return "".join(parts)

    def __str__(self) -> str:
        return self.message()


class InputError(PipelineError):
    """Invalid input or usage, found before anything was sent or written."""

    exit_code = 2


class MessageError(InputError):
    """A message folder or its message.yaml is wrong."""

    # Further mistakes found in the same file, for tools that show them all (lint).
    more: tuple[MessageError, ...] = ()


class UnknownFieldError(MessageError):
    """A key, channel block or field that the API (or message.yaml) does not have."""


class TemplateError(InputError):
    """A Jinja template does not compile or does not render."""


class TemplateSyntaxError(TemplateError):
    """A Jinja syntax error in message.yaml or a template file."""


class MissingTemplateError(TemplateError):
    """An include, import or extends names a template that does not exist."""


class UndefinedValueError(TemplateError):
    """A template uses a value that is not defined."""


class UserInBlockError(UndefinedValueError):
    """``user`` is used in MessageConfiguration, which every user of a request shares."""


class RenderLimitError(TemplateError):
    """A render builds a value over the render limits (``pipeline.render.limits``)."""


class RenderTimeError(RenderLimitError):
    """A render takes longer than its time limit."""


class AudienceError(InputError):
    """An audience file is wrong."""


class AddressError(AudienceError):
    """A user's ``addresses`` are wrong: an unknown channel, an empty address, one listed twice."""


class RequestError(InputError):
    """A built request does not match the Pinpoint API model."""


class DuplicateRunError(InputError):
    """The same rendered content was already sent to the same target."""


class RunBusyError(DuplicateRunError):
    """Another live process is sending this run (or the same content) right now."""


class SendError(PipelineError):
    """A send stopped part-way; the journal keeps its state for a resume."""

    exit_code = 3


class CredentialsError(SendError):
    """No usable AWS credentials (or profile): found before anything is sent."""


class JournalError(SendError):
    """The journal cannot be opened, read or written, or another process holds it."""


class RunStopped(SendError):
    """A run stopped part-way: keeps the cause's place and text, plus what was delivered.

    ``summary`` is the run's ``pipeline.send.results.Summary`` at the stop (typed loosely
    here so this module imports nothing of the pipeline).
    """

    def __init__(self, cause: SendError, summary: Any) -> None:
        super().__init__(
            cause.what,
            path=cause.path,
            line=cause.line,
            user_id=cause.user_id,
            field=cause.field,
            fix=cause.fix,
        )
        self.cause = cause
        self.summary = summary


class StorageError(PipelineError):
    """The machine refused to write or read a file: a full disk, permissions, read-only."""

    exit_code = 3

    @classmethod
    def of(cls, exc: OSError, action: str, path: str | Path | None = None) -> StorageError:
        """The error for ``exc``, met while doing ``action`` (``"write the output"``)."""
        where = path if path is not None else exc.filename
        return cls(
            f"cannot {action}: {exc.strerror or exc}",
            path=where,
            fix=_STORAGE_FIXES.get(exc.errno or 0, "check the disk and the folder"),
        )


_STORAGE_FIXES = {
    errno.ENOSPC: "free some disk space, or write somewhere else",
    errno.EDQUOT: "free some disk space, or write somewhere else",
    errno.EFBIG: "the file grew past what this machine allows: write somewhere else",
    errno.EACCES: "write where you may, or fix the folder's permissions",
    errno.EPERM: "write where you may, or fix the folder's permissions",
    errno.EROFS: "the file system is read-only: write somewhere else",
}


def _one_line(text: str) -> str:
    return " ".join(text.split())
