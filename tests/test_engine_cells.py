"""Each cell's description agrees with its parameters and its trace, so the layers above can
iterate over it instead of testing the cell's name."""

import numpy as np
import pytest

from rnnviz.engine import CELLS, cell_of, forward, get_cell, init_params
from rnnviz.engine.description import gate_view

SIZES = {"n_x": 3, "n_a": 4, "n_y": 2}


@pytest.fixture(params=list(CELLS))
def cell(request):
    return CELLS[request.param]


def test_the_registry_is_keyed_by_each_cells_own_name(cell):
    assert get_cell(cell.name) is cell
    assert cell_of(init_params(cell.name, 2, 2, 2, np.random.default_rng(0))) is cell


def test_shapes_and_parameter_count_match_initialised_parameters(cell):
    params = init_params(cell.name, *SIZES.values(), np.random.default_rng(0))
    shapes = cell.shapes(*SIZES.values())
    assert shapes == {name: value.shape for name, value in params.items()}
    assert cell.parameter_count(*SIZES.values()) == sum(v.size for _, v in params.items())


def test_projections_name_every_parameter_but_the_output_layer(cell):
    params = init_params(cell.name, *SIZES.values(), np.random.default_rng(0))
    named = {name for p in cell.projections for name in (*p.weights, p.bias)}
    assert named == set(params.names()) - {cell.output_weight, "by"}
    for projection in cell.projections:
        W_a, W_x, b = projection.blocks(params)
        assert (W_a.shape, W_x.shape, b.shape) == ((4, 4), (4, 3), (4, 1))


def test_projection_blocks_reproduce_the_traced_values(cell):
    rng = np.random.default_rng(1)
    params = init_params(cell.name, *SIZES.values(), rng)
    trace = forward(params, rng.standard_normal((3, 2, 5)))
    a_prev = np.concatenate([trace.a0[:, :, None], trace.a[:, :, :-1]], axis=2)
    squash = {"tanh": np.tanh, "sigmoid": lambda z: 1 / (1 + np.exp(-z))}
    for projection in cell.projections:
        W_a, W_x, b = projection.blocks(params)
        hidden = projection.hidden_input(a_prev, trace)
        z = (np.einsum("ij,jmt->imt", W_a, hidden) + np.einsum("ij,jmt->imt", W_x, trace.x)
             + b[:, :, None])
        expected = squash[projection.activation](z)
        np.testing.assert_allclose(getattr(trace, projection.value), expected, atol=1e-12)


def test_sequences_and_states_are_on_the_trace(cell):
    params = init_params(cell.name, *SIZES.values(), np.random.default_rng(0))
    trace = forward(params, np.ones((3, 2, 5)))
    for name in cell.sequences:
        assert getattr(trace, name).shape == (4, 2, 5), name
    for state in cell.states:
        assert getattr(trace, state + "0").shape == (4, 2)
    assert cell.gates == tuple(p for p in cell.projections if p.activation == "sigmoid")


def test_multiply_adds_count_every_weight_once_per_example_and_step():
    assert CELLS["rnn"].multiply_adds(3, 4, 2, m=5, T_x=7) == 5 * 7 * (4 * 3 + 4 * 4 + 2 * 4)
    assert CELLS["lstm"].multiply_adds(3, 4, 2, m=5, T_x=7) == 5 * 7 * (4 * 4 * 7 + 2 * 4)
    # a weight of one column is still a weight, not a bias
    assert CELLS["rnn"].multiply_adds(1, 1, 1, m=1, T_x=1) == 3
    assert CELLS["lstm"].multiply_adds(1, 1, 1, m=1, T_x=1) == 4 * 2 + 1


def test_unknown_cells_and_foreign_objects_are_refused_with_the_names_there_are():
    with pytest.raises(ValueError, match="one of 'rnn', 'lstm', 'gru'"):
        get_cell("elman")
    with pytest.raises(TypeError, match="rnn, lstm"):
        cell_of({"Wax": np.zeros((1, 1))})


def test_a_gate_view_reads_its_own_n_a_rows_of_the_stacked_field():
    class Stacked:  # two units, three gates stacked [p; q; s]
        a = np.zeros((2, 1, 1))
        gates = np.arange(6.0).reshape(6, 1, 1)
        q = gate_view("gates", ("p", "q", "s"), "q", "the middle gate")

    assert Stacked().q.ravel().tolist() == [2.0, 3.0]
    assert Stacked.q.__doc__ == "the middle gate"
