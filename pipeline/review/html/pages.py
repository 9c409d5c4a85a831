"""The page templates: one autoescaping Jinja environment over this package's templates/.

It is not the messages' sandbox: these templates are the project's own, and what they
show (every recipient's text, an email's HTML) arrives as data and is escaped. The CSS is
inlined into every page and nothing is loaded from the network, so a page works from
``file://``; a Content-Security-Policy says so to the browser too. The only script is the
live-reload poller of ``pipeline serve``, allowed by its hash.
"""

from __future__ import annotations

import base64
import hashlib
from functools import cache
from importlib.resources import files
from typing import Any

import jinja2
from markupsafe import Markup

_PACKAGE = "pipeline.review.html"
_LIVE_SCRIPT = "live.js"


@cache
def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader(_PACKAGE, "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    script = live_script()
    environment.globals.update(
        live_script=Markup(script),
        live_script_hash=_csp_hash(script),
        channel_anchor=channel_anchor,
        plural=plural,
    )
    environment.filters["number"] = "{:,}".format
    environment.filters["codepoint"] = codepoint
    return environment


def render_page(template: str, **context: Any) -> str:
    """Render one page template with ``context`` (``live_version`` None for a static site)."""
    context.setdefault("live_version", None)
    return _environment().get_template(template).render(**context)


@cache
def live_script() -> str:
    """The live-reload script, as it appears between its ``<script>`` tags."""
    return files(_PACKAGE).joinpath("templates", _LIVE_SCRIPT).read_text("utf-8").strip()


def _csp_hash(script: str) -> str:
    digest = hashlib.sha256(script.encode()).digest()
    return base64.b64encode(digest).decode()


def channel_anchor(recipient: int, channel: str) -> str:
    """The id of a recipient's channel on a page, e.g. ``recipient-2-sms``."""
    return f"recipient-{recipient}-{channel.lower()}"


def plural(count: int, word: str) -> str:
    """``1 user``, ``3 users``."""
    return f"{count:,} {word}" + ("" if count == 1 else "s")


def codepoint(character: str) -> str:
    """``U+2019``: how a character is named where its glyph may not tell it apart."""
    return f"U+{ord(character):04X}"
