"""Initialisation knobs and determinism: same seed, same trace, bit for bit."""


import numpy as np
import pytest

from rnnviz.engine import init_params, params
from rnnviz.engine.cells import CELLS
from rnnviz.engine.gru import init_gru
from rnnviz.engine.losses import Loss
from rnnviz.engine.lstm import LSTMParams, init_lstm
from rnnviz.engine.model import forward, loss_and_gradients
from rnnviz.engine.rnn import RNNParams, init_rnn


def run(cell, seed, **knobs):
    rng = np.random.default_rng(seed)
    params = init_params(cell, 3, 5, 4, rng, **knobs)
    x = rng.standard_normal((3, 2, 6))
    targets = rng.integers(0, 4, size=(2, 6))
    trace, result = loss_and_gradients(params, x, targets, Loss())
    return params, trace, result


def arrays_of(params, trace, result):
    out = {f"trace.{name}": getattr(trace, name) for name in trace.arrays()}
    out |= {f"param.{name}": value for name, value in params.items()}
    out |= {f"grad.{name}": value for name, value in result.grads.items()}
    out |= {"dA": result.dA, "dx": result.dx, "da0": result.da0}
    return out


@pytest.mark.parametrize("cell", list(CELLS))
def test_same_seed_gives_the_same_trace_and_gradients_bit_for_bit(cell):
    first, second = arrays_of(*run(cell, 42)), arrays_of(*run(cell, 42))
    assert first.keys() == second.keys()
    for name in first:
        np.testing.assert_array_equal(first[name], second[name], err_msg=name)
    assert run(cell, 42)[2].loss == run(cell, 42)[2].loss


@pytest.mark.parametrize("cell", list(CELLS))
def test_different_seeds_give_different_parameters_and_traces(cell):
    first, second = arrays_of(*run(cell, 1)), arrays_of(*run(cell, 2))
    first_weight = CELLS[cell].projections[0].weights[0]  # Waa, Wf, Wr
    for name in ("param." + first_weight, "trace.a", "trace.y_hat"):
        assert not np.array_equal(first[name], second[name]), name


def test_parameter_shapes_follow_the_notebook():
    rng = np.random.default_rng(0)
    rnn = init_rnn(3, 5, 2, rng)
    assert {k: v.shape for k, v in rnn.items()} == {
        "Wax": (5, 3), "Waa": (5, 5), "ba": (5, 1), "Wya": (2, 5), "by": (2, 1)}
    lstm = init_lstm(3, 5, 2, rng)
    for gate in "fuco":
        assert lstm.as_dict()["W" + gate].shape == (5, 8)
        assert lstm.as_dict()["b" + gate].shape == (5, 1)
    assert lstm.Wy.shape == (2, 5) and lstm.by.shape == (2, 1)
    assert rnn.sizes == lstm.sizes == {"n_x": 3, "n_a": 5, "n_y": 2}


@pytest.mark.parametrize("radius", [0.5, 0.9, 1.0, 1.5])
def test_spectral_radius_of_waa_is_rescaled_exactly(radius):
    params = init_rnn(4, 12, 2, np.random.default_rng(3), spectral_radius=radius)
    assert np.max(np.abs(np.linalg.eigvals(params.Waa))) == pytest.approx(radius, rel=1e-12)


def test_spectral_radius_keeps_the_direction_of_waa():
    plain = init_rnn(4, 12, 2, np.random.default_rng(3))
    scaled = init_rnn(4, 12, 2, np.random.default_rng(3), spectral_radius=0.7)
    ratio = scaled.Waa / plain.Waa
    np.testing.assert_allclose(ratio, ratio[0, 0], rtol=1e-12)
    np.testing.assert_array_equal(scaled.Wax, plain.Wax)


def test_a_spectral_radius_is_found_once_per_matrix_and_rescales_bit_for_bit(monkeypatch):
    """Moving the knob rescales the same drawn matrices: their eigenvalues are found once, and
    the weights are those rescaling by a freshly found radius gives."""
    found = []
    eigvals = np.linalg.eigvals
    monkeypatch.setattr(np.linalg, "eigvals", lambda W: found.append(W.shape) or eigvals(W))
    monkeypatch.setattr(params, "_radii", type(params._radii)())
    drawn = np.random.default_rng(3).standard_normal((6, 6))
    for radius in (0.5, 0.8, 1.5):
        rescaled = params.with_spectral_radius(drawn, radius)
        np.testing.assert_array_equal(
            rescaled, drawn * (radius / float(np.max(np.abs(eigvals(drawn))))))
    assert found == [(6, 6)]
    # the whole cell: every gate's block found once over three moves of the knob
    for radius in (0.5, 0.8, 1.5):
        init_params("lstm", 3, 5, 4, np.random.default_rng(1), spectral_radius=radius)
    assert found == [(6, 6)] + [(5, 5)] * 4
    # the same bytes read as another type are another matrix
    params.spectral_radius(drawn.view(np.int64))
    assert len(found) == 6


def test_only_the_latest_spectral_radii_are_remembered(monkeypatch):
    monkeypatch.setattr(params, "_radii", type(params._radii)())
    monkeypatch.setattr(params, "RADII_KEPT", 3)
    rng = np.random.default_rng(0)
    matrices = [rng.standard_normal((4, 4)) for _ in range(5)]
    for W in matrices:
        assert params.spectral_radius(W) == float(np.max(np.abs(np.linalg.eigvals(W))))
    assert len(params._radii) == 3
    found = []
    eigvals = np.linalg.eigvals
    monkeypatch.setattr(np.linalg, "eigvals", lambda W: found.append(1) or eigvals(W))
    params.spectral_radius(matrices[-1])
    params.spectral_radius(matrices[0])  # forgotten: found again
    assert found == [1]


def test_lstm_spectral_radius_applies_to_each_gates_recurrent_block():
    params = init_lstm(3, 6, 2, np.random.default_rng(5), spectral_radius=0.8)
    for gate in "fuco":
        W = params.as_dict()["W" + gate]
        assert np.max(np.abs(np.linalg.eigvals(W[:, :6]))) == pytest.approx(0.8, rel=1e-12)


@pytest.mark.parametrize("forget_bias", [0.0, 1.0, 2.5, -1.0])
def test_forget_bias_sets_bf_and_leaves_other_biases_zero(forget_bias):
    params = init_lstm(3, 5, 2, np.random.default_rng(0), forget_bias=forget_bias)
    np.testing.assert_array_equal(params.bf, np.full((5, 1), forget_bias))
    for name in ("bu", "bc", "bo", "by"):
        np.testing.assert_array_equal(getattr(params, name), 0.0)


def test_gru_spectral_radius_applies_to_each_recurrent_block():
    params = init_gru(3, 6, 2, np.random.default_rng(5), spectral_radius=0.8)
    for name in ("Wr", "Wu", "Wc"):
        W = params.as_dict()[name]
        assert np.max(np.abs(np.linalg.eigvals(W[:, :6]))) == pytest.approx(0.8, rel=1e-12)


@pytest.mark.parametrize("memory", [0.0, 1.0, 2.5, -1.0])
def test_the_gru_memory_knob_sets_bu_to_its_negative_and_leaves_other_biases_zero(memory):
    params = init_params("gru", 3, 5, 2, np.random.default_rng(0), forget_bias=memory)
    np.testing.assert_array_equal(params.bu, np.full((5, 1), -memory))
    for name in ("br", "bc", "by"):
        np.testing.assert_array_equal(getattr(params, name), 0.0)


def test_a_large_gru_memory_bias_keeps_the_hidden_state():
    """u near 0 keeps a<t-1>: with memory 8 the state moves by under 0.1 % a step."""
    rng = np.random.default_rng(0)
    x, a0 = rng.standard_normal((3, 2, 6)), rng.uniform(-0.9, 0.9, (5, 2))
    keeps = forward(init_params("gru", 3, 5, 2, np.random.default_rng(1), forget_bias=8.0),
                    x, a0)
    assert np.all(keeps.u < 1e-3)
    np.testing.assert_allclose(keeps.a[:, :, -1], a0, atol=1e-2)
    forgets = forward(init_params("gru", 3, 5, 2, np.random.default_rng(1), forget_bias=-8.0),
                      x, a0)
    assert np.all(forgets.u > 1 - 1e-3)
    np.testing.assert_allclose(forgets.a, forgets.c_tilde, atol=1e-2)


def test_forget_bias_keeps_the_forget_gate_open():
    x = np.zeros((3, 2, 4))
    shut = forward(init_lstm(3, 5, 2, np.random.default_rng(0), forget_bias=-5.0), x)
    open_ = forward(init_lstm(3, 5, 2, np.random.default_rng(0), forget_bias=5.0), x)
    assert np.all(open_.f > 0.99) and np.all(shut.f < 0.01)


@pytest.mark.parametrize("cell", list(CELLS))
def test_weight_scale_multiplies_every_weight(cell):
    base = init_params(cell, 3, 5, 2, np.random.default_rng(9))
    scaled = init_params(cell, 3, 5, 2, np.random.default_rng(9), weight_scale=3.0)
    for name, value in base.items():
        if name.startswith("W"):
            np.testing.assert_allclose(getattr(scaled, name), 3.0 * value, rtol=1e-14)


def test_weight_scale_sets_the_standard_deviation_over_sqrt_fan_in():
    params = init_rnn(200, 200, 200, np.random.default_rng(0), weight_scale=2.0)
    for W in (params.Wax, params.Waa, params.Wya):  # fan-in 200, 40,000 draws each
        assert W.std() == pytest.approx(2.0 / np.sqrt(200), rel=0.02)
        assert abs(W.mean()) < 0.01


def test_params_containers_round_trip_and_copy():
    params = init_lstm(2, 3, 2, np.random.default_rng(0))
    again = LSTMParams.from_dict(params.as_dict())
    for name, value in params.items():
        np.testing.assert_array_equal(getattr(again, name), value)
    copy = params.copy()
    copy.Wf[0, 0] += 1.0
    assert copy.Wf[0, 0] != params.Wf[0, 0]
    assert params.zeros_like().global_norm() == 0.0
    assert params.global_norm() == pytest.approx(
        np.sqrt(sum(np.sum(v ** 2) for _, v in params.items())), rel=1e-14)
    assert RNNParams.cell == "rnn" and params.cell == "lstm"
