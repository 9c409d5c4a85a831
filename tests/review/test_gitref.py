"""Reading a project as it is at a git ref: the commit, its time, and its files."""

from datetime import datetime

import pytest

from pipeline.errors import InputError
from pipeline.review.gitref import exists_at, export_paths, find_revision, is_tracked
from tests.review.diff.support import COMMIT_DATE, committed, git


def test_a_ref_resolves_to_its_commit_and_the_commit_date(tmp_path):
    root = committed(tmp_path / "repo", {"templates/m/message.yaml": "a: 1\n"})
    revision = find_revision(root, "main")
    assert revision.commit == git(root, "rev-parse", "HEAD").strip()
    assert revision.short == revision.commit[:10]
    assert revision.time == datetime.fromisoformat(COMMIT_DATE)
    assert (revision.toplevel, revision.prefix) == (root.resolve(), "")


def test_a_project_in_a_subfolder_maps_its_paths_into_the_repository(tmp_path):
    root = committed(tmp_path / "repo", {"audiences/a.yaml": "users: []\n"}, project="messaging")
    revision = find_revision(root, "main")
    assert revision.prefix == "messaging"
    assert revision.project_path("audiences/a.yaml") == "messaging/audiences/a.yaml"
    assert revision.repo_path(root / "audiences" / "a.yaml") == "messaging/audiences/a.yaml"
    assert revision.repo_path(tmp_path / "outside.csv") is None


def test_files_are_exported_as_they_are_at_the_ref_not_as_edited(tmp_path):
    root = committed(
        tmp_path / "repo",
        {"templates/m/message.yaml": "at the ref\n", "templates/m/body.j2": "body\n"},
    )
    (root / "templates/m/message.yaml").write_text("edited since\n")
    (root / "templates/m/new.j2").write_text("not committed\n")
    revision = find_revision(root, "main")
    into = tmp_path / "base"

    export_paths(revision, ["templates/m", "audiences"], into)

    assert (into / "templates/m/message.yaml").read_text() == "at the ref\n"
    assert (into / "templates/m/body.j2").read_text() == "body\n"
    assert not (into / "templates/m/new.j2").exists()
    assert not (into / "audiences").exists()  # not in the revision: nothing to write


def test_what_a_revision_holds_and_what_git_tracks(tmp_path):
    root = committed(
        tmp_path / "repo", {".gitignore": "exports/\n", "audiences/a.yaml": "users: []\n"}
    )
    (root / "exports").mkdir()
    (root / "exports/big.jsonl").write_text("{}\n")
    revision = find_revision(root, "main")
    assert exists_at(revision, "audiences/a.yaml")
    assert not exists_at(revision, "exports/big.jsonl")
    assert is_tracked(revision, "audiences/a.yaml")
    assert not is_tracked(revision, "exports/big.jsonl")


@pytest.mark.parametrize("ref", ["nope", "--all", ""])
def test_a_ref_that_names_no_commit_is_an_input_error(tmp_path, ref):
    root = committed(tmp_path / "repo", {"a.txt": "a\n"})
    with pytest.raises(InputError, match=rf"unknown git ref {ref!r}") as caught:
        find_revision(root, ref)
    assert caught.value.exit_code == 2


def test_a_root_that_is_no_folder_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="is not a folder"):
        find_revision(tmp_path / "missing", "main")
