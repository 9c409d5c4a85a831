"""Lint on several processes finds what one process finds: counts, first users, details."""

from __future__ import annotations

import json
import random

import pytest

import pipeline.chunks
from pipeline.review.lint import lint_messages
from pipeline.shard import Shard
from tests.helpers import build_tree
from tests.review.support import NOW

# Findings of many kinds, for some users and for all users of a locale: an undefined value
# (users without a plan), user data that switches the SMS to UCS-2 (with the characters as
# details), a PerUser field that fails for some users, a missing translation.
MESSAGE = """
    audience: people
    MessageConfiguration:
      SMSMessage: {Body: "{{ sub('Name') }}, your {{ vars.thing }} shipped", MessageType: PROMOTIONAL}
      APNSMessage: {Title: "{{ 'Hola' if locale == 'es' else 'Hi' }}", Body: "x"}
    vars: {thing: order}
    PerUser:
      Substitutions:
        Name: "{{ user.name }}"
        Plan: "{{ user.plan }}"
      TitleOverride: "{% include 'm/title.j2' %} {{ 10 // user.n }}"
"""
NAMES = ["Ana", "Zoë", "Łukasz", "田中", "Bob", "Chloé", "Ñuño", "Søren", "Ümit", "Ayşe"]


def people(count: int, seed: int = 5) -> list[dict]:
    rng = random.Random(seed)
    users = []
    for n in range(count):
        user = {
            "id": f"u-{n:04d}",
            "name": rng.choice(NAMES),
            "n": rng.randrange(0, 40),
            "locale": rng.choice(["en", "fr", "es", "de"]),
        }
        if rng.random() > 0.1:
            user["plan"] = "pro"
        users.append(user)
    return users


def project(tmp_path, users, extra_lines=()):
    lines = [json.dumps(user, ensure_ascii=False) for user in users]
    for place, text in extra_lines:
        lines.insert(place, text)
    return build_tree(
        tmp_path,
        {
            "templates/m/message.yaml": MESSAGE,
            "templates/m/title.j2": "Title",
            "templates/m/title.fr.j2": "Titre",
            "audiences/people.jsonl": "".join(line + "\n" for line in lines),
        },
    )


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch):
    monkeypatch.setattr(pipeline.chunks, "CHUNK_BYTES", 900)


def findings(root, **options):
    report = lint_messages(["m"], root=root, now=NOW, **options)
    return report.messages[0].users, report.findings


def test_findings_are_the_same_for_any_number_of_workers(tmp_path):
    root = project(tmp_path, people(1_500))
    one = findings(root, workers=1)
    assert {f.check for f in one[1]} >= {
        "undefined",
        "sms-ucs2",
        "render-failed",
        "missing-translation",
    }
    assert max(f.user_count for f in one[1]) > 100  # counted across many chunks
    assert findings(root, workers=2) == one
    assert findings(root, workers=3) == one


@pytest.mark.parametrize(
    "extra",
    [
        [(1_200, '{"id": "u-0003", "name": "Ana", "n": 1, "plan": "x"}')],  # a repeated id
        [(1_200, "not json")],
        [(1_200, '{"id": "bad", "locale": 5, "name": "Ana", "n": 1}')],  # a bad locale: goes on
        [  # an address listed for two users, chunks apart
            (3, '{"id": "x-1", "name": "Ana", "n": 1, "addresses": {"SMS": "+15550100"}}'),
            (1_200, '{"id": "x-2", "name": "Ana", "n": 1, "addresses": {"SMS": "+15550100"}}'),
        ],
    ],
)
def test_an_audience_problem_is_found_where_one_read_finds_it(tmp_path, extra):
    root = project(tmp_path, people(1_500), extra)
    one = findings(root, workers=1)
    assert any(f.check == "audience-invalid" for f in one[1])
    assert findings(root, workers=3) == one


def test_a_shard_is_linted_alone(tmp_path):
    root = project(tmp_path, people(1_500))
    checked, found = findings(root, workers=2, shard=Shard(2, 3))
    assert checked == sum(Shard(2, 3).contains(u["id"]) for u in people(1_500))
    assert (checked, found) == findings(root, workers=1, shard=Shard(2, 3))
    assert all(Shard(2, 3).contains(user) for f in found for user in f.users)


def test_after_a_render_runs_out_of_time_the_workers_find_what_one_process_finds(
    tmp_path, monkeypatch
):
    # Endless loops, for one user in the middle: the limit, not the machine, stops them.
    monkeypatch.setenv("PIPELINE_RENDER_LIMITS", "seconds=0.05")
    endless = "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"
    root = project(tmp_path, people(1_500))
    message = (root / "templates/m/message.yaml").read_text()
    endless = "{% if user.n == 7 and user.name == 'Ana' %}" + endless + "{% endif %}"
    message = message.replace('TitleOverride: "', 'TitleOverride: "' + endless)
    (root / "templates/m/message.yaml").write_text(message)
    one = findings(root, workers=1)
    stopped = [f for f in one[1] if "rendered no further users" in f.message]
    assert len(stopped) == 1 and stopped[0].user_count == 1
    assert findings(root, workers=3) == one
