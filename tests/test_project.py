"""Resolving MESSAGE and AUDIENCE arguments to the files of a project."""

import pytest

from pipeline.errors import AudienceError, MessageError
from pipeline.project import (
    message_folders,
    message_name,
    resolve_audience,
    resolve_message,
    templates_root,
)
from tests.helpers import SIMPLE_MESSAGE, build_tree


def test_a_message_is_found_by_name_under_templates(tmp_path):
    build_tree(tmp_path, {"templates/hello/message.yaml": SIMPLE_MESSAGE})
    assert resolve_message(tmp_path, "hello") == tmp_path / "templates" / "hello"


def test_a_message_is_found_by_path(tmp_path):
    folder = build_tree(tmp_path / "elsewhere", {"message.yaml": SIMPLE_MESSAGE})
    assert resolve_message(tmp_path, str(folder)) == folder


def test_the_name_under_templates_wins_over_a_path_of_the_same_name(tmp_path, monkeypatch):
    build_tree(
        tmp_path,
        {"templates/hello/message.yaml": SIMPLE_MESSAGE, "hello/message.yaml": SIMPLE_MESSAGE},
    )
    monkeypatch.chdir(tmp_path)
    assert resolve_message(tmp_path, "hello") == tmp_path / "templates" / "hello"


def test_a_folder_without_message_yaml_is_no_message(tmp_path):
    build_tree(tmp_path, {"templates/hello/body.j2": "Hi"})
    with pytest.raises(
        MessageError, match=r"no message 'hello': neither .*message\.yaml"
    ) as caught:
        resolve_message(tmp_path, "hello")
    assert caught.value.exit_code == 2
    assert str(templates_root(tmp_path)) in (caught.value.fix or "")


def test_message_folders_are_every_folder_with_a_message_yaml_sorted(tmp_path):
    build_tree(
        tmp_path,
        {
            "templates/zeta/message.yaml": SIMPLE_MESSAGE,
            "templates/alpha/message.yaml": SIMPLE_MESSAGE,
            "templates/group/nested/message.yaml": SIMPLE_MESSAGE,
            "templates/_shared/footer.j2": "bye",
            "templates/message.yaml": SIMPLE_MESSAGE,  # templates/ itself is no message
        },
    )
    templates = tmp_path / "templates"
    assert message_folders(tmp_path) == [
        templates / "alpha",
        templates / "group" / "nested",
        templates / "zeta",
    ]


def test_no_templates_folder_means_no_messages(tmp_path):
    assert message_folders(tmp_path) == []


def test_a_message_is_named_by_its_folder_under_templates(tmp_path):
    build_tree(tmp_path, {"templates/group/nested/message.yaml": SIMPLE_MESSAGE})
    assert message_name(tmp_path, tmp_path / "templates" / "group" / "nested") == "group/nested"
    assert message_name(tmp_path, tmp_path / "elsewhere" / "promo") == "promo"


def test_an_audience_is_found_by_path_or_by_name(tmp_path):
    build_tree(tmp_path, {"audiences/people.csv": "id\nu-1\n", "exports/all.jsonl": "{}\n"})
    assert resolve_audience(tmp_path, str(tmp_path / "exports/all.jsonl")) == (
        tmp_path / "exports" / "all.jsonl"
    )
    assert resolve_audience(tmp_path, "people") == tmp_path / "audiences" / "people.csv"
    assert resolve_audience(tmp_path, "people.csv") == tmp_path / "audiences" / "people.csv"


def test_audience_suffixes_are_tried_in_the_documented_order(tmp_path):
    files = {f"audiences/people{suffix}": "x\n" for suffix in (".csv", ".jsonl", ".yml", ".yaml")}
    build_tree(tmp_path, files)
    found = []
    for _ in files:
        path = resolve_audience(tmp_path, "people")
        found.append(path.suffix)
        path.unlink()
    assert found == [".yaml", ".yml", ".jsonl", ".csv"]


def test_a_missing_audience_names_what_was_tried(tmp_path):
    with pytest.raises(AudienceError, match=r"no audience 'nobody'.*\.yaml, \.yml, \.jsonl, \.csv"):
        resolve_audience(tmp_path, "nobody")


@pytest.mark.parametrize(
    ("ref", "fix"),
    [
        ("order_shiped", "; did you mean 'order_shipped'?"),
        ("weekly-digest", "; did you mean 'weekly_digest'?"),
        ("zzz", "; give a folder name under "),
    ],
)
def test_a_misspelled_message_name_gets_the_closest_one(tmp_path, ref, fix):
    build_tree(
        tmp_path,
        {
            "templates/order_shipped/message.yaml": "x: 1\n",
            "templates/weekly_digest/message.yaml": "x: 1\n",
        },
    )
    with pytest.raises(MessageError) as caught:
        resolve_message(tmp_path, ref)
    assert fix in str(caught.value)


@pytest.mark.parametrize(
    ("ref", "fix"),
    [
        ("beta_tester", "; did you mean 'beta_testers'?"),
        ("vips", "; did you mean 'vip'?"),
        ("nobody", "; give a name under audiences/"),
    ],
)
def test_a_misspelled_audience_name_gets_the_closest_one(tmp_path, ref, fix):
    build_tree(tmp_path, {"audiences/beta_testers.yaml": "users: []\n", "audiences/vip.csv": "id\n"})
    with pytest.raises(AudienceError) as caught:
        resolve_audience(tmp_path, ref)
    assert fix in str(caught.value)


@pytest.fixture
def secret(tmp_path):
    """A file outside the project that nothing the repository names may read."""
    path = tmp_path / "outside" / "secret.yaml"
    path.parent.mkdir()
    path.write_text("users: [{id: stolen}]\n")
    return path


def test_an_audience_under_audiences_that_leads_outside_is_refused(tmp_path, secret):
    root = build_tree(tmp_path / "project", {"audiences/.keep": ""})
    (root / "audiences/people.yaml").symlink_to(secret)
    with pytest.raises(AudienceError, match=r"people\.yaml: the file leads outside the project"):
        resolve_audience(root, "people")


def test_a_symlinked_audiences_folder_that_leads_outside_is_refused(tmp_path, secret):
    root = build_tree(tmp_path / "project", {"templates/.keep": ""})
    (root / "audiences").symlink_to(secret.parent)
    with pytest.raises(AudienceError, match="leads outside the project"):
        resolve_audience(root, "secret")


def test_a_symlink_inside_the_project_is_followed(tmp_path):
    root = build_tree(tmp_path, {"exports/all.csv": "id\nu-1\n", "audiences/.keep": ""})
    (root / "audiences/all.csv").symlink_to(root / "exports/all.csv")
    assert resolve_audience(root, "all") == root / "audiences/all.csv"


def test_the_operators_own_path_may_point_anywhere(tmp_path, secret):
    root = build_tree(tmp_path / "project", {"audiences/.keep": ""})
    link = tmp_path / "link.yaml"
    link.symlink_to(secret)
    assert resolve_audience(root, str(secret)) == secret
    assert resolve_audience(root, str(link)) == link


@pytest.mark.parametrize("ref", ["absolute", "../outside/secret.yaml", "../../outside/secret"])
def test_a_declared_audience_is_never_read_from_outside(tmp_path, secret, ref, monkeypatch):
    root = build_tree(tmp_path / "project", {"audiences/.keep": ""})
    monkeypatch.chdir(root)  # a path relative to the working directory is no exception
    ref = str(secret) if ref == "absolute" else ref
    with pytest.raises(AudienceError, match="leads outside the project"):
        resolve_audience(root, ref, declared=True)


def test_a_declared_audience_path_is_relative_to_the_project_root(tmp_path, monkeypatch):
    root = build_tree(tmp_path / "project", {"exports/all.csv": "id\nu-1\n"})
    build_tree(tmp_path, {"exports/all.csv": "id\nu-2\n"})
    monkeypatch.chdir(tmp_path)
    assert resolve_audience(root, "exports/all.csv", declared=True) == root / "exports/all.csv"


def test_a_message_under_templates_that_leads_outside_is_refused(tmp_path, secret):
    from pipeline.message import load_message

    root = build_tree(tmp_path / "project", {"templates/.keep": ""})
    (root / "templates/evil").symlink_to(secret.parent)
    (secret.parent / "message.yaml").write_text(SIMPLE_MESSAGE)
    folder = resolve_message(root, "evil")
    with pytest.raises(MessageError, match=r"evil/message\.yaml: the file leads outside"):
        load_message(root, folder)
    # Given by its own path, the operator's choice, it loads.
    assert load_message(root, secret.parent).name == "outside"
