"""Seeded fault injection: request faults, endpoint faults, the same for the same seed."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict
from typing import Any

import botocore.exceptions
import pytest

from pipeline.sandbox import Faults, Sandbox
from pipeline.sandbox.faults import EndpointFault, FaultPlan, RequestFault
from tests.sandbox.support import REQUEST_ID, MakeClient, send


@pytest.mark.parametrize(
    ("faults", "error"),
    [
        (Faults(throttle_share=1.0), "TooManyRequestsException"),
        (Faults(error_share=1.0), "InternalServerErrorException"),
    ],
)
def test_request_faults_surface_as_modeled_exceptions(
    make_client: MakeClient, faults: Faults, error: str
) -> None:
    with Sandbox(faults=faults) as sandbox:
        client = make_client(sandbox.url)
        with pytest.raises(getattr(client.exceptions, error)) as caught:
            send(client, {"ana": {}})
        assert sandbox.deliveries() == []
        assert sandbox.requests_received == 1
    assert caught.value.response["Error"]["Code"] == error
    assert REQUEST_ID.fullmatch(caught.value.response["RequestID"])


def test_dropped_connection_is_a_connection_error_and_delivers_nothing(
    make_client: MakeClient,
) -> None:
    with Sandbox(faults=Faults(drop_share=1.0)) as sandbox:
        client = make_client(sandbox.url)
        with pytest.raises(botocore.exceptions.ConnectionClosedError):
            send(client, {"ana": {}})
        assert sandbox.deliveries() == []
        sandbox.faults = Faults()
        send(client, {"ana": {}})
        assert list(sandbox.delivery_counts().values()) == [1]
        assert sandbox.requests_received == 2


def test_retries_after_faults_never_deliver_twice(make_client: MakeClient) -> None:
    faults = Faults(throttle_share=0.2, error_share=0.2, drop_share=0.2, seed=7)
    users = {f"u-{i:03d}": {} for i in range(100)}
    with Sandbox(faults=faults) as sandbox:
        client = make_client(sandbox.url)
        attempts = 0
        for batch in (dict(list(users.items())[i : i + 10]) for i in range(0, 100, 10)):
            while True:
                attempts += 1
                try:
                    send(client, batch)
                    break
                except (botocore.exceptions.ClientError, botocore.exceptions.HTTPClientError):
                    continue
        counts = sandbox.delivery_counts()
        assert sandbox.requests_received == attempts
    assert attempts > 10  # the faults did happen
    assert sorted(user for user, _ in counts) == sorted(users)
    assert set(counts.values()) == {1}


def test_endpoint_faults_come_inside_a_200_and_are_not_delivered(
    make_client: MakeClient,
) -> None:
    with Sandbox(faults=Faults(endpoint_throttle_share=1.0)) as sandbox:
        client = make_client(sandbox.url)
        throttled = send(client, {"ana": {}})["Result"]["ana"]
        sandbox.faults = Faults(endpoint_temporary_failure_share=1.0)
        failed = send(client, {"ana": {}})["Result"]["ana"]
        assert sandbox.deliveries() == []
    [throttled_result] = throttled.values()
    [failed_result] = failed.values()
    assert (throttled_result["DeliveryStatus"], throttled_result["StatusCode"]) == (
        "THROTTLED",
        429,
    )
    assert (failed_result["DeliveryStatus"], failed_result["StatusCode"]) == (
        "TEMPORARY_FAILURE",
        500,
    )
    assert "MessageId" not in throttled_result


def test_faults_are_the_same_for_the_same_seed(make_client: MakeClient) -> None:
    faults = Faults(
        endpoint_throttle_share=0.3, endpoint_temporary_failure_share=0.3, opt_out_share=0.2, seed=3
    )
    users = {f"u-{i}": {} for i in range(50)}

    def statuses() -> dict[str, str]:
        with Sandbox(faults=faults) as sandbox:
            result = send(make_client(sandbox.url), users)["Result"]
        return {user: next(iter(r.values()))["DeliveryStatus"] for user, r in result.items()}

    first = statuses()
    assert first == statuses()
    assert {"SUCCESSFUL", "THROTTLED", "TEMPORARY_FAILURE", "OPT_OUT"} <= set(first.values())


def test_fault_shares_must_add_up_to_at_most_one() -> None:
    with pytest.raises(ValueError, match="must not exceed 1"):
        Faults(throttle_share=0.6, drop_share=0.6)
    with pytest.raises(ValueError, match="between 0 and 1"):
        Faults(endpoint_throttle_share=1.5)


def decisions(faults: Faults, requests: int = 200) -> list[tuple[RequestFault | None, list[Any]]]:
    """Each request's fault and its first endpoints' faults, as a sandbox would draw them."""
    plan = FaultPlan(faults)
    drawn = []
    for _ in range(requests):
        fault, endpoints = plan.draw()
        drawn.append((fault, [endpoints.next() for _ in range(5)] if endpoints else []))
    return drawn


def test_a_plan_draws_the_same_faults_for_the_same_seed() -> None:
    faults = Faults(throttle_share=0.2, drop_share=0.1, endpoint_throttle_share=0.3, seed=42)
    assert decisions(faults) == decisions(faults)
    assert decisions(faults) != decisions(Faults(**{**asdict(faults), "seed": 43}))


def test_shares_of_zero_and_one_are_never_and_always() -> None:
    assert {fault for fault, _ in decisions(Faults())} == {None}
    assert {fault for fault, _ in decisions(Faults(error_share=1.0))} == {RequestFault.ERROR}
    every = decisions(Faults(endpoint_temporary_failure_share=1.0), requests=20)
    assert {f for _, endpoints in every for f in endpoints} == {EndpointFault.TEMPORARY_FAILURE}
    assert decisions(Faults(), requests=5) == [(None, [])] * 5  # no endpoint faults to draw


def test_the_request_faults_split_the_draws_by_their_shares() -> None:
    faults = Faults(throttle_share=0.25, error_share=0.25, drop_share=0.25, seed=1)
    counts = Counter(fault for fault, _ in decisions(faults, requests=4000))
    for fault in (RequestFault.THROTTLE, RequestFault.ERROR, RequestFault.DROP, None):
        assert 850 < counts[fault] < 1150, counts  # a seeded draw: the same counts every run


def test_opt_outs_are_a_stable_property_of_an_endpoint() -> None:
    plan, again = (
        FaultPlan(Faults(opt_out_share=0.5, seed=9)),
        FaultPlan(Faults(opt_out_share=0.5, seed=9)),
    )
    chosen = {(u, e) for u in range(40) for e in range(3) if plan.opted_out(f"u{u}", f"e{e}")}
    assert chosen == {
        (u, e) for u in range(40) for e in range(3) if again.opted_out(f"u{u}", f"e{e}")
    }
    assert 20 < len(chosen) < 100
    assert not FaultPlan(Faults(seed=9)).opted_out("u1", "e1")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            {"endpoint_throttle_share": 0.7, "endpoint_temporary_failure_share": 0.4},
            "must not exceed 1",
        ),
        ({"latency": -0.1}, "latency must not be negative"),
        ({"opt_out_share": -0.5}, "opt_out_share must be between 0 and 1"),
    ],
)
def test_more_fault_settings_that_cannot_be(options: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Faults(**options)
