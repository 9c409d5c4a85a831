"""map_users: per-user work on worker processes, in order, with the errors of one read."""

import json

import pytest

import pipeline.chunks
from pipeline.audience import load_audience
from pipeline.errors import AudienceError, TemplateError
from pipeline.shard import Shard
from pipeline.usermap import map_users


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch):
    monkeypatch.setattr(pipeline.chunks, "CHUNK_BYTES", 200)


def audience(tmp_path, lines):
    path = tmp_path / "a.jsonl"
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return load_audience(path)


def users(count):
    return [json.dumps({"id": f"u-{n}", "n": n}) for n in range(count)]


def square(user):
    if user.attributes["n"] == -1:
        raise TemplateError("bad user", user_id=user.id)
    return user.id, user.attributes["n"] ** 2, user.line


def test_results_are_in_audience_order_whatever_the_workers(tmp_path):
    people = audience(tmp_path, users(300))
    one = list(map_users(people, square, workers=1))
    assert one == [(f"u-{n}", n * n, n + 1) for n in range(300)]
    assert list(map_users(people, square, workers=3)) == one
    part = list(map_users(people, square, workers=2, shard=Shard(1, 2)))
    assert part == [result for result in one if Shard(1, 2).contains(result[0])]


@pytest.mark.parametrize(
    "spoil",
    [
        lambda lines: lines.__setitem__(250, lines[7]),  # a repeated id, chunks apart
        lambda lines: lines.__setitem__(250, "{oops"),
        lambda lines: lines.__setitem__(250, json.dumps({"id": "x", "n": -1})),
    ],
)
def test_results_before_the_first_error_then_the_error(tmp_path, spoil):
    lines = users(300)
    lines[280] = json.dumps({"id": "late", "n": -1})  # never reached
    spoil(lines)
    people = audience(tmp_path, lines)
    outcomes = []
    for workers in (1, 3):
        seen = []
        with pytest.raises((AudienceError, TemplateError)) as caught:
            for result in map_users(people, square, workers=workers):
                seen.append(result)
        outcomes.append((seen, type(caught.value), str(caught.value)))
    assert outcomes[0] == outcomes[1]
    assert len(outcomes[0][0]) == 250
