import json

import pytest

from pipeline.audience import load_audience
from pipeline.errors import AudienceError
from tests.helpers import build_tree


def ids_and_attributes(path):
    return [(user.id, user.attributes) for user in load_audience(path).users()]


def test_three_formats_give_the_same_users(tmp_path):
    build_tree(
        tmp_path,
        {
            "a.yaml": """
                defaults: {locale: en-US}
                users:
                  - {id: u-1, first_name: Ana, plan: pro}
                  - {id: 42, first_name: Zoë}
            """,
            "a.jsonl": '{"id": "u-1", "first_name": "Ana", "plan": "pro", "locale": "en-US"}\n'
            "\n"
            '{"id": 42, "first_name": "Zoë", "locale": "en-US"}\n',
            "a.csv": "id,first_name,plan,locale\nu-1,Ana,pro,en-US\n42,Zoë,,en-US\n",
        },
    )
    expected = [
        ("u-1", {"locale": "en-US", "id": "u-1", "first_name": "Ana", "plan": "pro"}),
        ("42", {"locale": "en-US", "id": "42", "first_name": "Zoë"}),
    ]
    for name in ("a.yaml", "a.jsonl", "a.csv"):
        assert ids_and_attributes(tmp_path / name) == expected, name


def test_user_attributes_override_defaults(tmp_path):
    build_tree(
        tmp_path,
        {"a.yaml": "defaults: {locale: en-US, plan: free}\nusers:\n  - {id: a, locale: fr-FR}\n"},
    )
    [(_, attributes)] = ids_and_attributes(tmp_path / "a.yaml")
    assert attributes == {"locale": "fr-FR", "plan": "free", "id": "a"}


def test_csv_empty_cell_means_absent_and_bom_is_ignored(tmp_path):
    path = tmp_path / "a.csv"
    path.write_bytes("\ufeffid,nickname\nu-1,\nu-2,Bo\n".encode())
    assert ids_and_attributes(path) == [
        ("u-1", {"id": "u-1"}),
        ("u-2", {"id": "u-2", "nickname": "Bo"}),
    ]


def test_csv_quoted_cells_span_lines(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text('id,note\nu-1,"two\nlines"\nu-2,x\n', encoding="utf-8")
    users = list(load_audience(path).users())
    assert users[0].attributes["note"] == "two\nlines"
    assert [user.line for user in users] == [3, 4]


@pytest.mark.parametrize(
    ("name", "content", "pattern"),
    [
        (
            "d.jsonl",
            '{"id": "a"}\n{"id": "b"}\n{"id": "a"}\n',
            r"d\.jsonl:3: duplicate user id 'a', first at line 1",
        ),
        ("d.csv", "id\na\nb\na\n", r"d\.csv:4: duplicate user id 'a', first at line 2"),
        (
            "d.yaml",
            "users:\n  - {id: a}\n  - {id: b}\n  - {id: a}\n",
            r"d\.yaml:4: duplicate user id 'a', first at line 2",
        ),
        ("d.yaml", "users:\n  - {id: 7}\n  - {id: '7'}\n", r"duplicate user id '7'"),
        ("m.jsonl", '{"id": "a"}\n{"name": "b"}\n', r"m\.jsonl:2: user has no id"),
        ("m.yaml", "users:\n  - {id: a}\n  - {name: b}\n", r"m\.yaml:3: user has no id"),
        ("e.jsonl", '{"id": ""}\n', r"e\.jsonl:1: user id '' is not a non-empty string"),
        ("f.jsonl", '{"id": 1.5}\n', r"user id 1\.5 is not a non-empty string"),
        ("n.yaml", "users: []\n", r"n\.yaml: the audience has no users"),
        ("n.jsonl", "\n", r"the audience has no users"),
        ("n.csv", "id\n", r"the audience has no users"),
        ("h.csv", "name\nAna\n", r"h\.csv:1: the CSV header has no 'id' column"),
        ("w.csv", "id,a\nx,1,2\n", r"w\.csv:2: row has 3 cells but the header has 2"),
        ("j.jsonl", '{"id": "a"}\n{"id": "b",}\n', r"j\.jsonl:2: invalid JSON: .* at column 12;"),
        ("j.jsonl", '{"id": "a"}\n{"id": "b"\n', r"j\.jsonl:2: invalid JSON: .* at the end of the line;"),
        ("l.jsonl", '["a"]\n', r"l\.jsonl:1: a user must be a mapping"),
        ("u.jsonl", b'{"id": "a"}\n{"id": "\xff"}\n', r"u\.jsonl:2: line is not UTF-8"),
        ("u.yaml", b"users:\n  - {id: \xe9}\n", r"u\.yaml:2: the file is not UTF-8"),
        (
            "t.yaml",
            "users:\n  - !!python/object:os.system {id: a}\n",
            r"t\.yaml:2: YAML tag not allowed",
        ),
        ("s.yaml", "users:\n  - {id: a\n", r"s\.yaml:\d+: invalid YAML"),
        ("k.yaml", "people:\n  - {id: a}\n", r"unknown top-level key 'people'"),
        ("x.txt", "id\n", r"unknown audience format '\.txt'"),
    ],
)
def test_bad_audiences(tmp_path, name, content, pattern):
    path = build_tree(tmp_path, {name: content}) / name
    with pytest.raises(AudienceError, match=pattern) as caught:
        list(load_audience(path).users())
    assert "\n" not in str(caught.value)
    assert caught.value.exit_code == 2


def test_jsonl_is_streamed(tmp_path):
    """Users before a broken line arrive before the error: nothing reads ahead."""
    path = tmp_path / "a.jsonl"
    path.write_text('{"id": "a"}\n{"id": "b"}\nnot json\n', encoding="utf-8")
    users = load_audience(path).users()
    assert next(users).id == "a"
    assert next(users).id == "b"
    with pytest.raises(AudienceError, match=":3: invalid JSON"):
        next(users)


def test_large_jsonl_round_trip(tmp_path):
    path = tmp_path / "big.jsonl"
    with path.open("w") as out:
        for number in range(5000):
            out.write(json.dumps({"id": f"u{number}", "n": number}) + "\n")
    users = list(load_audience(path).users())
    assert len(users) == 5000
    assert users[-1].attributes == {"id": "u4999", "n": 4999}


# A NUL can come raw or as an escape; either way, and in every format, the same error.
NUL_CASES = {
    "raw.csv": b"id,name\nu-1,An\x00a\n",
    "raw.jsonl": b'{"id": "u-0"}\n{"id": "u-1", "name": "An\x00a"}\n',
    "raw.yaml": b"users:\n  - {id: u-1, name: \"An\x00a\"}\n",
    "escaped.jsonl": b'{"id": "u-0"}\n{"id": "u-1", "name": "An\\u0000a"}\n',
    "escaped.yaml": b'users:\n  - {id: u-1, name: "An\\0a"}\n',
    "escaped_x.yaml": b'users:\n  - {id: u-1, name: "An\\x00a"}\n',
}


@pytest.mark.parametrize("name", NUL_CASES)
def test_a_nul_character_is_refused_the_same_way_in_every_format(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(NUL_CASES[name])
    with pytest.raises(AudienceError) as caught:
        list(load_audience(path).users())
    assert str(caught.value).startswith(f"{path}:2: a NUL character (U+0000) in the data")


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("a.jsonl", b'{"id": "u-1", "name": "\\ud800"}\n'),
        ("b.jsonl", b'{"id": "u-1", "\\udfff": "x"}\n'),
    ],
)
def test_a_lone_surrogate_is_refused(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(AudienceError, match=r":1: a lone surrogate \(U\+D[8F]\w\w\) in the data"):
        list(load_audience(path).users())


def test_escapes_that_write_ordinary_characters_are_fine(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_bytes(b'{"id": "u-1", "name": "\\ud83d\\ude00 \\\\u0000 \\u00e9"}\n')
    [user] = load_audience(path).users()
    assert user.attributes["name"] == "\U0001f600 \\u0000 é"


@pytest.mark.parametrize(
    "line",
    [
        '{"id": "u-1", "n": 1' + "0" * 5000 + "}",
        '{"id": "u-1", "n": ' + "[" * 10_000 + "]" * 10_000 + "}",
    ],
)
def test_json_that_python_cannot_hold_is_one_line_at_its_place(tmp_path, line):
    path = tmp_path / "a.jsonl"
    path.write_text('{"id": "u-0"}\n' + line + "\n")
    with pytest.raises(AudienceError, match=r"a\.jsonl:2: the JSON is nested too deeply, or has a number too long"):
        list(load_audience(path).users())


def test_a_yaml_number_too_long_is_one_line_at_its_place(tmp_path):
    path = tmp_path / "a.yaml"
    path.write_text("users:\n  - {id: u-1, n: 1" + "0" * 5000 + "}\n")
    with pytest.raises(AudienceError, match=r"a\.yaml:2: a number of more than 4,300 digits"):
        load_audience(path)
