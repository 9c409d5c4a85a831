"""Seeded fault injection: which requests and endpoints of the sandbox fail, and how.

Every share-based decision comes from one ``random.Random(seed)`` drawn under a lock in
arrival order, so a sequential client sees the same faults for the same seed on every run.
Schedules by count (``throttle_first``, ``partition_after``) do not depend on chance or on
time at all, which is what deterministic tests need. Opt-outs are a stable property of an
endpoint (a hash of the seed, the user id and the endpoint id), so a retry of the same user
finds the same endpoints opted out.
"""

from __future__ import annotations

import enum
import hashlib
import random
import threading
from dataclasses import dataclass


class RequestFault(enum.Enum):
    """What happens to a whole HTTP request instead of a normal answer."""

    THROTTLE = "throttle"  # HTTP 429 TooManyRequestsException
    ERROR = "error"  # HTTP 500 InternalServerErrorException
    DROP = "drop"  # the connection is closed without any response, nothing delivered
    LOSE_ANSWER = "lose-answer"  # delivered and recorded, then closed without an answer
    PARTITION = "partition"  # as LOSE_ANSWER, then every later connection is refused


class EndpointFault(enum.Enum):
    """What happens to one endpoint inside a 200 response instead of a delivery."""

    THROTTLED = "THROTTLED"
    TEMPORARY_FAILURE = "TEMPORARY_FAILURE"


@dataclass(frozen=True, slots=True)
class Faults:
    """The faults a sandbox injects; every share is a probability between 0 and 1.

    Attributes:
        throttle_share: Share of requests answered 429 TooManyRequestsException.
        error_share: Share of requests answered 500 InternalServerErrorException.
        drop_share: Share of requests whose connection is closed without an answer. The
            decision is taken before the request is processed: a dropped request delivers
            nothing.
        latency: Seconds added before every answer (and before every drop).
        endpoint_throttle_share: Share of endpoints answered ``THROTTLED`` (StatusCode 429)
            inside a 200 response.
        endpoint_temporary_failure_share: Share of endpoints answered ``TEMPORARY_FAILURE``
            (StatusCode 500) inside a 200 response.
        seed: Seed of the generator behind every decision.
        opt_out_share: Share of endpoints that are opted out (``OPT_OUT``), chosen per
            endpoint and stable across requests.
        lost_answer_share: Share of requests that are processed (delivered and recorded)
            and whose connection is then closed without an answer: the client cannot know
            whether anything was delivered.
        throttle_first: The first this many requests are answered 429, whatever the shares.
        partition_after: After this many requests, the next ``partition_lost`` are
            processed with their answers lost, and then the sandbox refuses connections
            until ``Sandbox.heal()``: a network partition as a client sees it.
        partition_lost: How many answers the partition loses before connections are refused
            (at least 1 with ``partition_after``).
    """

    throttle_share: float = 0.0
    error_share: float = 0.0
    drop_share: float = 0.0
    latency: float = 0.0
    endpoint_throttle_share: float = 0.0
    endpoint_temporary_failure_share: float = 0.0
    seed: int = 0
    opt_out_share: float = 0.0
    lost_answer_share: float = 0.0
    throttle_first: int = 0
    partition_after: int | None = None
    partition_lost: int = 0

    def __post_init__(self) -> None:
        shares = {
            "throttle_share": self.throttle_share,
            "error_share": self.error_share,
            "drop_share": self.drop_share,
            "endpoint_throttle_share": self.endpoint_throttle_share,
            "endpoint_temporary_failure_share": self.endpoint_temporary_failure_share,
            "opt_out_share": self.opt_out_share,
            "lost_answer_share": self.lost_answer_share,
        }
        for name, share in shares.items():
            if not 0.0 <= share <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, not {share}")
        request_shares = (
            self.throttle_share + self.error_share + self.drop_share + self.lost_answer_share
        )
        if request_shares > 1.0:
            raise ValueError(
                "throttle_share + error_share + drop_share + lost_answer_share must not exceed 1"
            )
        counts = {"throttle_first": self.throttle_first, "partition_lost": self.partition_lost}
        if self.partition_after is not None:
            counts["partition_after"] = self.partition_after
        for name, count in counts.items():
            if count < 0:
                raise ValueError(f"{name} must not be negative, not {count}")
        if self.partition_after is not None and self.partition_lost < 1:
            raise ValueError("partition_lost must be at least 1 with partition_after")
        if self.endpoint_throttle_share + self.endpoint_temporary_failure_share > 1.0:
            raise ValueError(
                "endpoint_throttle_share + endpoint_temporary_failure_share must not exceed 1"
            )
        if self.latency < 0:
            raise ValueError(f"latency must not be negative, not {self.latency}")

    @property
    def has_endpoint_faults(self) -> bool:
        """Whether any endpoint of a processed request may fail."""
        return self.endpoint_throttle_share > 0 or self.endpoint_temporary_failure_share > 0


class EndpointDraws:
    """The endpoint faults of one request, drawn from that request's own generator."""

    __slots__ = ("_random", "_throttle", "_failure")

    def __init__(self, faults: Faults, seed: int) -> None:
        self._random = random.Random(seed)
        self._throttle = faults.endpoint_throttle_share
        self._failure = self._throttle + faults.endpoint_temporary_failure_share

    def next(self) -> EndpointFault | None:
        """The fault of the next endpoint in the request's order, or None to deliver."""
        draw = self._random.random()
        if draw < self._throttle:
            return EndpointFault.THROTTLED
        if draw < self._failure:
            return EndpointFault.TEMPORARY_FAILURE
        return None


class FaultPlan:
    """One ``Faults`` setting and the seeded generator that applies it, request by request."""

    def __init__(self, faults: Faults) -> None:
        self.faults = faults
        self._random = random.Random(faults.seed)
        self._lock = threading.Lock()
        self._throttle = faults.throttle_share
        self._error = self._throttle + faults.error_share
        self._drop = self._error + faults.drop_share
        self._lose = self._drop + faults.lost_answer_share
        self._drawn = 0  # requests decided so far, in arrival order

    def draw(self) -> tuple[RequestFault | None, EndpointDraws | None]:
        """Decide the next request's fault, and the generator of its endpoint faults."""
        with self._lock:
            self._drawn += 1
            number = self._drawn
            draw = self._random.random()
            endpoint_seed = (
                self._random.getrandbits(64) if self.faults.has_endpoint_faults else None
            )
        endpoints = None if endpoint_seed is None else EndpointDraws(self.faults, endpoint_seed)
        scheduled = self._scheduled(number)
        if scheduled is not None:
            return scheduled, endpoints
        fault = None
        if draw < self._throttle:
            fault = RequestFault.THROTTLE
        elif draw < self._error:
            fault = RequestFault.ERROR
        elif draw < self._drop:
            fault = RequestFault.DROP
        elif draw < self._lose:
            fault = RequestFault.LOSE_ANSWER
        return fault, endpoints

    def _scheduled(self, number: int) -> RequestFault | None:
        """The fault the count schedules give the ``number``-th request (1-based), if any."""
        faults = self.faults
        if number <= faults.throttle_first:
            return RequestFault.THROTTLE
        start = faults.partition_after
        if start is not None and start < number <= start + faults.partition_lost:
            last = number == start + faults.partition_lost
            return RequestFault.PARTITION if last else RequestFault.LOSE_ANSWER
        return None

    def opted_out(self, user_id: str, endpoint_id: str) -> bool:
        """Whether ``opt_out_share`` makes this endpoint opted out (the same every time)."""
        share = self.faults.opt_out_share
        if share <= 0.0:
            return False
        key = f"{self.faults.seed}\x00{user_id}\x00{endpoint_id}".encode()
        digest = hashlib.blake2b(key, digest_size=8).digest()
        return int.from_bytes(digest, "big") < share * 2**64
