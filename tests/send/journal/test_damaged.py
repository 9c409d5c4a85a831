"""Reading a journal whose rows are not what the pipeline writes: one JournalError."""

import json
import sqlite3

import pytest

from pipeline.errors import InputError, JournalError
from pipeline.send.journal.damaged import reading


@pytest.mark.parametrize(
    "failure",
    [
        lambda: json.loads("not json"),
        lambda: {}["weird-state"],
        lambda: "ab"[5],
        lambda: sqlite3.connect(":memory:").execute("SELECT nothing FROM nowhere"),
    ],
)
def test_what_damaged_rows_raise_becomes_one_journal_error(tmp_path, failure):
    damaged = r"journal\.sqlite is damaged or not a pipeline journal"
    with pytest.raises(JournalError, match=damaged) as caught, reading(tmp_path / "journal.sqlite"):
        failure()
    assert caught.value.exit_code == 3


def test_the_pipelines_own_errors_pass_through(tmp_path):
    with pytest.raises(InputError, match="no run 7"), reading(tmp_path / "journal.sqlite"):
        raise InputError("no run 7")
