"""The eigenvalues of the recurrence (rnnviz.engine.eigen): each cell's recurrent blocks, the
spectral-radius knob seen in them, and the step Jacobians' eigenvalues."""

import numpy as np
import pytest

from rnnviz.engine import CELLS, forward, init_params
from rnnviz.engine.analysis import step_jacobians
from rnnviz.engine.eigen import (
    recurrent_blocks,
    recurrent_spectra,
    spectra_through,
    step_jacobian_spectra,
)


@pytest.mark.parametrize("cell", sorted(CELLS))
def test_each_projection_has_its_recurrent_block_and_its_eigenvalues(cell):
    params = init_params(cell, 3, 6, 2, np.random.default_rng(1))
    blocks = recurrent_blocks(params)
    assert list(blocks) == [p.value for p in CELLS[cell].projections]
    a = np.random.default_rng(2).standard_normal(6)
    for projection in CELLS[cell].projections:   # the block is what multiplies a<t-1>
        W = getattr(params, projection.weights[0])
        full = W @ np.concatenate([a, np.zeros(3)]) if len(projection.weights) == 1 else W @ a
        np.testing.assert_allclose(blocks[projection.value] @ a, full)
    for name, values in recurrent_spectra(params).items():
        assert values.shape == (6,)
        np.testing.assert_allclose(np.sort_complex(values),
                                   np.sort_complex(np.linalg.eigvals(blocks[name])))
        assert np.all(np.diff(np.abs(values)) <= 1e-12)   # largest first


@pytest.mark.parametrize("cell", sorted(CELLS))
def test_the_spectral_radius_knob_sets_every_blocks_largest_eigenvalue(cell):
    params = init_params(cell, 3, 8, 2, np.random.default_rng(0), spectral_radius=1.3)
    for values in recurrent_spectra(params).values():
        assert abs(values[0]) == pytest.approx(1.3, rel=1e-10)


def test_the_step_jacobians_eigenvalues_and_the_lstms_forget_gate_among_them():
    rng = np.random.default_rng(5)
    params = init_params("lstm", 3, 4, 2, rng)
    trace = forward(params, rng.standard_normal((3, 2, 5)))
    spectra = step_jacobian_spectra(params, trace, example=1)
    J = step_jacobians(params, trace, example=1)
    assert spectra.shape == (5, 8)
    for t in range(5):
        np.testing.assert_allclose(np.sort_complex(spectra[t]),
                                   np.sort_complex(np.linalg.eigvals(J[t])), atol=1e-12)
    # with Waa-like blocks at zero the LSTM's J<t> is block triangular: diag(f) among them
    zeroed = params.__class__(**{**vars(params), **{
        name: np.concatenate([np.zeros((4, 4)), getattr(params, name)[:, 4:]], axis=1)
        for name in ("Wf", "Wu", "Wc", "Wo")}})
    trace = forward(zeroed, rng.standard_normal((3, 1, 3)))
    spectra = step_jacobian_spectra(zeroed, trace)
    for t in range(3):
        f = trace.f[:, 0, t]
        assert np.sort(spectra[t].real)[-4:] == pytest.approx(np.sort(f))


@pytest.mark.parametrize("cell", sorted(CELLS))
def test_the_spectra_through_snapshots_are_each_snapshots_own(cell):
    snapshots = [init_params(cell, 3, n, 2, np.random.default_rng(seed), spectral_radius=r)
                 for n in (5,) for seed, r in ((0, 0.5), (1, 1.0), (2, 1.7))]
    through = spectra_through(snapshots)
    assert list(through) == [p.value for p in CELLS[cell].projections]
    for k, params in enumerate(snapshots):
        for name, values in recurrent_spectra(params).items():
            assert through[name].shape == (3, 5)
            np.testing.assert_allclose(through[name][k], values, atol=1e-12)
    np.testing.assert_allclose(np.abs(through[next(iter(through))][:, 0]), [0.5, 1.0, 1.7])


def test_the_spectra_through_snapshots_refuse_mixed_sizes_and_none():
    with pytest.raises(ValueError, match="differ"):
        spectra_through([init_params("rnn", 3, 5, 2, np.random.default_rng(0)),
                         init_params("rnn", 3, 6, 2, np.random.default_rng(0))])
    with pytest.raises(ValueError, match="no snapshots"):
        spectra_through([])
