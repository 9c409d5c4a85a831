"""Every PerUser field renders exactly as it would alone, however render calls it.

The reference is the plainest use of Jinja: the field's text as a template of its own,
rendered once, for one user, with the scope every template of that locale sees. It is
compared with what ``render`` puts in the user's configuration, for every example message
and for a corpus of sources where joining templates would show (final newlines, blocks,
``{% set %}``, macros, whitespace control, NUL in user data).
"""

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from pipeline.audience import load_audience
from pipeline.errors import TemplateError
from pipeline.message import load_message
from pipeline.project import resolve_audience, resolve_message, templates_root
from pipeline.render.renderer import MessageRenderer, template_scope
from pipeline.render.templating import make_environment
from tests.helpers import build_tree

PROJECT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
EXAMPLES = sorted(path.parent.name for path in (PROJECT / "templates").glob("*/message.yaml"))
FAILED = object()  # the field raises when rendered alone


def fields_of(per_user: dict[str, Any]) -> list[tuple[tuple[Any, ...], str]]:
    """Every template string of PerUser with its place in the rendered configuration."""
    found = []
    for key, value in per_user.items():
        if isinstance(value, str):
            found.append(((key,), value))
            continue
        for name, item in value.items():
            if key == "Substitutions" and isinstance(item, list):
                found += [((key, name, index), text) for index, text in enumerate(item)]
            elif key == "Substitutions":
                found.append(((key, name, 0), item))
            else:
                found.append(((key, name), item))
    return found


def rendered_at(configuration: dict[str, Any], where: tuple[Any, ...]) -> Any:
    value: Any = configuration
    for part in where:
        value = value[part]
    return value


def assert_fields_render_alone(root: Path, message_name: str, audience: str) -> int:
    """Render every user; returns how many fields were compared."""
    message = load_message(root, resolve_message(root, message_name))
    templates = templates_root(root)
    renderer = MessageRenderer(message, templates, message.variables, NOW)
    compared = 0
    for user in load_audience(resolve_audience(root, audience)).users():
        locale = renderer.locale_of(user)
        environment = make_environment(templates, locale)
        scope = template_scope(environment, message, message.variables, locale, NOW)
        scope["user"] = user.attributes
        expected = {}
        for where, source in fields_of(message.per_user):
            try:
                expected[where] = environment.from_string(source).render(scope)
            except Exception:
                expected[where] = FAILED
        try:
            configuration = renderer.render_user(user).configuration
        except TemplateError:
            assert FAILED in expected.values(), f"{user.id}: fails only when rendered together"
            continue
        for where, text in expected.items():
            assert text is not FAILED, f"{user.id} {where}: fails only when rendered alone"
            assert rendered_at(configuration, where) == text, f"{user.id} {where}"
            compared += 1
    return compared


@pytest.mark.parametrize("message", EXAMPLES)
def test_every_example_message_renders_each_field_as_alone(message):
    declared = yaml.safe_load((PROJECT / "templates" / message / "message.yaml").read_text())
    assert assert_fields_render_alone(PROJECT, message, declared["audience"]) > 0


USERS = [
    {"id": "u-1", "first_name": "Ana", "plan": "pro"},
    {"id": "u-2", "first_name": "Bob"},
    # NUL in user data is refused at load (it cannot be sent); a template can still write
    # one, which is how the separator's fallback is exercised below.
    {"id": "u-3", "first_name": "Nul-free data", "plan": "free"},
    {"id": "u-4", "first_name": "Unit\x1fseparator", "plan": "team"},
]

CORPUS: dict[str, dict[str, Any]] = {
    "final newline of an inline field": {
        "TitleOverride": "Hi {{ user.first_name }}\n",
        "BodyOverride": "two newlines\n\n",
        "Substitutions": {"A": "crlf\r\n", "B": "only\n", "C": "\n"},
    },
    "newline written by an expression is kept": {
        "TitleOverride": "{{ user.first_name ~ '\\n' }}",
        "BodyOverride": "{{ '\\n' }}",
    },
    "one block name in two fields": {
        "TitleOverride": "{% block b %}one{% endblock %}",
        "BodyOverride": "{% block b %}two {{ user.first_name }}{% endblock %}\n",
    },
    "a block sees its field's top-level set": {
        "TitleOverride": "{% set x = 'X' %}{% block b %}[{{ x | default('none') }}]{% endblock %}",
        "BodyOverride": "{% block b %}{{ self }}{% endblock %}{{ self.b() }}",
    },
    "set does not leak into the next field": {
        "TitleOverride": "{% set first_name = 'X' %}{{ first_name }}",
        "BodyOverride": "{{ first_name | default('none') }}",
    },
    "nothing leaks from the previous user": {
        "TitleOverride": "{% if x is defined %}stale {% endif %}{% set x = user.first_name %}{{ x }}",
        "BodyOverride": "{{ x | default('none') }} {{ user.first_name }}",
    },
    "macros belong to their field": {
        "TitleOverride": "{% macro hi(n) %}Hi {{ n }}{% endmacro %}{{ hi(user.first_name) }}\n",
        "BodyOverride": "{{ hi is defined }}",
        "Context": {
            "c": "{% macro hi() %}{{ caller() }}!{% endmacro %}{% call hi() %}x{% endcall %}"
        },
    },
    "whitespace control at the edges": {
        "TitleOverride": "  {%- if true -%}  yes  {%- endif -%}  \n",
        "BodyOverride": "{{ user.first_name -}}   \n",
        "Substitutions": {"A": "\n  {{- user.first_name }}", "B": "a \t", "C": "{{ 'x' -}}\n\n"},
        "Context": {
            "d": "{%- for i in range(2) -%}\n{{ i }}\n{%- endfor %}\n",
            "e": "{{ '  padded  ' | trim }}  \n",
            "f": "{% filter trim %}  {{ user.first_name }}  \n{% endfilter %}\n",
        },
    },
    "loops, namespaces and raw text": {
        "TitleOverride": "{% for i in range(2) %}{% set y = i %}{{ y }}{% endfor %}{{ y | default('-') }}",
        "BodyOverride": "{% set ns = namespace(n=0) %}{% for i in range(3) %}{% set ns.n = ns.n + i %}{% endfor %}{{ ns.n }}",
        "Substitutions": {"A": "{% raw %}{{ x }}\n{% endraw %}\n", "B": "{# note #}\n"},
    },
    "include, import and extends": {
        "TitleOverride": "{% include 'm/line.j2' %}\n",
        "BodyOverride": "{% extends 'm/base.j2' %}{% block content %}{{ user.first_name }}{% endblock %}",
        "Substitutions": {
            "A": "{% import 'm/macros.j2' as m %}{{ m.up(user.first_name) }}",
            "B": "{% from 'm/macros.j2' import up %}{{ up(user.plan | default('none')) }}",
            "C": "{% extends 'm/base.j2' %}{% block content %}{{ super() }}+{% endblock %}",
        },
    },
    "lists of substitutions": {
        "Substitutions": {"Tags": ["{{ user.first_name }}\n", "{{ user.id }}", "\n"]},
    },
    "a field that fails for some users": {
        "TitleOverride": "{{ user.first_name }}",
        "BodyOverride": "{{ user.plan | upper }}",
    },
    "raw content with a final newline": {
        "RawContent": '{"name": {{ user.first_name | tojson }}}\n',
        "TitleOverride": "{{ user.id }}",
    },
}
FILES = {
    "templates/m/line.j2": "from a file {{ user.id }}\n",
    "templates/m/base.j2": "<{% block content %}base{% endblock %}>\n",
    "templates/m/macros.j2": "{% macro up(text) %}{{ text | upper }}{% endmacro %}\n",
}


@pytest.mark.parametrize("per_user", CORPUS.values(), ids=CORPUS.keys())
def test_each_field_renders_as_alone(tmp_path, per_user):
    message = {"MessageConfiguration": {"SMSMessage": {}}, "PerUser": per_user}
    root = build_tree(tmp_path, FILES)
    (root / "templates/m/message.yaml").write_text(yaml.safe_dump(message, allow_unicode=True))
    (root / "audiences").mkdir()
    (root / "audiences/a.yaml").write_text(yaml.safe_dump({"users": USERS}, allow_unicode=True))
    assert_fields_render_alone(root, "m", "a")


def render_first_user(root: Path, per_user: dict[str, Any]) -> dict[str, Any]:
    build_tree(root, FILES)
    message = {"MessageConfiguration": {"SMSMessage": {}}, "PerUser": per_user}
    (root / "templates/m/message.yaml").write_text(yaml.safe_dump(message))
    (root / "audiences").mkdir()
    (root / "audiences/a.yaml").write_text(yaml.safe_dump({"users": USERS[:1]}))
    loaded = load_message(root, resolve_message(root, "m"))
    [user] = load_audience(resolve_audience(root, "a")).users()
    renderer = MessageRenderer(loaded, templates_root(root), {}, NOW)
    return dict(renderer.render_user(user).configuration)


def test_final_newlines_are_dropped_as_from_a_file(tmp_path):
    """Spelled out, so that the comparison with Jinja above cannot be vacuous."""
    configuration = render_first_user(tmp_path, CORPUS["final newline of an inline field"])
    assert configuration == {
        "TitleOverride": "Hi Ana",
        "BodyOverride": "two newlines\n",
        "Substitutions": {"A": ["crlf"], "B": ["only"], "C": [""]},
    }


def test_blocks_includes_and_extends_as_alone(tmp_path):
    per_user = {
        **CORPUS["one block name in two fields"],
        "Substitutions": CORPUS["include, import and extends"]["Substitutions"],
    }
    assert render_first_user(tmp_path, per_user) == {
        "TitleOverride": "one",
        "BodyOverride": "two Ana",
        "Substitutions": {"A": ["ANA"], "B": ["PRO"], "C": ["<base+>"]},
    }
