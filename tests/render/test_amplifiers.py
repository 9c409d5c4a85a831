"""The filters and methods that can multiply a size: each bounded from its arguments alone."""

from __future__ import annotations

import jinja2
import pytest

from pipeline.render.amplifiers import check_call, checked_filter
from pipeline.render.limits import Guard, LimitExceeded, RenderLimits


@pytest.fixture
def guard():
    return Guard(RenderLimits(characters=100))


def test_a_filter_that_takes_jinjas_context_is_checked_on_its_own_arguments(guard):
    @jinja2.pass_environment
    def join_like(environment, value, d=""):
        del environment
        return d.join(value)

    checked = checked_filter(guard, "join", join_like)
    assert checked(None, ["a", "b"], "-") == "a-b"
    with pytest.raises(LimitExceeded, match="a text of 1,011 characters"):
        checked(None, ["a"] * 11, "x" * 100)
    assert checked.jinja_pass_arg is join_like.jinja_pass_arg


@pytest.mark.parametrize(
    ("name", "args", "kwargs"),
    [
        ("replace", ("x" * 50, "x", "yyy"), {}),
        ("center", ("x", 101), {}),
        ("indent", ("a\n" * 30, 4), {}),
        ("wordwrap", ("a b " * 20, 1), {"wrapstring": "-" * 10}),
        ("format", ("%0101d", 1), {}),
        ("batch", ([1], 101), {}),
    ],
)
def test_an_amplifying_filter_is_refused_from_its_arguments(guard, name, args, kwargs):
    def never(*args, **kwargs):
        raise AssertionError("the filter ran")

    with pytest.raises(LimitExceeded):
        checked_filter(guard, name, never)(*args, **kwargs)


def test_every_filters_result_is_sized_after(guard):
    checked = checked_filter(guard, "upper", lambda text: text * 200)
    with pytest.raises(LimitExceeded, match="a value of 200"):
        checked("x")


@pytest.mark.parametrize(
    ("method", "args"),
    [
        ("x".center, (101,)),
        ("x".ljust, (101,)),
        ("x".zfill, (101,)),
        ("\t".expandtabs, (101,)),
        ("-".join, (["ab"] * 40,)),
        ("xx".replace, ("x", "y" * 60)),
        ("x".translate, ({120: "y" * 101},)),
        ((1).to_bytes, (101, "big")),
    ],
)
def test_an_amplifying_method_is_refused_before_it_runs(guard, method, args):
    with pytest.raises(LimitExceeded):
        check_call(guard, method, args, {})


def test_other_calls_pass(guard):
    check_call(guard, "x".upper, (), {})
    check_call(guard, "{:,}".format, (10**9,), {})  # a big number is no width
