"""One call of a run, from a claimed request to its outcome: everything but the journal.

Sending a request that is marked in flight, reading its answer per user and endpoint,
planning the retries and packing the results for the journal need nothing the journal
holds, so a sending thread does it here, and so does a sender process
(``pipeline.send.senders``); the journal itself is written by the dispatcher alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pipeline import fastjson
from pipeline.send.client import CallFailure, PinpointClient, call, classify
from pipeline.send.client import request_id as aws_request_id
from pipeline.send.journal import ADDRESSES_KIND, USERS_KIND, Answer, Claimed
from pipeline.send.journal.packing import pack_results
from pipeline.send.results import addresses_results, endpoints_results, users_results
from pipeline.send.retry import Backoff, plan_retries


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one claimed request: answered, failed, a bug, or never sent."""

    request: Claimed
    answer: Answer | None = None
    failure: CallFailure | None = None
    bug: BaseException | None = None
    skipped: bool = False  # taken by a worker after the run began to stop: never sent


@dataclass(frozen=True, slots=True)
class Caller:
    """Makes the calls of one run with one client."""

    client: PinpointClient
    delivery_attempts: int
    backoff: Backoff
    clock: Callable[[], float]
    resend_lost_answers: bool = False

    def __call__(self, request: Claimed) -> Outcome:
        """Send a request already marked in flight; its answer read, or why it failed."""
        try:
            sent, response = call(self.client, request)
        except Exception as error:
            failure = classify(error, resend_lost_answers=self.resend_lost_answers)
            return Outcome(request, failure=failure)
        if request.kind == USERS_KIND:
            rows = users_results(response, sent["SendUsersMessageRequest"]["Users"])
        elif request.kind == ADDRESSES_KIND:
            assert request.recipients is not None
            rows = addresses_results(response, fastjson.loads(request.recipients))
        else:
            assert request.recipients is not None
            rows = endpoints_results(response, fastjson.loads(request.recipients))
        retries = plan_retries(
            request,
            sent,
            rows,
            max_attempts=self.delivery_attempts,
            backoff=self.backoff,
            now=self.clock(),
        )
        answer = Answer(
            request.id,
            aws_request_id(response),
            request.attempt,
            rows,
            retries,
            packed=pack_results(rows),
        )
        return Outcome(request, answer=answer)
