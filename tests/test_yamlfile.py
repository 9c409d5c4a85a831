"""Safe YAML reading: UTF-8 text, safe tags only, a line for every key, duplicates refused."""

import gc
from pathlib import Path

import pytest

from pipeline.errors import AudienceError, InputError, MessageError
from pipeline.yamlfile import BLOCK_TEXT, gc_paused, load_yaml, load_yaml_with_lines, read_text


def test_read_text_returns_the_files_text(tmp_path):
    path = tmp_path / "a.yaml"
    path.write_bytes("name: Zoë\n".encode())
    assert read_text(path, InputError) == "name: Zoë\n"


def test_a_missing_file_is_an_error_of_the_callers_kind(tmp_path):
    with pytest.raises(AudienceError, match=r"missing\.yaml: cannot read the file: ") as caught:
        read_text(tmp_path / "missing.yaml", AudienceError)
    assert caught.value.line is None


def test_a_file_that_is_not_utf8_names_the_line_and_byte(tmp_path):
    path = tmp_path / "a.yaml"
    path.write_bytes(b"one: 1\ntwo: 2\nthree: caf\xe9\n")
    with pytest.raises(MessageError) as caught:
        read_text(path, MessageError)
    assert caught.value.line == 3
    assert "byte 0xe9" in str(caught.value)
    assert caught.value.fix == "save it as UTF-8"


def test_load_yaml_gives_plain_values(tmp_path):
    value = load_yaml("a: [1, 2.5, yes, null, '7']\n", tmp_path / "x.yaml", InputError)
    assert value == {"a": [1, 2.5, True, None, "7"]}


@pytest.mark.parametrize(
    ("text", "pattern", "line"),
    [
        ("a: !!python/object/apply:os.system [ls]\n", r"x\.yaml:1: YAML tag not allowed", 1),
        ("a: 1\nb: [\n", r"x\.yaml:\d+: invalid YAML", None),
        ("a: 1\n  b: 2\n", r"x\.yaml:2: invalid YAML", 2),
    ],
)
def test_load_yaml_errors_are_one_line_with_the_place(tmp_path, text, pattern, line):
    with pytest.raises(InputError, match=pattern) as caught:
        load_yaml(text, tmp_path / "x.yaml", InputError)
    assert "\n" not in str(caught.value)
    if line is not None:
        assert caught.value.line == line


def test_the_garbage_collector_is_paused_while_loading_then_restored():
    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()  # a collector that was off stays off
    finally:
        gc.enable()


def test_every_key_and_list_item_has_its_line(tmp_path):
    text = "top: 1\nblock:\n  key: value\n  items:\n    - first\n    - second\n"
    value, lines = load_yaml_with_lines(text, tmp_path / "x.yaml", InputError)
    assert value == {"top": 1, "block": {"key": "value", "items": ["first", "second"]}}
    assert lines[("top",)] == 1
    assert lines[("block",)] == 2
    assert lines[("block", "key")] == 3
    assert lines[("block", "items")] == 4
    assert (lines[("block", "items", 0)], lines[("block", "items", 1)]) == (5, 6)


def test_a_block_scalars_text_starts_on_the_line_after_its_indicator(tmp_path):
    text = "a: 1\nbody: |\n  line one\n  line two\n"
    value, lines = load_yaml_with_lines(text, Path("x.yaml"), InputError)
    assert value["body"] == "line one\nline two\n"
    assert lines[("body",)] == 2
    assert lines[("body", BLOCK_TEXT)] == 3
    assert ("a", BLOCK_TEXT) not in lines  # a plain scalar's text is on its key's line


def test_duplicate_keys_are_refused_at_the_second_one(tmp_path):
    with pytest.raises(MessageError, match=r"x\.yaml:3: duplicate key 'a'") as caught:
        load_yaml_with_lines("a: 1\nb: 2\na: 3\n", tmp_path / "x.yaml", MessageError)
    assert caught.value.fix == "keep one of the two entries"


def test_merge_keys_are_resolved(tmp_path):
    text = "base: &base {x: 1, y: 2}\nother:\n  <<: *base\n  z: 3\n"
    value, _ = load_yaml_with_lines(text, tmp_path / "x.yaml", InputError)
    assert value["other"] == {"x": 1, "y": 2, "z": 3}


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        ("a: !!python/name:os.system\n", r"x\.yaml:1: YAML tag not allowed"),
        ("a:\n  - !custom {b: 1}\n", r"x\.yaml:2: YAML tag not allowed: !custom"),
        ("? [a, b]\n: 1\n", r"x\.yaml:1: a mapping key must be a plain value"),
        ("a: [\n", r"x\.yaml:\d+: invalid YAML"),
    ],
)
def test_load_yaml_with_lines_refuses_what_is_not_plain_yaml(tmp_path, text, pattern):
    with pytest.raises(InputError, match=pattern):
        load_yaml_with_lines(text, tmp_path / "x.yaml", InputError)


def test_an_empty_document_is_none(tmp_path):
    assert load_yaml_with_lines("", tmp_path / "x.yaml", InputError) == (None, {})


MERGE_DOCUMENTS = [
    "base: &base {x: 1, y: 2}\nother:\n  <<: *base\n  x: 3\n",
    "base: &base {x: 1, y: 2}\nother:\n  x: 3\n  <<: *base\n",
    "a: &a {x: 1}\nb: &b {x: 2, y: 2}\nc: {<<: [*a, *b]}\n",
    "a: &a {x: 1}\nb: &b {<<: *a, y: 2}\nc: {<<: *b, z: 3}\n",
    "a: &a {x: 1}\nc: {<<: *a, <<: {y: 2}}\n",
]


@pytest.mark.parametrize("text", MERGE_DOCUMENTS)
def test_merge_keys_read_as_pyyamls_safe_loader_reads_them(tmp_path, text):
    import yaml

    value, _ = load_yaml_with_lines(text, tmp_path / "x.yaml", InputError)
    assert value == yaml.safe_load(text)
    assert load_yaml(text, tmp_path / "x.yaml", InputError) == yaml.safe_load(text)


def test_a_key_that_overrides_a_merged_one_has_its_own_line(tmp_path):
    text = "base: &base {x: 1, y: 2}\nother:\n  <<: *base\n  x: 3\n"
    value, lines = load_yaml_with_lines(text, tmp_path / "x.yaml", InputError)
    assert value["other"] == {"x": 3, "y": 2}
    assert lines[("other", "x")] == 4


def test_a_duplicate_of_the_mappings_own_keys_is_still_refused_next_to_a_merge(tmp_path):
    text = "base: &base {x: 1}\nother:\n  <<: *base\n  y: 1\n  y: 2\n"
    with pytest.raises(InputError, match=r"x\.yaml:5: duplicate key 'y'"):
        load_yaml_with_lines(text, tmp_path / "x.yaml", InputError)


def test_an_alias_is_built_once_and_keeps_the_lines_of_its_anchor(tmp_path):
    text = "first: &shared\n  deep: [1, 2]\nsecond: *shared\n"
    value, lines = load_yaml_with_lines(text, tmp_path / "x.yaml", InputError)
    assert value["first"] is value["second"]  # shared, as PyYAML shares it
    assert lines[("first", "deep")] == 2
    assert lines[("second",)] == 3
    assert ("second", "deep") not in lines  # never walked twice


# Nine levels of nine: 387,420,489 strings once expanded, from under 400 bytes.
BOMB = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
    f"{name}: &{name} [{','.join([f'*{previous}'] * 9)}]\n"
    for previous, name in zip("abcdefgh", "bcdefghi", strict=True)
)


@pytest.mark.parametrize("load", [load_yaml, load_yaml_with_lines])
def test_an_alias_bomb_is_refused_before_it_expands(tmp_path, load):
    assert len(BOMB) < 400
    with pytest.raises(MessageError, match=r"x\.yaml:\d+: the YAML's aliases expand to more"):
        load(BOMB, tmp_path / "x.yaml", MessageError)


@pytest.mark.parametrize("load", [load_yaml, load_yaml_with_lines])
def test_a_recursive_alias_is_refused(tmp_path, load):
    with pytest.raises(InputError, match=r"x\.yaml:1: a YAML alias refers to a value that contains"):
        load("a: &a [1, *a]\n", tmp_path / "x.yaml", InputError)


def test_aliases_within_the_cap_are_fine(tmp_path):
    text = "d: &d {plan: pro}\nusers:\n" + "".join(f"  - {{<<: *d, id: u-{i}}}\n" for i in range(500))
    value = load_yaml(text, tmp_path / "x.yaml", InputError)
    assert value["users"][499] == {"plan": "pro", "id": "u-499"}


@pytest.mark.parametrize("load", [load_yaml, load_yaml_with_lines])
def test_a_number_too_long_to_read_is_one_line_at_its_place(tmp_path, load):
    text = "a: 1\nb: 1" + "0" * 5000 + "\n"
    with pytest.raises(InputError, match=r"x\.yaml:2: a number of more than 4,300 digits"):
        load(text, tmp_path / "x.yaml", InputError)
