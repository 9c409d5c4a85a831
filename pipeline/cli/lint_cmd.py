"""``pipeline lint``: every check that can run before sending, as file:line findings."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from pipeline.cli.options import (
    LocalShardOpt,
    NowOpt,
    RootOpt,
    VarOpt,
    WorkersOpt,
    local_shard,
    parse_now,
    parse_vars,
)
from pipeline.review.lint import CHECKS, Finding, LintReport, lint_messages

# Commands of this module; pipeline.cli loads it when one of them is invoked.
commands = typer.Typer(pretty_exceptions_show_locals=False, add_completion=False)


class LintFormat(StrEnum):
    """Output formats of ``pipeline lint``."""

    text = "text"
    json = "json"
    github = "github"


@commands.command("lint")
def lint_command(
    messages: Annotated[
        list[str] | None,
        typer.Argument(
            help="Messages: folder names under templates/ or paths to message folders  "
            "[default: every folder under templates/ that holds a message.yaml].",
            show_default=False,
        ),
    ] = None,
    audience: Annotated[
        str | None,
        typer.Option(
            "--audience",
            help="Render every message for this audience, a name under audiences/ or a "
            "path  [default: each message's own 'audience:'].",
        ),
    ] = None,
    output_format: Annotated[
        LintFormat,
        typer.Option(
            "--format",
            help="text: 'file:line: severity check: message', then each message's SMS "
            "parts. json: an object with the findings, and per message its users and SMS "
            "parts. github: workflow annotations (::error file=...,line=...::...).",
        ),
    ] = LintFormat.text,
    strict: Annotated[
        bool, typer.Option("--strict", help="Fail on warnings too, not only on errors.")
    ] = False,
    list_checks: Annotated[
        bool, typer.Option("--list-checks", help="List every check with its severity, and exit.")
    ] = False,
    root: RootOpt = Path(),
    var: VarOpt = None,
    now: NowOpt = None,
    workers: WorkersOpt = None,
    shard: LocalShardOpt = None,
) -> None:
    r"""Check messages before they are sent: templates, fields, users.

    Renders every user of the audience and reports Jinja errors, undefined values
    and the users they fail for, undeclared or unused substitutions, leftover
    {{ }} placeholders, unknown fields, hidden bodies, missing URLs, bad
    RawContent, SMS parts and encoding (and the message's own characters that
    force UCS-2), push payload sizes, missing translations, locales CLDR does
    not know and templated TraceIds. See every check with --list-checks. Prints
    the SMS parts each message costs the audience, by encoding.

    Exit status: 0 without errors; 1 with errors, or with warnings and --strict;
    2 when a message or the audience given does not exist. In message.yaml,
    'lint: {ignore: \[check-id]}' turns a check off for that message and
    'lint: {sms_max_parts: N}' sets its SMS part budget (default 3).
    """
    if list_checks:
        for check in CHECKS.values():
            typer.echo(f"{check.id:<22}{check.severity:<9}{check.catches}")
        return
    report = lint_messages(
        messages or (),
        root=root,
        audience=audience,
        variables=parse_vars(var),
        now=parse_now(now),
        workers=workers,
        shard=local_shard(shard),
    )
    if output_format is LintFormat.json:
        document = {
            "findings": [finding.to_json() for finding in report.findings],
            "messages": [message.to_json() for message in report.messages],
            "errors": report.errors,
            "warnings": report.warnings,
        }
        typer.echo(json.dumps(document, ensure_ascii=False, indent=2))
        typer.echo(_summary(report, strict), err=True)
    elif output_format is LintFormat.github:
        for finding in report.findings:
            typer.echo(_annotation(finding))
        typer.echo(_summary(report, strict), err=True)
    else:
        for finding in report.findings:
            typer.echo(f"{finding.location}: {finding.severity} {finding.check}: {finding.text()}")
        typer.echo(_summary(report, strict))
    if report.failed(strict=strict):
        raise typer.Exit(1)


def _summary(report: LintReport, strict: bool) -> str:
    count = len(report.messages)
    users = sum(message.users for message in report.messages)
    ignored = sum(message.ignored for message in report.messages)
    parts = [
        _plural(report.errors, "error"),
        _plural(report.warnings, "warning"),
    ]
    text = f"{', '.join(parts)} in {_plural(count, 'message')} ({users:,} users rendered"
    text += f", {ignored} ignored by lint: ignore)" if ignored else ")"
    if strict and report.warnings and not report.errors:
        text += "; --strict: warnings fail"
    # What each message's SMS costs, by encoding: "order_shipped: SMS: 37 parts for ...".
    costs = [f"{m.name}: {m.sms.describe()}" for m in report.messages if m.sms is not None]
    return "\n".join([*costs, text])


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}" + ("" if count == 1 else "s")


def _annotation(finding: Finding) -> str:
    """A GitHub Actions workflow command that annotates the file and line."""
    properties = [f"title={_property(finding.check)}"]
    if finding.file:
        properties.insert(0, f"file={_property(finding.file)}")
        if finding.line:
            properties.insert(1, f"line={finding.line}")
    return f"::{finding.severity} {','.join(properties)}::{_data(finding.text())}"


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")
