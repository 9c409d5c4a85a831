"""Sandbox benchmark: CPU per SendUsersMessages request, in-process, without HTTP.

    PYTHONPATH=. python benchmarks/bench_sandbox.py [--requests 200] [--rounds 15] [--store FILE]

Each request is what ``pipeline send reference`` sends: 100 users, each with a body and a
title override and three substitutions, and SMS, APNS and GCM blocks, so 300 synthetic
endpoints answered and recorded. It goes through the server's request handling (parse,
validate, answer, record, encode) in memory, or into ``--store``. Prints the median CPU
per request over the rounds; the machine may be shared, hence the median.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.sandbox import Sandbox  # noqa: E402
from pipeline.sandbox.protocol import SEND_USERS_MESSAGES, Route, new_request_id  # noqa: E402
from pipeline.sandbox.server import answer_request  # noqa: E402
from pipeline.sandbox.store import open_store  # noqa: E402

NAMES = ("Ólafur", "Chloé", "Olivia", "Liam", "田中", "Zoë", "Noah", 'Jo "JJ"')


def payload(first: int, users: int = 100) -> bytes:
    """The body of one request for users ``first`` to ``first + users - 1``."""
    rendered = {}
    for number in range(first, first + users):
        name, order = NAMES[number % len(NAMES)], f"A-{number * 7919 % 1_000_000}"
        rendered[f"u-{number:07d}"] = {
            "BodyOverride": f"Hi {name}, order {order} has shipped."
            f" Track it at https://shop.example.com/o/{order}",
            "TitleOverride": f"{name}, your order is on its way",
            "Substitutions": {"FirstName": [name], "OrderId": [order], "Plan": ["team"]},
        }
    configuration = {
        "SMSMessage": {"MessageType": "TRANSACTIONAL"},
        "APNSMessage": {"Action": "OPEN_APP"},
        "GCMMessage": {"Action": "OPEN_APP"},
    }
    request = {"MessageConfiguration": configuration, "Users": rendered}
    return json.dumps(request, ensure_ascii=False, separators=(",", ":")).encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=200, help="requests per round")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--store", type=Path, help="a store file (default: in memory)")
    args = parser.parse_args()

    sandbox = Sandbox(store=args.store)
    # The request path without the HTTP server: the store is the only state it needs.
    store = sandbox._store = open_store(args.store)
    route = Route(SEND_USERS_MESSAGES, "bench")
    bodies = [payload(n * 100) for n in range(args.requests)]
    per_request = []
    for _ in range(args.rounds):
        plan = sandbox.begin_request()
        start = time.process_time()
        for body in bodies:
            _, draws = plan.draw()
            status, answer = answer_request(sandbox, route, body, new_request_id(), plan, draws)
            assert status == 200, answer
        per_request.append((time.process_time() - start) / len(bodies))
        sandbox.end_request()
    deliveries = len(store.deliveries())
    store.close()
    expected = 300 * args.requests * args.rounds
    assert deliveries == expected, (deliveries, expected)
    ms = sorted(1000 * t for t in per_request)
    print(
        f"sandbox CPU per 100-user request: median {statistics.median(ms):.2f} ms"
        f" (min {ms[0]:.2f}, max {ms[-1]:.2f}, {args.rounds} rounds of {args.requests})"
    )


if __name__ == "__main__":
    main()
