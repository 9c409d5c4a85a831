"""Which run a send continues, and how its requests of unknown fate are settled.

``--resume`` continues the latest unfinished run of the same message, audience,
application, target and shard, sending the requests it stored (not a new render). A shard
of an array job resumes on its own: the engine retries a failed task with the same
command line, and a fresh render of the shard would be refused as a duplicate of what its
first attempt sent (or, had the templates changed, send its users a second message).
"""

from __future__ import annotations

from pipeline.errors import InputError
from pipeline.send.dispatch import Monitor
from pipeline.send.journal import Journal, Run
from pipeline.send.options import RunChoice
from pipeline.shard import Shard

# What a run is the same send of: message, audience, application, target, Region, shard, API.
RunKey = tuple[str, str, str, str, str | None, Shard | None, str]


def run_to_resume(book: Journal, key: RunKey, choice: RunChoice, monitor: Monitor) -> Run | None:
    """The run to continue: asked for with ``--resume``, or the one a shard left unfinished."""
    if choice.resume:
        return _resumable(book, *key)
    shard = key[5]
    if shard is None or choice.force:
        return None
    run = _unfinished(book, *key)
    if run is not None:
        monitor.note(
            f"shard {shard.label}: resuming run {run.id}, which an earlier attempt of this "
            "shard left unfinished"
        )
    return run


def settle_unknown(book: Journal, run: Run, choice: RunChoice, monitor: Monitor) -> None:
    """Take over a resumed run and settle its unknown requests as ``choice`` says."""
    book.take_over(run.id)
    if choice.resend_unknown:
        book.resend_unknown(run.id)
    elif choice.accept_unknown:
        book.accept_unknown(run.id)
    elif unknown := book.unknown(run.id):
        monitor.note(
            f"run {run.id}: {len(unknown)} requests were in flight when it stopped; "
            "they stay unsent (--resend-unknown sends them, --accept-unknown settles them)"
        )


def _resumable(
    book: Journal,
    message: str,
    audience: str,
    app_id: str,
    target: str,
    region: str | None,
    shard: Shard | None,
    api: str,
) -> Run:
    run = _unfinished(book, message, audience, app_id, target, region, shard, api)
    if run is None:
        of = "" if shard is None else f" (shard {shard.label})"
        raise InputError(
            f"no unfinished run of {message!r} to {audience!r}{of} for application {app_id!r} "
            f"sent to {target} with --api {api} in {book.path}",
            fix="list the runs with `pipeline runs` (check --api), or send without --resume",
        )
    return run


def _unfinished(
    book: Journal,
    message: str,
    audience: str,
    app_id: str,
    target: str,
    region: str | None,
    shard: Shard | None,
    api: str,
) -> Run | None:
    run = book.latest_unfinished(
        message=message,
        audience=audience,
        application_id=app_id,
        target=target,
        api=api,
        shard=None if shard is None else shard.label,
    )
    if run is not None and run.region and region and run.region != region:
        raise InputError(
            f"run {run.id} was sent in Region {run.region}, not {region}",
            fix=f"resume it with --region {run.region}",
        )
    return run
