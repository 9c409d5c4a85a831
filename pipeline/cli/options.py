"""Arguments and options shared by several commands, so they read the same everywhere."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from pipeline.errors import InputError
from pipeline.shard import Shard, parse_shard, resolve_shard

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


WorkersOpt = Annotated[
    int | None,
    typer.Option(
        "--workers",
        min=1,
        metavar="N",
        help="Processes that render the audience in chunks, the output the same for any "
        "number  [default: the usable cores].",
        show_default=False,
    ),
]
SendWorkersOpt = Annotated[
    int | None,
    typer.Option(
        "--workers",
        min=1,
        metavar="N",
        help="Processes that render the audience into the journal, then make the calls; "
        "this process alone keeps the journal  [default: the usable cores].",
        show_default=False,
    ),
]
ShardOpt = Annotated[
    str | None,
    typer.Option(
        "--shard",
        metavar="I/N",
        help="Only shard I of N (e.g. 2/3), the users whose id hashes to it on every machine  "
        "[default: from an array job's JOB_COMPLETION_INDEX, AWS_BATCH_JOB_ARRAY_INDEX/_SIZE "
        "or CLOUD_RUN_TASK_INDEX/_COUNT].",
        show_default=False,
    ),
]
ShardsOpt = Annotated[
    int | None,
    typer.Option(
        "--shards",
        min=1,
        metavar="N",
        help="The number of shards, where the array job does not say it "
        "(a Kubernetes Indexed Job's completions, with JOB_COMPLETION_INDEX).",
        show_default=False,
    ),
]
# lint and preview take a shard only when asked: an array job runs render and send.
LocalShardOpt = Annotated[
    str | None,
    typer.Option(
        "--shard",
        metavar="I/N",
        help="Only shard I of N (e.g. 2/3), as render and send split an audience.",
    ),
]


def read_shard(option: str | None, shards: int | None, *, announce: bool = True) -> Shard | None:
    """The shard to work on: ``--shard``, else the array job's, else none.

    With ``announce``, which shard it is (and where that came from) goes to stderr.
    """
    shard = resolve_shard(option, shards, os.environ)
    if shard is not None and announce:
        typer.echo(shard.describe(), err=True)
    return shard


def local_shard(option: str | None) -> Shard | None:
    """``--shard I/N`` of a command that does not look at the environment."""
    return None if option is None else parse_shard(option)


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
