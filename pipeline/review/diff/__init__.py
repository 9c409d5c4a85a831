"""``pipeline diff``: what a change does to every recipient, between a git ref and the working tree.

``diff_messages`` renders each message at the ref and in the working tree and compares,
user by user and channel by channel, what recipients see; the formats turn its report
into text, Markdown for a pull request, or JSON.

- ``sides``: the two sides of a project, message by message (the entry point);
- ``compare``: the per-user comparison of two renderings, as streams;
- ``groups``: users grouped by identical change;
- ``model``: the report's types;
- ``formats``, ``markdown``, ``wording``: the report as text, JSON and Markdown.
"""

from pipeline.review.diff.formats import format_json, format_text
from pipeline.review.diff.markdown import format_markdown
from pipeline.review.diff.model import (
    ChangeGroup,
    ChannelDiff,
    Comparison,
    DiffReport,
    MessageDiff,
    Shown,
    UserSet,
)
from pipeline.review.diff.sides import diff_messages

__all__ = [
    "ChangeGroup",
    "ChannelDiff",
    "Comparison",
    "DiffReport",
    "MessageDiff",
    "Shown",
    "UserSet",
    "diff_messages",
    "format_json",
    "format_markdown",
    "format_text",
]
