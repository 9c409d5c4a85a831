"""Shards: a stable partition by user id, read from --shard or an array job's variables."""

import pytest

from pipeline.errors import InputError
from pipeline.shard import Shard, parse_shard, resolve_shard, shard_of


def test_a_user_is_in_the_same_shard_whatever_the_order_or_the_process():
    # Fixed values: BLAKE2b of the id, not Python's per-process hash(), so every machine
    # and every attempt of an array job agrees.
    assert [shard_of(f"u-{n}", 3) for n in range(8)] == [
        shard_of(f"u-{n}", 3) for n in reversed(range(8))
    ][::-1]
    assert shard_of("u-0001", 3) == shard_of("u-0001", 3)
    assert {shard_of("u-0001", 7) for _ in range(5)} == {shard_of("u-0001", 7)}


def test_known_ids_keep_their_shards_between_releases():
    # A change here would move users between shards mid-send: retried shards would then
    # render other users than their first attempt did.
    ids = ("u-0001", "u-0002", "ana", "42", "Zoë")
    assert [shard_of(user, 3) for user in ids] == [1, 1, 2, 1, 2]
    assert [shard_of(user, 10) for user in ids] == [9, 9, 7, 9, 3]


def test_the_shards_of_an_audience_are_disjoint_and_cover_it():
    ids = [f"user-{n}" for n in range(3_000)]
    shards = [Shard(index, 3) for index in (1, 2, 3)]
    members = [{user for user in ids if shard.contains(user)} for shard in shards]
    assert set().union(*members) == set(ids)
    assert sum(len(m) for m in members) == len(ids)
    assert all(900 < len(m) < 1_100 for m in members)  # a hash spreads users evenly


@pytest.mark.parametrize(
    ("text", "expected"),
    [("2/3", Shard(2, 3)), (" 1 / 2 ", Shard(1, 2)), ("3/3", Shard(3, 3)), ("1/1", None)],
)
def test_parse_shard(text, expected):
    assert parse_shard(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2", r"--shard '2' is not I/N"),
        ("a/b", r"is not I/N"),
        ("0/3", r"shard 0/3 does not exist"),
        ("4/3", r"shard 4/3 does not exist"),
        ("2/1", r"shard 2/1 does not exist"),
        ("-1/3", r"is not I/N"),
    ],
)
def test_parse_shard_refuses(text, message):
    with pytest.raises(InputError, match=message):
        parse_shard(text)


@pytest.mark.parametrize(
    ("environ", "shards", "expected"),
    [
        ({}, None, None),
        ({"JOB_COMPLETION_INDEX": "0"}, 3, Shard(1, 3, "JOB_COMPLETION_INDEX=0, --shards 3")),
        (
            {"AWS_BATCH_JOB_ARRAY_INDEX": "2", "AWS_BATCH_JOB_ARRAY_SIZE": "3"},
            None,
            Shard(3, 3, "AWS_BATCH_JOB_ARRAY_INDEX=2, AWS_BATCH_JOB_ARRAY_SIZE=3"),
        ),
        (
            {"CLOUD_RUN_TASK_INDEX": "1", "CLOUD_RUN_TASK_COUNT": "4"},
            4,
            Shard(2, 4, "CLOUD_RUN_TASK_INDEX=1, CLOUD_RUN_TASK_COUNT=4"),
        ),
        ({"CLOUD_RUN_TASK_INDEX": "0", "CLOUD_RUN_TASK_COUNT": "1"}, None, None),
        ({"AWS_BATCH_JOB_ARRAY_INDEX": "1"}, 2, Shard(2, 2, "AWS_BATCH_JOB_ARRAY_INDEX=1, --shards 2")),
    ],
)
def test_shard_from_an_array_job(environ, shards, expected):
    assert resolve_shard(None, shards, environ) == expected


def test_the_option_wins_over_the_environment():
    shard = resolve_shard("1/2", None, {"JOB_COMPLETION_INDEX": "4"})
    assert shard == Shard(1, 2, "--shard")
    assert shard.describe() == "shard 1/2 (from --shard): the users whose id hashes to it"


@pytest.mark.parametrize(
    ("option", "shards", "environ", "message"),
    [
        (None, None, {"JOB_COMPLETION_INDEX": "1"}, "JOB_COMPLETION_INDEX is set but the number"),
        (None, 3, {}, r"--shards 3 without a shard index"),
        (
            None,
            2,
            {"CLOUD_RUN_TASK_INDEX": "1", "CLOUD_RUN_TASK_COUNT": "4"},
            "--shards 2 disagrees with CLOUD_RUN_TASK_COUNT=4",
        ),
        ("1/2", 3, {}, "--shard 1/2 and --shards 3 disagree"),
        (None, 3, {"JOB_COMPLETION_INDEX": "x"}, "JOB_COMPLETION_INDEX='x' is not a whole number"),
        (None, 3, {"JOB_COMPLETION_INDEX": "3"}, "shard 4/3 does not exist"),
    ],
)
def test_resolve_shard_refuses(option, shards, environ, message):
    with pytest.raises(InputError, match=message):
        resolve_shard(option, shards, environ)
