"""The gradient check's verdicts: where the loss is steep or the gradient explodes, a correct
backward pass is not called wrong; a wrong one still is; the check's cost stays bounded.

The networks are the notebook's own draws (standard-normal weights, so large ones) at sizes
where BPTT's gradient grows through time: a step of 1e-5 is far too coarse there, and the
check with one fixed step reported relative errors from 1e-4 up to 1.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rnnviz.engine.gradcheck as gradcheck
from rnnviz.engine import init_params
from rnnviz.engine.gradcheck import (
    AGREE,
    DISAGREE,
    OVERFLOW,
    STEEP,
    UNRESOLVED,
    ArrayCheck,
    gradient_check,
)
from rnnviz.engine.losses import Loss
from rnnviz.engine.model import loss_and_gradients
from rnnviz.notebook import notebook_example

PASS_BELOW = 1e-5  # the page's threshold
RECURRENT = {"rnn": ("Wax", "Waa", "ba"),
             "lstm": ("Wf", "bf", "Wu", "bu", "Wc", "bc", "Wo", "bo")}


def notebook_problem(cell, n_a, T_x, m=10, seed=1):
    """The notebook's draws at these sizes, with random class labels."""
    params, x, a0 = notebook_example(cell, n_a=n_a, m=m, T_x=T_x, seed=seed)
    targets = np.random.default_rng(seed).integers(0, params.by.shape[0], size=(m, T_x))
    return params, x, targets, a0


def outcomes(checks):
    return {name: check.verdict(PASS_BELOW).outcome for name, check in checks.items()}


def test_steep_rnn_gradients_agree_with_steps_chosen_per_entry():
    """n_a = 16, T_x = 30: gradients ~3, so steep that a fixed step of 1e-5 gave 1e-4."""
    params, x, targets, a0 = notebook_problem("rnn", n_a=16, T_x=30)
    checks = gradient_check(params, x, targets, Loss(), a0)
    assert set(outcomes(checks).values()) == {AGREE}
    assert all(checks[name].relative_error < 1e-6 for name in RECURRENT["rnn"])
    assert all(checks[name].smallest_step < 1e-6 for name in RECURRENT["rnn"])  # steps shrank
    assert checks["Wya"].smallest_step >= gradcheck.EPS  # the output layer is not steep
    assert all(check.checked == check.size for check in checks.values())


def test_the_issue_lstm_agrees_when_sampled_as_the_page_does():
    """The notebook's LSTM at n_a = 64, T_x = 50 (5 entries an array, as the page samples it)
    was reported as 8 failing arrays; every array now agrees."""
    params, x, targets, a0 = notebook_problem("lstm", n_a=64, T_x=50)
    checks = gradient_check(params, x, targets, Loss(), a0, max_entries=5,
                            rng=np.random.default_rng(1))
    assert set(outcomes(checks).values()) == {AGREE}
    assert all(1 <= check.checked <= 5 for check in checks.values())


def test_exploding_gradients_cannot_be_checked_and_are_not_called_wrong():
    """n_a = 32, T_x = 100: gradients of ~1e15, far beyond what any float64 step resolves;
    the recurrent arrays cannot be checked (no step resolves them), the output layer agrees."""
    params, x, targets, a0 = notebook_problem("rnn", n_a=32, T_x=100)
    checks = gradient_check(params, x, targets, Loss(), a0, max_entries=8)
    for name in RECURRENT["rnn"]:
        assert checks[name].mean_abs_gradient > 1e12
        assert checks[name].verdict(PASS_BELOW) == (UNRESOLVED, STEEP), name
    assert outcomes(checks)["Wya"] == outcomes(checks)["by"] == AGREE


def break_gradient(monkeypatch, name, factor=1.01):
    """Make BPTT's gradient of `name` wrong by `factor` inside the check."""
    def broken(*args, **kwargs):
        trace, result = loss_and_gradients(*args, **kwargs)
        getattr(result.grads, name)[...] *= factor
        return trace, result

    monkeypatch.setattr(gradcheck, "loss_and_gradients", broken)


@pytest.mark.parametrize("max_entries", [None, 1], ids=["every entry", "one entry"])
def test_a_wrong_gradient_is_a_disagreement_where_the_loss_is_steep(monkeypatch, max_entries):
    """1% off in Waa of the steep RNN is a disagreement, even with a single entry's passes."""
    params, x, targets, a0 = notebook_problem("rnn", n_a=16, T_x=30)
    break_gradient(monkeypatch, "Waa")
    checks = gradient_check(params, x, targets, Loss(), a0, max_entries=max_entries)
    assert outcomes(checks) == {"Wax": AGREE, "Waa": DISAGREE, "ba": AGREE, "Wya": AGREE,
                                "by": AGREE}


@pytest.mark.parametrize("name", ["Wc", "by"])
def test_a_wrong_gradient_is_a_disagreement_in_an_ordinary_lstm(monkeypatch, name):
    params = init_params("lstm", 3, 5, 2, np.random.default_rng(0))
    x = np.random.default_rng(1).standard_normal((3, 4, 6))
    targets = np.random.default_rng(2).integers(0, 2, size=(4, 6))
    break_gradient(monkeypatch, name)
    checks = gradient_check(params, x, targets, Loss(), include_inputs=True)
    assert {array for array, outcome in outcomes(checks).items() if outcome != AGREE} == {name}
    assert outcomes(checks)[name] == DISAGREE
    assert checks[name].relative_error == pytest.approx(0.005, rel=0.01)


def test_a_loss_that_overflows_cannot_be_checked():
    params = init_params("rnn", 2, 3, 2, np.random.default_rng(0))
    params.by[...] = 1e160  # ŷ ~ 1e160: the squared error overflows to inf
    x = np.random.default_rng(1).standard_normal((2, 2, 3))
    targets = np.zeros((2, 2, 3))
    with np.errstate(over="ignore", invalid="ignore"):
        checks = gradient_check(params, x, targets, Loss("squared_error"))
    assert {check.verdict(PASS_BELOW) for check in checks.values()} == {(UNRESOLVED, OVERFLOW)}


def count_forward_passes(monkeypatch) -> list[int]:
    calls = [0]
    loss_value = gradcheck.loss_value

    def counted(*args, **kwargs):
        calls[0] += 1
        return loss_value(*args, **kwargs)

    monkeypatch.setattr(gradcheck, "loss_value", counted)
    return calls


@pytest.mark.parametrize("max_entries", [None, 1, 3])
@pytest.mark.parametrize("n_a, T_x", [(16, 30), (32, 100), (5, 7)], ids=str)
def test_the_check_spends_at_most_the_passes_it_promises(monkeypatch, n_a, T_x, max_entries):
    params, x, targets, a0 = notebook_problem("rnn", n_a=n_a, T_x=T_x, m=2)
    calls = count_forward_passes(monkeypatch)
    gradient_check(params, x, targets, Loss(), a0, max_entries=max_entries, include_inputs=True)
    sizes = [array.size for _, array in params.items()] + [x.size, a0.size]
    assert 0 < calls[0] <= gradcheck.forward_passes(sizes, max_entries)


def test_an_ordinary_network_takes_one_step_an_entry(monkeypatch):
    """Where the loss is smooth the first step settles every entry: two passes an entry and
    the round-off's, as a fixed step spent."""
    params = init_params("lstm", 3, 5, 2, np.random.default_rng(0))
    x = np.random.default_rng(1).standard_normal((3, 4, 6))
    targets = np.random.default_rng(2).integers(0, 2, size=(4, 6))
    calls = count_forward_passes(monkeypatch)
    checks = gradient_check(params, x, targets, Loss())
    entries = sum(check.size for check in checks.values())
    assert calls[0] == len(checks) * gradcheck.ROUNDOFF_PASSES + gradcheck.PASSES_PER_STEP * entries
    assert all(check.relative_error < 1e-7 for check in checks.values())


@settings(max_examples=25, deadline=None)
@given(cell=st.sampled_from(["rnn", "lstm"]), n_a=st.integers(1, 24), T_x=st.integers(1, 40),
       m=st.integers(1, 3), seed=st.integers(0, 2**31 - 1))
def test_a_correct_backward_pass_is_never_called_wrong(cell, n_a, T_x, m, seed):
    """The notebook's large weights at any size: steep, exploding or ordinary, no array of a
    correct backward pass is a disagreement."""
    params, x, targets, a0 = notebook_problem(cell, n_a=n_a, T_x=T_x, m=m, seed=seed)
    checks = gradient_check(params, x, targets, Loss(), a0, max_entries=4,
                            rng=np.random.default_rng(seed), include_inputs=True)
    assert DISAGREE not in outcomes(checks).values()


def check_of(**fields) -> ArrayCheck:
    defaults = dict(shape=(3, 2), checked=6, relative_error=0.5, measured=6, measured_error=0.5,
                    resolution=1e-6, mean_abs_gradient=1.0, smallest_step=1e-5, unmeasured={})
    return ArrayCheck(**(defaults | fields))


@pytest.mark.parametrize("fields, verdict", [
    ({"relative_error": 1e-9}, (AGREE, None)),
    ({}, (DISAGREE, None)),
    ({"resolution": 0.6}, (UNRESOLVED, "coarse")),
    ({"measured": 2, "measured_error": 1e-8, "unmeasured": {STEEP: 3, "tiny": 1}},
     (UNRESOLVED, STEEP)),
    ({"measured": 0, "measured_error": np.nan, "resolution": np.nan,
      "unmeasured": {"tiny": 6}}, (UNRESOLVED, "tiny")),
])
def test_the_verdict_follows_the_equations(fields, verdict):
    assert check_of(**fields).verdict(PASS_BELOW) == verdict
