"""build(config): the notebook's draws, Gaussian inputs with the init knobs, task batches."""

import numpy as np
import pytest

from rnnviz.app.build import (
    PRESETS,
    build,
    for_cell,
    gate_knobs,
    knob_value,
    knobs_apply,
    resolve,
)
from rnnviz.app.config import GATE_BIASES, Config
from rnnviz.engine import CELLS
from rnnviz.engine.losses import Loss
from rnnviz.engine.model import backward, forward
from rnnviz.notebook import notebook_example
from rnnviz.training.tasks import make_task


def _radius(W):
    return float(np.max(np.abs(np.linalg.eigvals(W))))


@pytest.mark.parametrize("cell", list(CELLS))
def test_notebook_input_is_the_notebooks_randn_draws(cell):
    config = Config(cell=cell, input="notebook", n_x=3, n_a=5, n_y=2, m=10, T_x=4, seed=1)
    setup = build(config)
    params, x, a0 = notebook_example(cell, 3, 5, 2, 10, 4, 1)
    np.testing.assert_array_equal(setup.x, x)
    np.testing.assert_array_equal(setup.a0, a0)
    for name, value in params.items():
        np.testing.assert_array_equal(getattr(setup.params, name), value)
    assert setup.loss == Loss("cross_entropy", "all")
    assert setup.task is None


def test_notebook_input_ignores_the_weight_knobs():
    plain = build(Config(cell="lstm", input="notebook"))
    knobbed = build(Config(cell="lstm", input="notebook", weight_scale=3.0,
                           spectral_radius=0.5))
    for name, value in plain.params.items():
        np.testing.assert_array_equal(getattr(knobbed.params, name), value)
    assert knobs_apply(Config(input="notebook")) == {
        "weight_scale": False, "spectral_radius": False, "lstm_bf": True, "lstm_bu": True,
        "lstm_bo": True, "gru_br": False, "gru_bu": False}


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_a_gate_knob_shifts_the_notebooks_drawn_bias_and_nothing_else(cell):
    config = Config(cell=cell, input="notebook", n_a=4, seed=3)
    drawn, _, _ = notebook_example(cell, 3, 4, 2, 10, 7, 3)
    for knob in gate_knobs(config):
        bias = GATE_BIASES[knob][1]
        shifted = build(config.replace(**{knob: -2.5})).params
        np.testing.assert_allclose(getattr(shifted, bias), getattr(drawn, bias) - 2.5,
                                   rtol=0, atol=1e-15)
        for name, value in drawn.items():
            if name != bias:
                np.testing.assert_array_equal(getattr(shifted, name), value)
        assert knob_value(config, knob) == 0.0  # unset: no shift


@pytest.mark.parametrize("input_", ["gaussian", "copy"])
@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_a_gate_knob_sets_every_entry_of_its_bias_on_the_initialised_weights(cell, input_):
    config = Config(cell=cell, input=input_, n_a=6, seed=4)
    plain = build(config).params
    for value, knob in zip((4.5, -3.0, 0.25), gate_knobs(config), strict=False):
        bias = GATE_BIASES[knob][1]
        knobbed = build(config.replace(**{knob: value})).params
        np.testing.assert_array_equal(getattr(knobbed, bias), np.full((6, 1), value))
        assert knob_value(config.replace(**{knob: value}), knob) == value
        for name, array in plain.items():
            if name != bias:
                np.testing.assert_array_equal(getattr(knobbed, name), array)


def test_an_unset_knob_stands_at_the_bias_as_initialised():
    assert {knob: knob_value(Config(cell=cell, input="gaussian"), knob)
            for knob, (cell, _) in GATE_BIASES.items()} == {
        "lstm_bf": 1.0, "lstm_bu": 0.0, "lstm_bo": 0.0, "gru_br": 0.0, "gru_bu": -1.0}
    gru = build(Config(cell="gru", input="gaussian")).params
    np.testing.assert_array_equal(gru.bu, np.full((5, 1), -1.0))


def test_a_knob_of_another_cell_changes_nothing():
    lstm = Config(cell="lstm", input="gaussian")
    plain = build(lstm).params
    for name, value in build(lstm.replace(gru_bu=4.0, gru_br=-4.0)).params.items():
        np.testing.assert_array_equal(getattr(plain, name), value)
    assert gate_knobs(Config(cell="rnn")) == ()
    assert gate_knobs(Config(cell="gru")) == ("gru_br", "gru_bu")


def test_labels_are_uniform_class_indices_from_the_seed():
    setup = build(Config(input="gaussian", n_y=4, m=64, T_x=50, seed=3))
    assert setup.targets.shape == (64, 50)
    assert setup.targets.dtype == np.int64
    assert set(np.unique(setup.targets)) == {0, 1, 2, 3}
    again = build(Config(input="gaussian", n_y=4, m=64, T_x=50, seed=3))
    np.testing.assert_array_equal(setup.targets, again.targets)
    other = build(Config(input="gaussian", n_y=4, m=64, T_x=50, seed=4))
    assert not np.array_equal(setup.targets, other.targets)


def test_gaussian_input_gives_both_cells_the_same_x_and_labels():
    rnn = build(Config(cell="rnn", input="gaussian", seed=7))
    lstm = build(Config(cell="lstm", input="gaussian", seed=7))
    np.testing.assert_array_equal(rnn.x, lstm.x)
    np.testing.assert_array_equal(rnn.targets, lstm.targets)
    np.testing.assert_array_equal(rnn.a0, np.zeros((5, 10)))
    assert isinstance(rnn.params, CELLS["rnn"].params)
    assert isinstance(lstm.params, CELLS["lstm"].params)


def test_gaussian_x_is_standard_normal_draws_of_the_seed():
    setup = build(Config(input="gaussian", n_x=2, m=3, T_x=4, seed=11))
    expected = np.random.default_rng(11).standard_normal((2, 3, 4))
    np.testing.assert_array_equal(setup.x, expected)


def test_spectral_radius_knob_sets_the_largest_eigenvalue_of_waa():
    setup = build(Config(cell="rnn", input="gaussian", n_a=16, spectral_radius=1.7))
    assert _radius(setup.params.Waa) == pytest.approx(1.7, rel=1e-10)


def test_spectral_radius_zero_leaves_waa_as_drawn():
    setup = build(Config(cell="rnn", input="gaussian", n_a=16, spectral_radius=0.0, seed=2))
    std = setup.params.Waa.std()
    assert std == pytest.approx(1 / np.sqrt(16), rel=0.25)
    assert _radius(setup.params.Waa) != pytest.approx(1.0, abs=1e-6)


def test_forget_gate_bias_and_weight_scale_reach_the_lstm():
    base = build(Config(cell="lstm", input="gaussian", n_a=32, seed=5))
    setup = build(Config(cell="lstm", input="gaussian", n_a=32, lstm_bf=4.5,
                         weight_scale=2.0, seed=5))
    np.testing.assert_array_equal(setup.params.bf, np.full((32, 1), 4.5))
    np.testing.assert_allclose(setup.params.Wu, 2.0 * base.params.Wu)
    assert knobs_apply(setup.config) == {"weight_scale": True, "spectral_radius": True,
                                         "lstm_bf": True, "lstm_bu": True, "lstm_bo": True,
                                         "gru_br": False, "gru_bu": False}
    assert not any(knobs_apply(Config(cell="rnn", input="gaussian"))[k] for k in GATE_BIASES)


@pytest.mark.parametrize("cell", list(CELLS))
def test_edge_sizes_build_and_run(cell):
    config = Config(cell=cell, input="gaussian", n_x=1, n_a=1, n_y=1, m=1, T_x=1)
    setup = build(config)
    trace = forward(setup.params, setup.x, setup.a0, output=setup.loss.output)
    grads = backward(setup.params, trace, setup.targets, setup.loss)
    assert trace.a.shape == (1, 1, 1)
    np.testing.assert_array_equal(setup.targets, np.zeros((1, 1), dtype=np.int64))
    assert grads.loss == pytest.approx(0.0)  # one class: log softmax is 0


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_every_preset_builds_and_its_trace_is_finite(name):
    setup = build(PRESETS[name])
    trace = forward(setup.params, setup.x, setup.a0, output=setup.loss.output)
    assert np.all(np.isfinite(trace.a))
    assert setup.config == PRESETS[name]


def test_vanishing_and_exploding_presets_show_their_effect():
    def first_over_last(name):
        setup = build(PRESETS[name])
        trace = forward(setup.params, setup.x, setup.a0)
        norms = backward(setup.params, trace, setup.targets,
                         Loss("cross_entropy", "last")).flow_norms()["a"]
        return norms[0] / norms[-1]

    assert first_over_last("Vanishing gradients") < 1e-6
    assert first_over_last("Exploding gradients") > 1e2
    remembers = build(PRESETS["LSTM remembers"])
    trace = forward(remembers.params, remembers.x, remembers.a0)
    assert np.mean(trace.f > 0.9) > 0.9
    # the GRU keeps a<t-1> with its update gates near 0, and the gradient with it
    gru = build(PRESETS["GRU remembers"])
    trace = forward(gru.params, gru.x, gru.a0)
    assert np.mean(trace.u < 0.1) > 0.9
    assert first_over_last("GRU remembers") > 0.1


@pytest.mark.parametrize("name", ["chars", "adding", "copy", "sine"])
def test_task_input_dictates_sizes_loss_and_batch(name):
    task = make_task(name)
    config = Config(cell="lstm", input=name, n_x=3, n_y=2, n_a=4, m=3, T_x=6, seed=2)
    setup = build(config)
    assert (setup.config.n_x, setup.config.n_y) == (task.n_x, task.n_y)
    assert resolve(config) == setup.config
    assert setup.loss == task.loss
    assert setup.x.shape == (task.n_x, 3, 6)
    assert setup.params.sizes == {"n_x": task.n_x, "n_a": 4, "n_y": task.n_y}
    batch = task.batch(np.random.default_rng(2), 3, 6)
    np.testing.assert_array_equal(setup.x, batch.x)
    np.testing.assert_array_equal(setup.targets, batch.targets)
    trace = forward(setup.params, setup.x, setup.a0, output=setup.loss.output)
    assert np.isfinite(backward(setup.params, trace, setup.targets, setup.loss).loss)


def test_task_too_short_for_its_sequence_raises_value_error():
    with pytest.raises(ValueError, match="T_x"):
        build(Config(input="adding", T_x=1))


@pytest.mark.parametrize("input_", ["notebook", "gaussian", "copy"])
@pytest.mark.parametrize("cell", list(CELLS))
def test_a_config_for_a_cell_builds_the_same_network_without_the_knobs_it_ignores(cell, input_):
    config = Config(cell="lstm", n_a=3, m=2, T_x=4, input=input_, weight_scale=0.7,
                    spectral_radius=1.3, lstm_bf=4.0, gru_bu=-4.0)
    own = for_cell(config, cell)
    expected = build(config.replace(cell=cell))
    built = build(own)
    assert own.cell == cell
    for name, value in expected.params.items():
        np.testing.assert_array_equal(getattr(built.params, name), value)
    np.testing.assert_array_equal(built.x, expected.x)
    # another gate bias is another configuration only for the cell that has it
    for knob in ("lstm_bf", "gru_bu"):
        other_bias = for_cell(config.replace(**{knob: 1.0}), cell)
        assert (other_bias == own) is not knobs_apply(own)[knob]
