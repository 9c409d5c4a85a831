"""Generate a synthetic audience for benchmarks: JSON Lines (default) or YAML.

    python benchmarks/make_audience.py 100000 benchmarks/data/audience_100k.jsonl
    python benchmarks/make_audience.py 100000 benchmarks/data/devices_100k.jsonl --addresses

With --addresses every user has an SMS number, and every other user an APNs token too
(1.5 addresses per user), for ``--api send-messages``.
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

FIRST_NAMES = ["Ana", "Zoë", "Chloé", "François", "José", "Björn", "Łukasz", "Søren", "Mário",
               "Ñuño", "Ólafur", "Ümit", "Grace", "Liam", "Noah", "Emma", "Olivia", "Mia", "田中",
               "Ayşe"]
LOCALES = ["en-US", "en-US", "en-US", "en-GB", "fr-FR", "fr-CA", "es-ES", "es-MX"]
PLANS = ["free", "free", "pro", "team"]


def users(count: int, seed: int = 7, addresses: bool = False):
    rng = random.Random(seed)
    for number in range(count):
        user = {
            "id": f"u-{number:07d}",
            "first_name": rng.choice(FIRST_NAMES),
            "locale": rng.choice(LOCALES),
            "plan": rng.choice(PLANS),
            "last_order": f"A-{rng.randrange(1000, 999999)}",
            "points": rng.randrange(0, 5000),
        }
        if addresses:  # unique by construction: the number is the user's
            user["addresses"] = {"SMS": f"+1555{number:07d}"}
            if number % 2:
                user["addresses"]["APNS"] = f"{number:064x}"
        yield user


def main() -> None:
    count = int(sys.argv[1])
    target = Path(sys.argv[2])
    addresses = "--addresses" in sys.argv[3:]
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("w", encoding="utf-8") as out:
        if target.suffix in (".yaml", ".yml"):
            out.write("users:\n")
            for user in users(count, addresses=addresses):
                out.write("  - " + json.dumps(user, ensure_ascii=False) + "\n")
        else:
            for user in users(count, addresses=addresses):
                out.write(json.dumps(user, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
