"""A local Pinpoint-compatible endpoint: boto3 talks to it unchanged through ``endpoint_url``.

Modules, from the wire inwards:

- ``server``: the threaded HTTP/1.1 server and its request handler.
- ``protocol``: routes, validation with botocore's model, error and answer framing.
- ``faults``: seeded fault injection (throttling, errors, drops, latency, endpoint faults).
- ``service``: what Pinpoint does with a request (endpoints, statuses, recorded texts).
- ``endpoints``: users' endpoints, synthetic or from an endpoints file.
- ``store``: the SQLite record of deliveries.
- ``sandbox``: ``Sandbox``, which ties them together.
"""

from pipeline.sandbox.endpoints import Endpoint, load_endpoints, synthetic_endpoints
from pipeline.sandbox.faults import Faults
from pipeline.sandbox.sandbox import DEFAULT_PORT, Sandbox
from pipeline.sandbox.store import Delivery

__all__ = [
    "DEFAULT_PORT",
    "Delivery",
    "Endpoint",
    "Faults",
    "Sandbox",
    "load_endpoints",
    "synthetic_endpoints",
]
