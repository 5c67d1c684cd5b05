"""Eigenvalues of the recurrence: where each of a cell's recurrent blocks, and each step
Jacobian along a run, sends directions of the state.

A recurrent block is the part of a projection's weights that multiplies a<t-1>: the RNN's
Waa, the first n_a columns of the LSTM's Wf, Wu, Wc, Wo and of the GRU's Wr, Wu, Wc. Its
spectral radius (the largest |eigenvalue|) is what the spectral-radius knob sets (for every
block at once). A step Jacobian J<t> = ds<t>/ds<t-1> (rnnviz.engine.analysis) is what BPTT
multiplies by: its eigenvalues inside the unit circle shrink a direction step after step,
outside it they grow it; the LSTM's has n_a eigenvalues of the diagonal block diag(f) among
its 2 n_a, near 1 where the forget gate remembers.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from rnnviz.engine.analysis import step_jacobians
from rnnviz.engine.cells import cell_of
from rnnviz.engine.description import Trace
from rnnviz.engine.params import Params


def recurrent_blocks(params: Params) -> dict[str, np.ndarray]:
    """{projection's value ("a", "f", "u", "c_tilde", ...): its (n_a, n_a) recurrent block}."""
    params.validate()
    n_a = params.sizes["n_a"]
    blocks = {}
    for projection in cell_of(params).projections:
        W = getattr(params, projection.weights[0])
        blocks[projection.value] = W if len(projection.weights) == 2 else W[:, :n_a]
    return blocks


def recurrent_spectra(params: Params) -> dict[str, np.ndarray]:
    """{projection's value: the eigenvalues of its recurrent block}, (n_a,) complex each,
    largest |eigenvalue| first."""
    return {name: _by_size(np.linalg.eigvals(block))
            for name, block in recurrent_blocks(params).items()}


def spectra_through(snapshots: Sequence[Params]) -> dict[str, np.ndarray]:
    """`recurrent_spectra` of several parameter sets of one cell and size at once (a run's
    snapshots): {projection's value: (K, n_a) complex, row k the eigenvalues of its block in
    snapshots[k], largest |eigenvalue| first}; one stacked eigensolve per block."""
    if not snapshots:
        raise ValueError("no snapshots: give at least one parameter set")
    if len({(type(p), tuple(p.sizes.items())) for p in snapshots}) > 1:
        raise ValueError("the snapshots differ in cell or sizes")
    blocks = [recurrent_blocks(params) for params in snapshots]
    return {name: np.stack([_by_size(values) for values in
                            np.linalg.eigvals(np.stack([b[name] for b in blocks]))])
            for name in blocks[0]}


def step_jacobian_spectra(params: Params, trace: Trace, example: int = 0) -> np.ndarray:
    """The eigenvalues of J<t> at every step of one example: (T_x, n_s) complex, row t - 1
    for J<t>, each row largest |eigenvalue| first (n_s = n_a, or 2 n_a for the LSTM)."""
    J = step_jacobians(params, trace, example)
    return np.stack([_by_size(values) for values in np.linalg.eigvals(J)])


def _by_size(values: np.ndarray) -> np.ndarray:
    return values[np.argsort(-np.abs(values), kind="stable")]
