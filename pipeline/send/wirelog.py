"""``--debug``: botocore's log of every request and answer on stderr, with secrets redacted.

botocore logs what goes over the wire at DEBUG: the request with its headers and body,
the canonical request and string it signs, the signature, and the answer. The signature,
the access key id in ``Credential=``, the session token and the keys themselves are
replaced by ``<redacted>`` before a line is written, so a log can be pasted into an issue.
Message bodies stay: they are what a debug log is for (and they hold recipients' data).
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final, TextIO

REDACTED: Final = "<redacted>"
# Where secrets sit in what botocore logs (header names in any case).
_PATTERNS: Final = (
    # Authorization: AWS4-HMAC-SHA256 Credential=AKID/date/..., Signature=hex
    re.compile(r"(Credential=)[^/,\s'\"]+", re.IGNORECASE),
    re.compile(r"(Signature=)[0-9a-f]+", re.IGNORECASE),
    # auth's own "Signature:\n<hex>" line
    re.compile(r"(Signature:\s*)[0-9a-f]{16,}", re.IGNORECASE),
    # the session token header: in a dict repr ('X-Amz-Security-Token': b'...') and in the
    # canonical request (x-amz-security-token:...)
    re.compile(r"(x-amz-security-token['\"]?\s*[:=]\s*b?['\"]?)[^'\"\s,}]+", re.IGNORECASE),
    re.compile(r"(aws_secret_access_key['\"]?\s*[:=]\s*['\"]?)[^'\"\s,}]+", re.IGNORECASE),
    # any access key id that shows up elsewhere
    re.compile(r"()\b(?:AKIA|ASIA)[A-Z0-9]{16}\b"),
)
# botocore's noisiest loggers, left out: every event it emits, thousands per send.
_NOISE: Final = ("botocore.hooks", "botocore.loaders")


class Redactor(logging.Filter):
    """Rewrites each record's text with secrets replaced by ``<redacted>``."""

    def __init__(self) -> None:
        super().__init__()
        self.secrets: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact the record in place; every record is kept."""
        record.msg, record.args = self.redact(record.getMessage()), None
        return True

    def redact(self, text: str) -> str:
        """``text`` with the known secrets and every secret-shaped value replaced."""
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        for pattern in _PATTERNS:
            text = pattern.sub(lambda match: match.group(1) + REDACTED, text)
        return text


_REDACTOR = Redactor()
_HANDLER: logging.Handler | None = None


@contextmanager
def wire_log(stream: TextIO | None = None) -> Iterator[None]:
    """Log botocore's requests and answers to ``stream`` (stderr), redacted, inside the block."""
    global _HANDLER
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(_REDACTOR)
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    loggers = [logging.getLogger(name) for name in ("botocore", *_NOISE)]
    levels = [logger.level for logger in loggers]
    botocore, *noise = loggers
    botocore.addHandler(handler)
    botocore.setLevel(logging.DEBUG)
    for logger in noise:
        logger.setLevel(logging.WARNING)
    _HANDLER = handler
    try:
        yield
    finally:
        _HANDLER = None
        botocore.removeHandler(handler)
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


def wire_log_enabled() -> bool:
    """Whether a ``wire_log`` block is open."""
    return _HANDLER is not None


def redact_secrets(*values: str | None) -> None:
    """Redact these values (keys, tokens) wherever they appear in the wire log."""
    _REDACTOR.secrets.update(value for value in values if value and len(value) >= 4)
