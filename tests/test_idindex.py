from pipeline.idindex import IdIndex


def test_id_index_finds_every_duplicate_and_nothing_else():
    index = IdIndex()
    assert all(index.add(f"user-{number}") for number in range(50_000))
    assert not index.add("user-123")
    assert not index.add("user-49999")
    assert index.add("user-50000")
