"""Writing a site: all or nothing, and never over a folder pipeline did not write."""

import pytest

from pipeline.errors import InputError, StorageError
from pipeline.review.html.sitedir import MARKER, write_site


def listing(folder):
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*"))


def test_a_site_is_written_and_replaced_whole(tmp_path):
    target = tmp_path / "site"
    write_site({"index.html": "one", "messages/a.html": "a"}, target)
    assert listing(target) == [MARKER, "index.html", "messages", "messages/a.html"]
    write_site({"index.html": "two"}, target)
    assert listing(target) == [MARKER, "index.html"]
    assert (target / "index.html").read_text() == "two"
    assert listing(tmp_path) == ["site", *(f"site/{name}" for name in [MARKER, "index.html"])]


def test_an_empty_folder_is_filled(tmp_path):
    (tmp_path / "site").mkdir()
    write_site({"index.html": "x"}, tmp_path / "site")
    assert (tmp_path / "site" / "index.html").read_text() == "x"


@pytest.mark.parametrize(
    ("make", "pattern"),
    [
        (lambda p: p.mkdir() or (p / "notes.txt").write_text("mine"), "did not write"),
        (lambda p: p.write_text("a file"), "not a folder"),
    ],
)
def test_what_pipeline_did_not_write_is_left_alone(tmp_path, make, pattern):
    target = tmp_path / "site"
    make(target)
    before = listing(tmp_path)
    with pytest.raises(InputError, match=pattern):
        write_site({"index.html": "x"}, target)
    assert listing(tmp_path) == before


def test_a_missing_parent_is_an_error(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        write_site({"index.html": "x"}, tmp_path / "no" / "site")


def test_a_failed_write_leaves_the_previous_site_and_no_debris(tmp_path, monkeypatch):
    target = tmp_path / "site"
    write_site({"index.html": "old"}, target)

    class Exploding(dict):
        def items(self):
            yield "index.html", "new"
            raise OSError("disk full")

    with pytest.raises(StorageError, match="cannot write the site: disk full") as caught:
        write_site(Exploding(), target)
    assert caught.value.exit_code == 3
    assert listing(tmp_path) == ["site", f"site/{MARKER}", "site/index.html"]
    assert (target / "index.html").read_text() == "old"
