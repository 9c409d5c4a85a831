"""Seeded fault injection: request faults, endpoint faults, the same for the same seed."""

from __future__ import annotations

import botocore.exceptions
import pytest

from pipeline.sandbox import Faults, Sandbox
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
