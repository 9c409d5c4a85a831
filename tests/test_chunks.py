"""Chunks: parts of an audience that read, apart, exactly what a whole read does."""

import json

import pytest

from pipeline.audience import load_audience
from pipeline.chunks import TAIL_BYTES, IdsAcrossChunks, read_chunk, split_audience
from pipeline.errors import AudienceError
from tests.helpers import build_tree


def records_by_chunks(audience, **sizes):
    records = []
    for chunk in split_audience(audience, **sizes):
        records.extend(audience.records(chunk.start, chunk.stop, first_line=chunk.first_line))
    return records


JSONL = "".join(
    json.dumps({"id": f"u-{n}", "name": "Zoë" * (n % 4)}) + ("\n\n" if n % 5 == 0 else "\n")
    for n in range(40)
)
CSV = (
    "\ufeffid,note,other\n"
    + "".join(
        f'u-{n},"a ""quoted""\nnote, with a comma",x\n' if n % 3 == 0 else f'u-{n},b"c,y\n'
        for n in range(40)
    )
    + "u-last,plain,z"  # no final line feed
)


@pytest.mark.parametrize("size", [1, 7, 40, 300, 10_000])
@pytest.mark.parametrize(("name", "content"), [("a.jsonl", JSONL), ("a.csv", CSV)])
def test_chunks_read_the_records_and_lines_of_a_whole_read(tmp_path, name, content, size):
    path = tmp_path / name
    path.write_bytes(content.encode())
    audience = load_audience(path)
    whole = list(audience.records())
    assert records_by_chunks(audience, chunk_bytes=size) == whole
    assert len(whole) == 41 if name == "a.csv" else 40


def test_a_chunk_ends_after_a_quoted_cell_that_holds_line_feeds(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text('id,note\nu-1,"one\ntwo\nthree"\nu-2,x\n', encoding="utf-8")
    audience = load_audience(path)
    chunks = list(split_audience(audience, chunk_bytes=12))
    assert [(c.first_line, c.stop) for c in chunks] == [(1, 28), (5, 34)]
    assert records_by_chunks(audience, chunk_bytes=12) == [
        (4, {"id": "u-1", "note": "one\ntwo\nthree"}),
        (5, {"id": "u-2", "note": "x"}),
    ]


def test_yaml_chunks_are_ranges_of_its_users(tmp_path):
    users = "".join(f"  - {{id: u-{n}}}\n" for n in range(7))
    build_tree(tmp_path, {"a.yaml": "users:\n" + users})
    audience = load_audience(tmp_path / "a.yaml")
    assert [(c.start, c.stop) for c in split_audience(audience, chunk_users=3)] == [
        (0, 3),
        (3, 6),
        (6, 7),
    ]
    assert records_by_chunks(audience, chunk_users=3) == list(audience.records())


def test_a_malformed_csv_row_is_reported_by_its_chunk_as_a_whole_read_does(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text('id,note\nu-1,x\nu-2,"b"c\nu-3,y\n', encoding="utf-8")
    audience = load_audience(path)
    with pytest.raises(Exception) as whole:
        list(audience.records())
    with pytest.raises(type(whole.value)) as chunked:
        records_by_chunks(audience, chunk_bytes=4)
    assert str(chunked.value) == str(whole.value)


def checked_across(path, size):
    """The checks across chunks of a file read in chunks of ``size`` bytes, chunk by chunk."""
    audience = load_audience(path)
    across = IdsAcrossChunks(audience)
    outcomes = []
    for chunk in split_audience(audience, chunk_bytes=size):
        users, read = read_chunk(audience, chunk)
        ids = [user.id for user in users]
        outcomes.append((ids, across.first_duplicate(read)))
    return outcomes


def test_a_repeated_id_in_a_later_chunk_names_both_lines(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_text('{"id": "a"}\n{"id": "b"}\n{"id": "c"}\n{"id": "a"}\n', encoding="utf-8")
    [(first, none), (second, (place, error))] = checked_across(path, 20)
    assert (first, none, second, place) == (["a", "b"], None, ["c", "a"], 1)
    assert str(error) == (
        f"{path}:4: duplicate user id 'a', first at line 1 (user 'a'); user ids must be "
        "unique: remove or rename one of them"
    )


def test_an_address_listed_by_users_chunks_apart_names_both(tmp_path):
    lines = [{"id": f"u-{n}", "addresses": {"SMS": f"+155500{n:02d}"}} for n in range(6)]
    lines[4]["addresses"] = {"SMS": "+15550001"}  # u-1's
    path = tmp_path / "a.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    outcomes = checked_across(path, 100)
    [(ids, (place, error))] = [outcome for outcome in outcomes if outcome[1] is not None]
    assert ids[place] == "u-4"  # the users before it are the chunk's to keep
    assert str(error) == (
        f"{path}:5: address '+15550001' (SMS) is also listed for user 'u-1' at line 2 "
        "(user 'u-4'); an address belongs to one user: remove it from one of them"
    )
    with pytest.raises(AudienceError) as whole:
        list(load_audience(path).users())
    assert str(whole.value) == str(error)


def test_a_repeated_id_before_a_repeated_address_is_the_one_reported(tmp_path):
    lines = [
        {"id": "a", "addresses": {"SMS": "+1"}},
        {"id": "b"},
        {"id": "a"},  # line 3: the id first
        {"id": "c", "addresses": {"SMS": "+1"}},  # line 4: then the address
    ]
    path = tmp_path / "a.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    problems = [outcome[1] for outcome in checked_across(path, 40) if outcome[1]]
    assert "duplicate user id 'a'" in str(problems[0][1])


@pytest.mark.parametrize("name", ["big.jsonl", "big.csv"])
def test_chunks_shrink_near_the_end_of_a_large_file_and_still_cover_it(tmp_path, name):
    path = tmp_path / name
    rows = (json.dumps({"id": f"u-{n}", "pad": "x" * 90}) + "\n" for n in range(40_000))
    if name.endswith(".csv"):
        rows = (f'u-{n},"quoted ""{"x" * 90}"""\n' for n in range(40_000))
        path.write_text("id,pad\n" + "".join(rows))
    else:
        path.write_text("".join(rows))
    audience = load_audience(path)
    chunks = list(split_audience(audience, chunk_bytes=256 * 1024))
    sizes = [chunk.stop - chunk.start for chunk in chunks]
    assert sizes[0] >= 256 * 1024
    assert max(sizes[-4:]) < 64 * 1024  # the last chunks are small, so workers end together
    assert all(size >= TAIL_BYTES for size in sizes[:-1])  # but not tiny: a few per worker
    assert chunks[-1].stop == path.stat().st_size
    assert records_by_chunks(audience, chunk_bytes=256 * 1024) == list(audience.records())
