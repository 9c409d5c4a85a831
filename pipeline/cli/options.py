"""Arguments and options shared by several commands, so they read the same everywhere."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from pipeline.errors import InputError

MessageArg = Annotated[
    str, typer.Argument(help="A message: a folder name under templates/, or a path to one.")
]
AudienceArg = Annotated[
    str,
    typer.Argument(
        help="An audience: a name under audiences/ (.yaml, .yml, .jsonl, .csv tried in turn) "
        "or a file path."
    ),
]
AppIdOpt = Annotated[
    str,
    typer.Option(
        "--app-id",
        envvar="PIPELINE_APP_ID",
        metavar="ID",
        help="The Pinpoint application (project) id.",
    ),
]
RootOpt = Annotated[
    Path,
    typer.Option(
        "--root", metavar="DIR", help="The project root, which holds templates/ and audiences/."
    ),
]
VarOpt = Annotated[
    list[str] | None,
    typer.Option("--var", metavar="KEY=VALUE", help="Override a message variable (repeatable)."),
]


class Api(StrEnum):
    """The send API: its values are ``pipeline.api.APIS`` (not imported here: botocore)."""

    send_users_messages = "send-users-messages"
    send_messages = "send-messages"


ApiOpt = Annotated[
    Api,
    typer.Option(
        "--api",
        help="send-users-messages: to user ids, through their Pinpoint endpoints. "
        "send-messages: to the addresses the audience lists (addresses: in each user).",
    ),
]
NowOpt = Annotated[
    str | None,
    typer.Option(
        "--now",
        metavar="TIME",
        help="The clock for the whole run, in ISO 8601  [default: the current time, UTC].",
    ),
]


class OutputFormat(StrEnum):
    """Output formats of ``runs`` and ``report``."""

    text = "text"
    json = "json"


JournalOpt = Annotated[
    Path | None,
    typer.Option(
        "--journal",
        metavar="FILE",
        help="The journal file  [default: .pipeline/journal.sqlite under --root].",
    ),
]
FormatOpt = Annotated[OutputFormat, typer.Option("--format", help="text (a table) or json.")]

DebugOpt = Annotated[
    bool,
    typer.Option(
        "--debug",
        help="Log botocore's requests and answers to stderr, credentials and signatures redacted.",
    ),
]


def parse_vars(pairs: list[str] | None) -> dict[str, str]:
    """Turn ``--var KEY=VALUE`` options into a dict; values stay strings."""
    variables: dict[str, str] = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise InputError(
                f"--var {pair!r} is not KEY=VALUE", fix="write it as --var store_url=https://..."
            )
        variables[key.strip()] = value
    return variables


def parse_now(text: str | None) -> datetime:
    """The run's clock: ``--now`` as a timezone-aware UTC datetime, or the current time."""
    if text is None:
        return datetime.now(UTC).replace(microsecond=0)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InputError(
            f"--now {text!r} is not an ISO 8601 date and time",
            fix="write it as --now 2026-11-26T09:00:00Z",
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)  # a naive time is read as UTC
    return moment.astimezone(UTC)
