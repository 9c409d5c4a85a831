"""Generate a synthetic audience for benchmarks: JSON Lines (default) or YAML.

    python benchmarks/make_audience.py 100000 benchmarks/data/audience_100k.jsonl
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


def users(count: int, seed: int = 7):
    rng = random.Random(seed)
    for number in range(count):
        yield {
            "id": f"u-{number:07d}",
            "first_name": rng.choice(FIRST_NAMES),
            "locale": rng.choice(LOCALES),
            "plan": rng.choice(PLANS),
            "last_order": f"A-{rng.randrange(1000, 999999)}",
            "points": rng.randrange(0, 5000),
        }


def main() -> None:
    count = int(sys.argv[1])
    target = Path(sys.argv[2])
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("w", encoding="utf-8") as out:
        if target.suffix in (".yaml", ".yml"):
            out.write("users:\n")
            for user in users(count):
                out.write("  - " + json.dumps(user, ensure_ascii=False) + "\n")
        else:
            for user in users(count):
                out.write(json.dumps(user, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
