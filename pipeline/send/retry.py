"""Per-endpoint retries: which results are sent again, to which recipients, how, and when.

A user may have several endpoints (up to 15), and one request's answer can mix
``SUCCESSFUL`` and ``THROTTLED`` for the same user. Sending that user again with
SendUsersMessages would reach every endpoint of the user, delivering twice to the ones that
already succeeded. So a retry addresses endpoints, not users: it is a ``SendMessages`` call
whose ``Endpoints`` map holds exactly the endpoint ids that came back retryable, each with
the same per-user configuration (overrides, substitutions, context) and the same
``MessageConfiguration`` as the request it retries. Only a retryable result that names no
endpoint (a user missing from the answer) is retried as the user, with SendUsersMessages,
since nothing was delivered to any of that user's endpoints.

A SendMessages request to addresses is answered per address, so its retry is a SendMessages
call to exactly the addresses that came back retryable, each with its configuration as
rendered (``ChannelType`` included).
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from pipeline.api import to_json
from pipeline.pinpoint.limits import MAX_RECIPIENTS_PER_REQUEST, RETRYABLE_STATUSES
from pipeline.send.journal import (
    ADDRESSES_KIND,
    ENDPOINTS_KIND,
    USERS_KIND,
    Claimed,
    Outbound,
    ResultRow,
)

DEFAULT_DELIVERY_ATTEMPTS: Final = 5
_ENVELOPE: Final = ("MessageConfiguration", "Context", "TraceId", "TemplateConfiguration")


@dataclass(frozen=True, slots=True)
class Backoff:
    """Exponential backoff with jitter: retry n waits up to ``base * 2**(n-1)``, capped.

    The wait is drawn between half and all of that bound, so retries of many endpoints
    throttled at once spread out instead of arriving together.
    """

    base: float = 0.5
    cap: float = 10.0

    def delay(self, retry: int) -> float:
        """Seconds to wait before the ``retry``-th retry (1 for the first)."""
        bound = min(self.cap, self.base * 2 ** (retry - 1))
        return random.uniform(bound / 2, bound)


def plan_retries(
    claimed: Claimed,
    sent: Mapping[str, Any],
    results: Sequence[ResultRow],
    *,
    max_attempts: int,
    backoff: Backoff,
    now: float,
) -> list[Outbound]:
    """The retries that an answered request calls for; none once ``max_attempts`` is reached.

    Args:
        claimed: The request that was answered.
        sent: The keyword arguments it was sent with (its parsed body).
        results: Its per-endpoint results.
        max_attempts: Deliveries tried per endpoint, the first one included.
        backoff: How long to wait before the retry.
        now: The current time (seconds since the epoch).
    """
    attempt = claimed.attempt + 1
    retryable = [row for row in results if row[2] in RETRYABLE_STATUSES]
    if not retryable or attempt > max_attempts:
        return []
    if claimed.kind == ADDRESSES_KIND:
        retry = _Retry(claimed, sent, attempt, now + backoff.delay(attempt - 1))
        addresses = [(row[1], row[0]) for row in retryable]
        return [
            retry.to_addresses(dict(addresses[start : start + MAX_RECIPIENTS_PER_REQUEST]))
            for start in range(0, len(addresses), MAX_RECIPIENTS_PER_REQUEST)
        ]
    named = {row[0] for row in results if row[1]}
    users: list[str] = []
    endpoints: dict[str, str] = {}
    for user_id, endpoint_id, *_ in retryable:
        if endpoint_id:
            endpoints[endpoint_id] = user_id
        elif user_id not in named:
            users.append(user_id)
    if not users and not endpoints:
        return []
    retry = _Retry(claimed, sent, attempt, now + backoff.delay(attempt - 1))
    planned = [retry.to_users(users)] if users else []
    items = list(endpoints.items())
    for start in range(0, len(items), MAX_RECIPIENTS_PER_REQUEST):
        planned.append(retry.to_endpoints(dict(items[start : start + MAX_RECIPIENTS_PER_REQUEST])))
    return planned


class _Retry:
    """Builds retries of one answered request."""

    def __init__(
        self, claimed: Claimed, sent: Mapping[str, Any], attempt: int, not_before: float
    ) -> None:
        self.claimed = claimed
        self.application_id: str = sent["ApplicationId"]
        self.by_user: Mapping[str, Any] = {}
        self.by_endpoint: Mapping[str, Any] = {}
        self.by_address: Mapping[str, Any] = {}
        if claimed.kind == USERS_KIND:
            body = sent["SendUsersMessageRequest"]
            self.by_user = body["Users"]
        elif claimed.kind == ADDRESSES_KIND:
            body = sent["MessageRequest"]
            self.by_address = body["Addresses"]
        else:
            body = sent["MessageRequest"]
            self.by_endpoint = body["Endpoints"]
        self.envelope = {key: body[key] for key in _ENVELOPE if key in body}
        self.attempt = attempt
        self.not_before = not_before

    def to_users(self, user_ids: Sequence[str]) -> Outbound:
        request = {
            "ApplicationId": self.application_id,
            "SendUsersMessageRequest": {
                **self.envelope,
                "Users": {user_id: self.by_user[user_id] for user_id in user_ids},
            },
        }
        return self._outbound(USERS_KIND, request, len(user_ids), None)

    def to_endpoints(self, recipients: Mapping[str, str]) -> Outbound:
        configurations = {
            endpoint_id: self.by_endpoint.get(endpoint_id, self.by_user.get(user_id, {}))
            for endpoint_id, user_id in recipients.items()
        }
        request = {
            "ApplicationId": self.application_id,
            "MessageRequest": {**self.envelope, "Endpoints": configurations},
        }
        users = len(set(recipients.values()))
        return self._outbound(ENDPOINTS_KIND, request, users, to_json(recipients))

    def to_addresses(self, owners: Mapping[str, str]) -> Outbound:
        """A SendMessages call to these addresses (address -> user id) only."""
        request = {
            "ApplicationId": self.application_id,
            "MessageRequest": {
                **self.envelope,
                "Addresses": {address: self.by_address[address] for address in owners},
            },
        }
        users = len(set(owners.values()))
        return self._outbound(ADDRESSES_KIND, request, users, to_json(owners))

    def _outbound(
        self, kind: str, request: dict[str, Any], users: int, recipients: str | None
    ) -> Outbound:
        return Outbound(
            kind=kind,
            body=to_json(request),
            users=users,
            origin=self.claimed.origin,
            parent=self.claimed.id,
            attempt=self.attempt,
            not_before=self.not_before,
            recipients=recipients,
        )
