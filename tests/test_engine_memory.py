"""Working memory of the engine's computations, measured with tracemalloc (which sees every
NumPy buffer) at a mid size: BPTT's result keeps only its own arrays, its scratch is bounded,
and the per-step gradients run one BPTT at a time. And the freed memory a process keeps for
reuse goes back to the system when asked."""

import os
import platform
import subprocess
import sys
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from rnnviz.engine import CELLS, analysis, init_params
from rnnviz.engine.losses import Loss
from rnnviz.engine.model import backward, forward, loss_and_gradients

SIZES = {"n_x": 16, "n_a": 64, "n_y": 16, "m": 16, "T_x": 60}
MB = 1e6


def traced(fn, *args, **kwargs):
    """(fn(...), peak bytes allocated while it ran, bytes its result still holds)."""
    tracemalloc.start()
    try:
        start = tracemalloc.get_traced_memory()[0]
        result = fn(*args, **kwargs)
        held, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return result, peak - start, held - start


def problem(cell):
    rng = np.random.default_rng(0)
    params = init_params(cell, SIZES["n_x"], SIZES["n_a"], SIZES["n_y"], rng)
    x = rng.standard_normal((SIZES["n_x"], SIZES["m"], SIZES["T_x"]))
    return params, x, rng.integers(0, SIZES["n_y"], size=(SIZES["m"], SIZES["T_x"]))


def flow_bytes(back) -> int:
    """The bytes of the arrays a Backprop is made of."""
    arrays = [back.dx, back.da0, back.dA, back.dz_y, *(g for _, g in back.grads.items())]
    arrays += [a for a in (back.dc0, back.dC) if a is not None]
    return sum(a.nbytes for a in arrays)


@pytest.mark.parametrize("cell", ["rnn", "lstm"])
def test_bptt_result_keeps_its_own_arrays_not_its_scratch(cell):
    params, x, targets = problem(cell)
    trace = forward(params, x)
    back, _, held = traced(backward, params, trace, targets, Loss())
    assert held < 1.2 * flow_bytes(back) + 0.1 * MB


def test_lstm_bptt_keeps_dz_for_a_bounded_span_of_steps(monkeypatch):
    import rnnviz.engine._lstm_kernel as lstm_module

    params, x, targets = problem("lstm")
    trace = forward(params, x)
    _, whole, _ = traced(backward, params, trace, targets, Loss())
    n_a, m = SIZES["n_a"], SIZES["m"]
    dz_bytes = 8 * m * 4 * n_a * SIZES["T_x"]
    monkeypatch.setattr(lstm_module, "_GRADIENT_SPAN_BYTES", dz_bytes // 10)
    _, spanned, _ = traced(backward, params, trace, targets, Loss())
    assert whole - spanned > 0.8 * dz_bytes


@pytest.mark.parametrize("cell", ["rnn", "lstm"])
def test_per_step_gradients_run_one_bptt_at_a_time(cell):
    params, x, targets = problem(cell)
    _, one, _ = traced(loss_and_gradients, params, x, targets, Loss())
    steps = np.arange(1, SIZES["T_x"] + 1, 6)
    grads, peak, _ = traced(analysis.per_step_gradients, params, x, targets, Loss(),
                            steps=steps)
    results = sum(g.nbytes for step in grads for _, g in step.items())
    assert peak < 1.25 * one + results


@pytest.mark.parametrize("cell", list(CELLS))
def test_jacobian_norms_hold_one_chunk_of_jacobians_at_a_time(cell, monkeypatch):
    params, x, _ = problem(cell)
    trace = forward(params, x)
    n_s = analysis.state_size(params)
    every = SIZES["m"] * SIZES["T_x"] * 8 * n_s * n_s  # all the Jacobians of the batch
    chunk = every // 20
    monkeypatch.setattr(analysis, "JACOBIAN_CHUNK_BYTES", chunk)
    _, peak, _ = traced(analysis.jacobian_norms, params, trace)
    assert peak < 4 * chunk + 0.5 * MB


@pytest.mark.parametrize("cell", list(CELLS))
def test_jacobian_readouts_hold_a_few_stacks_of_one_example(cell):
    params, x, _ = problem(cell)
    trace = forward(params, x)
    stack = SIZES["T_x"] * 8 * analysis.state_size(params) ** 2  # one example's Jacobians
    _, peak, _ = traced(analysis.jacobian_readouts, params, trace, 0)
    # the Jacobians, their products, and Lanczos' vectors (up to 64 a matrix, a stack's
    # worth at n_s = 64)
    assert peak < 6 * stack


# Freed blocks under a block still in use stay with the process (glibc trims only the top of
# its heap by itself); prints the resident MB: held, freed, given back.
KEPT_AND_GIVEN_BACK = """
from pathlib import Path
import numpy as np
from rnnviz.engine import give_back_freed_memory, keep_freed_memory_for_reuse

def resident_mb():
    status = Path("/proc/self/status").read_text().splitlines()
    return int(next(line for line in status if line.startswith("VmRSS")).split()[1]) / 1024

keep_freed_memory_for_reuse()
blocks = [np.ones((1 << 20) // 8) for _ in range(64)]   # 64 MiB, each from malloc's heap
above = np.ones((4 << 20) // 8)   # in use above them
held = resident_mb()
del blocks
freed = resident_mb()
give_back_freed_memory()
print(held, freed, resident_mb())
"""


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc" or not Path("/proc/self/status").exists(),
                    reason="glibc's malloc and Linux's /proc only")
def test_freed_memory_kept_for_reuse_goes_back_to_the_system_when_asked():
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, "-c", KEPT_AND_GIVEN_BACK], cwd=root, check=True,
                         capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(root)}).stdout
    held, freed, given_back = map(float, out.split())
    assert freed > held - 8   # kept for reuse
    assert given_back < freed - 48
