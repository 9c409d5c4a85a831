"""Checks on message.yaml and its templates that need no audience.

Also reads the message's ``lint:`` settings:

- ``ignore``: a list of check ids whose findings this message does not report.
- ``sms_max_parts``: the SMS part budget (default 3) over which ``sms-parts`` reports.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any, Final

from pipeline.message import Message
from pipeline.pinpoint.channels import CHANNEL_BLOCKS, OVERRIDDEN_CHANNELS, block_for
from pipeline.review.checks.findings import CHECKS, FindingCollector
from pipeline.review.checks.templates import TemplateScan

DEFAULT_SMS_MAX_PARTS: Final = 3
LINKING_ACTIONS: Final = ("URL", "DEEP_LINK")


@dataclass(frozen=True, slots=True)
class LintSettings:
    """A message's ``lint:`` settings, checked."""

    ignore: frozenset[str] = frozenset()
    sms_max_parts: int = DEFAULT_SMS_MAX_PARTS


def read_settings(message: Message, found: FindingCollector) -> LintSettings:
    """The message's lint settings; mistakes in them are ``lint-config`` findings."""
    ignore: set[str] = set()
    budget = DEFAULT_SMS_MAX_PARTS
    for key, value in message.lint.items():
        line = message.line_of("lint", key)
        if key == "ignore":
            items = value if isinstance(value, list) else [value]
            for index, item in enumerate(items):
                if item in CHECKS:
                    ignore.add(item)
                else:
                    found.add(
                        "lint-config",
                        f"unknown check id {item!r} in lint.ignore",
                        path=message.path,
                        line=message.line_of("lint", key, index),
                        fix=_did_you_mean(str(item), CHECKS),
                    )
        elif key == "sms_max_parts":
            if type(value) is int and value >= 1:
                budget = value
            else:
                found.add(
                    "lint-config",
                    f"lint.sms_max_parts must be a whole number of parts, 1 or more, not {value!r}",
                    path=message.path,
                    line=line,
                )
        else:
            found.add(
                "lint-config",
                f"unknown lint setting {key!r}",
                path=message.path,
                line=line,
                fix=_did_you_mean(str(key), ("ignore", "sms_max_parts")),
            )
    return LintSettings(frozenset(ignore), budget)


def check_message(message: Message, scan: TemplateScan, found: FindingCollector) -> None:
    """Every check that reads message.yaml and its templates without rendering them."""
    for check, error in scan.errors:
        found.add_error(check, error)
    _check_substitutions(message, scan, found)
    _check_hidden_blocks(message, found)
    _check_links(message, found)
    if message.trace_id is not None and ("{{" in message.trace_id or "{%" in message.trace_id):
        found.add(
            "trace-id-template",
            "TraceId is a template: AWS shows the TraceId to recipients, so it must not carry data",
            path=message.path,
            line=message.line_of("TraceId"),
            fix="use a fixed text, or remove TraceId",
        )


def declared_substitutions(message: Message) -> set[str]:
    """Names a placeholder can be filled from: PerUser's and the blocks' Substitutions."""
    names = set((message.per_user.get("Substitutions") or {}).keys())
    for block in message.configuration.values():
        names.update((block.get("Substitutions") or {}).keys())
    return names


def _check_substitutions(message: Message, scan: TemplateScan, found: FindingCollector) -> None:
    declared = declared_substitutions(message)
    for call in scan.sub_calls:
        if call.name not in declared:
            found.add(
                "sub-undeclared",
                f"sub({call.name!r}): {call.name} is not a declared substitution, so "
                f"{{{{{call.name}}}}} reaches Pinpoint unfilled",
                path=call.path,
                line=call.line,
                fix=_did_you_mean(call.name, declared, "declare it under PerUser.Substitutions"),
            )
    if scan.dynamic_sub:
        return  # a computed sub() name may use any substitution
    used = {call.name for call in scan.sub_calls} | scan.placeholders
    for name in message.per_user.get("Substitutions") or {}:
        if name not in used:
            found.add(
                "sub-unused",
                f"substitution {name} is declared but no template writes sub({name!r})",
                path=message.path,
                line=message.line_of("PerUser", "Substitutions", name),
                fix="remove it, or use it with sub() in a channel body",
            )


def _check_hidden_blocks(message: Message, found: FindingCollector) -> None:
    configuration = message.configuration
    for override, own in (("BodyOverride", "Body"), ("TitleOverride", "Title")):
        if override not in message.per_user:
            continue
        for name, block in configuration.items():
            if own not in block:
                continue
            reached = [c for c in CHANNEL_BLOCKS if block_for(configuration, c) == name]
            if not reached or any(channel not in OVERRIDDEN_CHANNELS for channel in reached):
                continue  # EMAIL and VOICE keep the block's text
            found.add(
                "hidden-by-override",
                f"{name}.{own} is never sent: PerUser.{override} replaces it for every user "
                f"on {', '.join(reached)}",
                path=message.path,
                line=message.line_of("MessageConfiguration", name, own),
                fix=f"remove {name}.{own}, or PerUser.{override} to send per-channel texts",
            )


def _check_links(message: Message, found: FindingCollector) -> None:
    for name, block in message.configuration.items():
        action = block.get("Action")
        if action in LINKING_ACTIONS and not block.get("Url"):
            found.add(
                "missing-url",
                f"{name}.Action is {action} but {name} has no Url to open",
                path=message.path,
                line=message.line_of("MessageConfiguration", name, "Action"),
                fix="add a Url, or set Action to OPEN_APP",
            )


def _did_you_mean(name: str, choices: Any, otherwise: str | None = None) -> str | None:
    close = difflib.get_close_matches(name, [str(choice) for choice in choices], n=1)
    if close:
        return f"did you mean {close[0]!r}?"
    return otherwise
