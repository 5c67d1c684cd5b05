"""One unit by hand (rnnviz.engine.one_unit): its run and gain against the definition and
central differences, its fixed points against the equation and the count the maths gives."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rnnviz.engine.one_unit import one_unit_fixed_points, one_unit_run


def test_the_run_is_the_recurrence_and_the_gain_its_derivative():
    w, v, b, x, a0, steps = 1.3, 0.4, -0.2, 0.9, 0.3, 12
    a, gain = one_unit_run(w, v, b, x, a0, steps)
    previous = a0
    for t in range(steps):
        previous = math.tanh(w * previous + v * x + b)
        assert a[t] == pytest.approx(previous, abs=1e-15)
    eps = 1e-6   # d a<T> / d a<1>: move a<1> and run on from there
    for T in (1, 2, 5, steps):
        ends = [one_unit_run(w, v, b, x, a[0] + sign * eps, T - 1)[0][-1] if T > 1
                else a[0] + sign * eps for sign in (1, -1)]
        assert gain[T - 1] == pytest.approx((ends[0] - ends[1]) / (2 * eps), rel=1e-6, abs=1e-9)


@pytest.mark.parametrize("w", [0.5, 0.95, -0.9])
def test_a_weight_below_one_makes_the_gain_vanish_geometrically(w):
    _, gain = one_unit_run(w, 0.0, 0.0, 0.0, 0.5, 40)
    assert np.all(np.abs(gain[1:]) <= np.abs(w) ** np.arange(1, 40) + 1e-15)
    assert abs(gain[-1]) < abs(w) ** 39 * 1.0000001


def test_a_large_weight_saturates_instead_of_exploding():
    a, gain = one_unit_run(3.0, 0.0, 0.0, 0.0, 0.1, 60)
    (low, unstable, high) = one_unit_fixed_points(3.0, 0.0, 0.0, 0.0)
    assert a[-1] == pytest.approx(high.a, abs=1e-12)   # settled at the stable fixed point
    assert high.stable and not unstable.stable and low.stable
    assert unstable.a == pytest.approx(0.0, abs=1e-12) and unstable.slope == 3.0
    assert abs(gain[-1]) < 1e-10   # the factor 3 (1 - a*^2) < 1 at a* ~ 0.995


@settings(max_examples=60, deadline=None)
@given(w=st.floats(-4, 4), v=st.floats(-3, 3), b=st.floats(-3, 3), x=st.floats(-2, 2))
def test_every_fixed_point_solves_the_equation_and_there_is_one_when_w_is_below_one(w, v, b, x):
    points = one_unit_fixed_points(w, v, b, x)
    assert points and [p.a for p in points] == sorted(p.a for p in points)
    for point in points:
        assert point.a == pytest.approx(math.tanh(w * point.a + v * x + b), abs=1e-12)
        assert point.slope == pytest.approx(w * (1 - point.a ** 2))
    if w < 1:   # F(a) - a is strictly decreasing: exactly one crossing
        assert len(points) == 1
        assert points[0].stable == (abs(points[0].slope) < 1)
    if abs(w) < 1:   # |F'| <= |w| < 1 everywhere
        assert points[0].stable


@pytest.mark.parametrize(("kwargs", "error", "match"), [
    ({"w": float("nan")}, ValueError, "w must be a finite number"),
    ({"b": "1"}, TypeError, "b must be a number"),
    ({"x": 1e9}, ValueError, "x must be between"),
    ({"steps": 0}, ValueError, "steps"),
    ({"steps": 10 ** 6}, ValueError, "steps"),
])
def test_bad_numbers_are_refused_by_name(kwargs, error, match):
    arguments = {"w": 1.0, "v": 0.0, "b": 0.0, "x": 0.0, "a0": 0.0, "steps": 5, **kwargs}
    with pytest.raises(error, match=match):
        one_unit_run(**arguments)
