"""Pinpoint's limits and delivery statuses: the numbers and names the API holds us to."""

from __future__ import annotations

from typing import Final

# Users per SendUsersMessages request, and addresses plus endpoints per SendMessages request.
MAX_RECIPIENTS_PER_REQUEST: Final = 100
# The service's documented request payload limit ("7 MB"); the sandbox answers 413 above it.
MAX_PAYLOAD_BYTES: Final = 7 * 1024 * 1024
# What the pipeline builds: under 7 MB whichever megabyte AWS means.
MAX_REQUEST_BYTES: Final = 7_000_000
MAX_ENDPOINTS_PER_USER: Final = 15
# Push services' payload limits in bytes: APNs, FCM and Baidu 4 KB, ADM 6 KB.
PUSH_PAYLOAD_LIMITS: Final = {"APNS": 4096, "GCM": 4096, "BAIDU": 4096, "ADM": 6144}

SUCCESSFUL: Final = "SUCCESSFUL"
PERMANENT_FAILURE: Final = "PERMANENT_FAILURE"
# Worth sending again to the same endpoint (TIMEOUT comes from older SDKs only).
RETRYABLE_STATUSES: Final = frozenset(
    {"THROTTLED", "TEMPORARY_FAILURE", "UNKNOWN_FAILURE", "TIMEOUT"}
)
# Final as they are; any status Pinpoint may add later is treated as final too, because
# re-sending on a status nobody knows could deliver twice.
FINAL_STATUSES: Final = frozenset({SUCCESSFUL, PERMANENT_FAILURE, "OPT_OUT", "DUPLICATE"})
# How Pinpoint answers for a user id without endpoints, inside a 200 response.
NO_ENDPOINTS_ANSWER: Final = {
    "DeliveryStatus": PERMANENT_FAILURE,
    "StatusCode": 400,
    "StatusMessage": "No endpoints found for userId.",
}
