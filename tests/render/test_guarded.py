"""The limited sandbox: hostile templates end in a limit error, real copy renders as Jinja does."""

from __future__ import annotations

import itertools

import jinja2
import pytest

from pipeline.render.guarded import LimitedEnvironment
from pipeline.render.limits import LimitExceeded, RenderLimits


def environment(**limits):
    return LimitedEnvironment(undefined=jinja2.StrictUndefined, limits=RenderLimits(**limits))


class StepClock:
    """Moves a second per read: a render's time is its count of steps."""

    def __init__(self) -> None:
        self.reads = itertools.count()

    def __call__(self) -> float:
        return float(next(self.reads))


ENDLESS = [
    "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
    "{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}",
    "{% for a in 'x' * 100000 %}{% for b in 'x' * 100000 %}{% endfor %}{% endfor %}",
    "{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(60) }}",
    "{% for i in range(100000) %}{% include 'twice.j2' %}{% endfor %}",
]


@pytest.mark.parametrize("source", ENDLESS)
def test_work_that_never_ends_stops_at_the_time_limit(source):
    env = LimitedEnvironment(
        loader=jinja2.DictLoader({"twice.j2": "{% for i in range(1000) %}{% endfor %}"}),
        limits=RenderLimits(seconds=1000, clock=StepClock()),
    )
    with pytest.raises(LimitExceeded, match="longer than the limit of 1000 s") as caught:
        env.from_string(source).render()
    assert caught.value.timed_out


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("{{ 'x' * 10**9 }}", "a value of 1,000,000,000"),
        ("{{ 10**(10**9) }}", "a number of about 999,999,999 digits"),
        ("{{ '%0999999999d' % 1 }}", "a width of 999,999,999"),
        ("{{ '{:>999999999}'.format(1) }}", "a width of 999,999,999"),
        ("{{ '{x:>{w}}'.format_map({'x': 1, 'w': 10**9}) }}", "a width of 1,000,000,000"),
        ("{{ lipsum(10**7) }}", "a text of"),
        ("{{ 'x' | center(10**9) }}", "a width of 1,000,000,000"),
        ("{{ 'x'.zfill(10**9) }}", "a width of 1,000,000,000"),
        ("{{ (2).to_bytes(10**9, 'big') }}", "a value of 1,000,000,000"),
        ("{{ ([1] * 100000) | join('x' * 100000) }}", "a text of 9,999,900,000"),
        ("{{ ('x' * 100000).replace('x', 'y' * 100000) }}", "a text of 10,000,000,000"),
        ("{{ '%0999999999d' | format(1) }}", "a width of 999,999,999"),
        (
            "{% set ns = namespace(s='x') %}{% for i in range(40) %}"
            "{% set ns.s = ns.s ~ ns.s %}{% endfor %}",
            "a text of 1,048,576",
        ),
        ("{% set s %}{% for i in range(2000) %}{{ 'x' * 1000 }}{% endfor %}{% endset %}", "a text"),
        ("{% set x = [1] %}{% for i in range(40) %}{{ x.extend(x) }}{% endfor %}", "a value of 1,048,576"),
    ],
)
def test_a_value_too_large_is_refused_before_it_is_built(source, message):
    with pytest.raises(LimitExceeded, match=message):
        environment().from_string(source).render()


REAL_COPY = [
    "Hi {{ name }}, order {{ order }} has shipped.",
    "{{ name | upper }} {{ items | join(', ') }} {{ 'a b' | replace(' ', '-') }}",
    "{% for item in items %}{{ loop.index }}. {{ item }}{% if not loop.last %}, {% endif %}"
    "{% else %}nothing{% endfor %}",
    "{% for i in range(3) %}{% for j in range(2) %}{{ i * j }}{% endfor %}{% endfor %}",
    "{{ '%05.1f' % 3.14159 }} {{ '{:,}'.format(1234567) }} {{ '%s and %s' % (name, order) }}",
    "{{ name ~ ' ' ~ order }} {{ 2 ** 10 }} {{ 7 % 3 }} {{ [1] + [2] }} {{ 'ab' * 3 }}",
    "{% macro greet(x) %}Hello {{ x }}{% endmacro %}{{ greet(name) }} {{ range(4) | list }}",
    "{{ items | length }} {{ range(5) | length }} {{ 'x' | center(5) }}|{{ name | indent(2) }}",
    "{% set t %}{{ name }}!{% endset %}{{ t }} {{ name.replace('A', 'E') }} {{ ','.join(items) }}",
]


@pytest.mark.parametrize("source", REAL_COPY)
def test_real_copy_renders_exactly_as_in_jinjas_own_sandbox(source):
    from jinja2.sandbox import SandboxedEnvironment

    values = {"name": "Ana", "order": "A-1", "items": ["tea", "cake"]}
    expected = SandboxedEnvironment().from_string(source).render(values)
    assert environment().from_string(source).render(values) == expected


def test_filters_added_after_the_environment_is_made_are_checked_too():
    env = environment(characters=10)
    env.filters["stretch"] = lambda text, times: text * times
    with pytest.raises(LimitExceeded, match="a value of 20 characters"):
        env.from_string("{{ 'ab' | stretch(10) }}").render()


def test_the_internal_filters_cannot_be_named_by_a_template():
    with pytest.raises(jinja2.TemplateSyntaxError):
        environment().from_string("{{ x | pipeline loop }}")


@pytest.mark.parametrize(
    "source",
    [
        "{% set d = {} %}{% for i in range(20) %}{{ d.update({i: i}) }}{% endfor %}",
        "{% set x = [] %}{% for i in range(20) %}{{ x.append(i) }}{% endfor %}",
        "{% set x = [] %}{% for i in range(20) %}{{ x.insert(0, i) }}{% endfor %}",
    ],
)
def test_a_list_or_dict_a_template_grows_is_held_to_the_limit(source):
    with pytest.raises(LimitExceeded, match="a value of 11 characters or items"):
        environment(characters=10).from_string(source).render()
