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
