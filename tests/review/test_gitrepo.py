"""git is run against the checkout's own repository, named, with nothing of the tree's run."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from pipeline.errors import InputError
from pipeline.review.gitref import export_paths, find_revision
from pipeline.review.gitrepo import environment, find_repository
from tests.review.diff.support import ORDER, PEOPLE, committed, diff, edit, example, git


def fake_repository(folder, marker):
    """Write into ``folder`` the plain files of a repository whose config runs ``marker``.

    It is a real repository's files (HEAD, config, objects/, refs/), made with git in a
    scratch folder and copied, as a pull request would commit them: its base commit says
    what the attacker wants, and its config runs a smudge filter that creates ``marker``.
    """
    scratch = folder.parent / "scratch-repository"
    committed(scratch, {"templates/order/message.yaml": ORDER, "audiences/people.yaml": PEOPLE})
    shutil.copytree(scratch / ".git", folder, dirs_exist_ok=True)
    shutil.rmtree(scratch)
    for hook in (folder / "hooks").iterdir():
        hook.unlink()
    (folder / "hooks" / ".keep").write_text("")
    (folder / "config").write_text(
        "[core]\n"
        "\trepositoryformatversion = 0\n"
        "\tbare = false\n"
        f"\tworktree = {folder}\n"
        '[filter "pwn"]\n'
        f"\tsmudge = sh -c 'touch {marker}; cat'\n"
        f"[core]\n\tfsmonitor = sh -c 'touch {marker}'\n"
    )
    (folder / ".gitattributes").write_text("* filter=pwn\n")


def test_a_repository_shaped_project_folder_is_never_used(tmp_path, monkeypatch):
    marker = tmp_path / "pwned"
    files = {"templates/order/message.yaml": ORDER, "audiences/people.yaml": PEOPLE}
    root = committed(tmp_path / "repo", files, project="messaging")
    fake_repository(root, marker)
    git(tmp_path / "repo", "add", "-A")
    git(tmp_path / "repo", "commit", "-q", "-m", "a pull request's plain files")
    # The trap is armed: git itself, asked from the project folder, takes it for the repository.
    asked = subprocess.run(
        ["git", "rev-parse", "--absolute-git-dir"],
        cwd=root,
        env=environment(tmp_path),
        capture_output=True,
        text=True,
        check=False,
    )
    assert asked.stdout.strip() == str(root)
    real_head = git(tmp_path / "repo", "rev-parse", "HEAD").strip()
    edit(root / "templates/order/message.yaml", "has shipped.", "is on its way.")
    monkeypatch.chdir(root)

    result = diff(root, "--format", "json")

    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["commit"] == real_head
    [order] = [m for m in report["messages"] if m["name"] == "order"]
    assert order["status"] == "changed"
    assert not marker.exists()


def test_the_callers_git_variables_do_not_redirect_it(tmp_path, monkeypatch):
    root = example(tmp_path)
    head = git(root, "rev-parse", "HEAD").strip()
    other = committed(tmp_path / "other", {"a.txt": "a\n"})
    monkeypatch.setenv("GIT_DIR", str(other / ".git"))
    monkeypatch.setenv("GIT_WORK_TREE", str(other))
    monkeypatch.setenv("GIT_INDEX_FILE", str(other / ".git" / "index"))
    revision = find_revision(root, "main")
    assert (revision.toplevel, revision.commit) == (root.resolve(), head)


def test_no_filter_runs_and_files_come_as_git_stores_them(tmp_path):
    marker = tmp_path / "filtered"
    root = committed(
        tmp_path / "repo",
        {".gitattributes": "*.j2 filter=shout\n", "templates/m/body.j2": "quiet\n"},
    )
    # A filter the repository's own config defines, which a checkout would run.
    git(root, "config", "filter.shout.smudge", f"sh -c 'touch {marker}; tr a-z A-Z'")
    revision = find_revision(root, "main")

    export_paths(revision, ["templates"], tmp_path / "base")

    assert (tmp_path / "base/templates/m/body.j2").read_text() == "quiet\n"
    assert not marker.exists()


def test_the_repository_is_the_nearest_dot_git_and_is_named_on_every_call(tmp_path):
    root = committed(tmp_path / "repo", {"a.txt": "a\n"}, project="deep/er")
    repository = find_repository(root)
    assert repository.work_tree == (tmp_path / "repo").resolve()
    command = repository.command(["status"])
    assert f"--git-dir={tmp_path / 'repo' / '.git'}" in command
    assert f"--work-tree={tmp_path / 'repo'}" in command
    assert "core.hooksPath=/dev/null" in command


def test_a_worktree_checkout_is_found_through_its_git_file(tmp_path):
    root = example(tmp_path)
    git(root, "worktree", "add", "-q", str(tmp_path / "second"))
    revision = find_revision(tmp_path / "second", "main")
    assert revision.toplevel == (tmp_path / "second").resolve()
    assert revision.commit == git(root, "rev-parse", "HEAD").strip()


def test_outside_any_checkout_is_an_input_error(tmp_path):
    (tmp_path / "plain").mkdir()
    with pytest.raises(InputError, match="is not inside a git repository"):
        find_repository(tmp_path / "plain")


def test_an_audience_kept_in_lfs_is_reported_not_read_as_data(tmp_path):
    pointer = (
        "version https://git-lfs.github.com/spec/v1\n"
        "oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\n"
        "size 12345\n"
    )
    root = example(tmp_path, **{"audiences/people.yaml": pointer})
    edit(root / "templates/order/message.yaml", "has shipped.", "is on its way.")

    result = diff(root, "order")

    assert result.exit_code == 2
    assert "is a Git LFS pointer" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_a_committed_symlink_out_of_the_project_is_not_followed_on_the_base_side(tmp_path):
    secret = tmp_path / "secret.yaml"
    secret.write_text("users:\n  - {id: stolen-id, first_name: Secret, order: S-1}\n")
    root = example(tmp_path)
    (root / "audiences/people.yaml").unlink()
    (root / "audiences/people.yaml").symlink_to(secret)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "a symlink", "--amend")

    result = diff(root, "order")

    assert "leads outside the project root" in result.stdout
    assert "stolen-id" not in result.stdout + result.stderr
    assert "Secret" not in result.stdout + result.stderr
