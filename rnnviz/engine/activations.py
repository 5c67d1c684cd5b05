"""Numerically stable activations, in the notebook's conventions.

Forward::

    sigmoid(z) = 1 / (1 + exp(-z))          computed from exp(-|z|), so it never overflows
    softmax(z)_i = exp(z_i - max z) / sum_j exp(z_j - max z)   over axis 0 (each column)
    log_softmax(z)_i = z_i - max z - log sum_j exp(z_j - max z)

Backward (used by rnnviz.engine.lstm and rnnviz.engine.losses)::

    d sigmoid(z) / dz = sigmoid(z) (1 - sigmoid(z))       d tanh(z) / dz = 1 - tanh(z)^2
    softmax + cross-entropy with class y:  dL/dz = softmax(z) - onehot(y)

Both saturate exactly: sigmoid(1e4) == 1.0, sigmoid(-1e4) == 0.0, softmax of a column with
one logit 1e4 above the rest is exactly one-hot, and no overflow, underflow or invalid-value
warning is raised for any finite input (underflow to 0 is the exact saturation, so it is
silenced inside).

The fused sequence kernels (rnnviz.engine.rnn, rnnviz.engine.lstm) compute their sigmoids
and tanhs in one of two ways, the same functions to float64 round-off (a few units of 1e-16)::

    "tanh":  sigmoid(z) = (1 + tanh(z / 2)) / 2            tanh(z) = tanh(z)
    "exp":   sigmoid(z) = 1 / (1 + exp(-z))                tanh(z) = 2 / (1 + exp(-2 z)) - 1

NumPy vectorises float64 tanh well only with AVX-512; exp is vectorised on AVX2 too, where it
costs a fraction of tanh. Which one is faster on this processor is measured once, when this
module is imported (`calibrate`), and kept in `KERNEL` (unless the environment variable
RNNVIZ_KERNEL names one); `use_kernel` forces one. The scale
of each function's argument (1/2, 1, -1, -2) is folded into the weights by the kernels, so
one transcendental call covers all of a step's gates (`activate`). exp(-z) overflows for
z < -709: a kernel uses "exp" only where the arguments cannot reach EXP_SAFE
(`kernel_for`), and "tanh", which never overflows, otherwise.
"""

from __future__ import annotations

import contextlib
import os
import time
import warnings
from collections.abc import Callable

import numpy as np

KERNELS = ("tanh", "exp")
# what the argument of sigmoid and of tanh is multiplied by before the kernel's function
SCALES = {"tanh": {"sigmoid": 0.5, "tanh": 1.0}, "exp": {"sigmoid": -1.0, "tanh": -2.0}}
EXP_SAFE = 700.0  # exp(700) = 1.0e304: every argument below it is finite, with room to add 1
KERNEL = "tanh"  # replaced at import by the faster of KERNELS, see the end of the module


def sigmoid(z: np.ndarray) -> np.ndarray:
    """Logistic sigmoid, elementwise and stable for any finite z.

    Args:
        z: array of any shape.

    Returns:
        array of z's shape with values in [0, 1].
    """
    z = np.asarray(z, dtype=np.float64)
    with np.errstate(under="ignore"):  # exp(-|z|) rounding to 0 is the exact saturation
        e = np.exp(-np.abs(z))  # in (0, 1]: never overflows
        inverse = 1.0 / (1.0 + e)
        return np.where(z >= 0, inverse, e * inverse)


def softmax(z: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Softmax over axis 0, so each column (one example at one timestep) sums to 1.

    Args:
        z: (n_y, ...) logits, e.g. (n_y, m) or (n_y, m, T_x).
        out: optional array of z's shape to write the result into (may be z itself).

    Returns:
        array of z's shape; every slice along axis 0 sums to 1.
    """
    z = np.asarray(z, dtype=np.float64)
    # exp of a very negative shift rounds to 0, and a shift past -1.8e308 (logits further
    # apart than float64 reaches) to -inf, whose exp is 0 too: both exact
    with np.errstate(under="ignore", over="ignore"):
        e = np.subtract(z, z.max(axis=0, keepdims=True), out=out)
        np.exp(e, out=e)
        e /= e.sum(axis=0, keepdims=True)
    return e


def log_softmax(z: np.ndarray) -> np.ndarray:
    """log(softmax(z)) over axis 0, computed without taking the log of a rounded zero.

    Args:
        z: (n_y, ...) logits.

    Returns:
        array of z's shape, all values <= 0.
    """
    z = np.asarray(z, dtype=np.float64)
    shifted = z - z.max(axis=0, keepdims=True)
    with np.errstate(under="ignore"):
        return shifted - np.log(np.exp(shifted).sum(axis=0, keepdims=True))


# ----- the fused kernels' sigmoid and tanh --------------------------------------------------

def activate(scaled: np.ndarray, out: np.ndarray, sigmoid_rows: int, kernel: str) -> None:
    """out[:sigmoid_rows] = sigmoid(z) and out[sigmoid_rows:] = tanh(z), along axis 0, from
    `scaled` = z times SCALES[kernel] ("sigmoid" rows, then "tanh" rows); `scaled` may be
    `out` itself or a view of another layout. With "exp" every |scaled| must be below
    EXP_SAFE (`kernel_for`)."""
    if kernel == "tanh":
        np.tanh(scaled, out=out)
        if sigmoid_rows:
            sigmoids = out[:sigmoid_rows]
            np.multiply(sigmoids, 0.5, out=sigmoids)  # (1 + tanh(z / 2)) / 2
            np.add(sigmoids, 0.5, out=sigmoids)
        return
    np.exp(scaled, out=out)
    np.add(out, 1.0, out=out)
    np.divide(1.0, out, out=out)  # sigmoid of z, or of 2 z in the tanh rows
    if sigmoid_rows < len(out):
        tanhs = out[sigmoid_rows:]
        np.multiply(tanhs, 2.0, out=tanhs)  # tanh(z) = 2 sigmoid(2 z) - 1
        np.subtract(tanhs, 1.0, out=tanhs)


def tanh_into(z: np.ndarray, out: np.ndarray, kernel: str) -> None:
    """out = tanh(z) (with "exp", every |z| below EXP_SAFE / 2)."""
    if kernel == "tanh":
        np.tanh(z, out=out)
    else:
        np.multiply(z, SCALES["exp"]["tanh"], out=out)
        activate(out, out, 0, kernel)


def kernel_for(largest: float | Callable[[], float]) -> str:
    """The kernel for arguments of sigmoid and tanh up to `largest` in absolute value: KERNEL,
    unless it is "exp" and its scaled arguments could reach EXP_SAFE. `largest` may be a
    function that computes the bound, called only where it matters (KERNEL "exp"): a pass
    under "tanh" does not spend its time on it."""
    if KERNEL == "exp":
        bound = largest() if callable(largest) else largest
        if not bound * abs(SCALES["exp"]["tanh"]) < EXP_SAFE:
            return "tanh"
    return KERNEL


def largest_preactivation(W_a: np.ndarray, W_x: np.ndarray, b: np.ndarray, x: np.ndarray,
                          a0: np.ndarray) -> float:
    """A bound on |W_a a<t-1> + W_x x<t> + b| over every unit and step, when every a<t>
    after a0 lies in [-1, 1] (as the tanh of the RNN and o * tanh(c) of the LSTM do).

    Args:
        W_a: (k, n_a); W_x: (k, n_x); b: (k,) or (k, 1); x: (n_x, m, T_x) or its time-major
            layout; a0: (n_a, m), or a number bounding |a0| and every a<t> an intervention
            sets (rnnviz.engine.interventions.Schedule.bound).
    """
    state = max(1.0, float(np.max(np.abs(a0))))
    rows = (np.abs(W_a).sum(axis=1) * state + np.abs(W_x).sum(axis=1) * float(np.max(np.abs(x)))
            + np.abs(b).reshape(-1))
    return float(rows.max())


@contextlib.contextmanager
def use_kernel(kernel: str):
    """Within the block the fused kernels use `kernel`, one of KERNELS (for tests and
    benchmarks)."""
    global KERNEL
    if kernel not in KERNELS:
        raise ValueError(f"kernel must be one of {', '.join(KERNELS)}; got {kernel!r}")
    before, KERNEL = KERNEL, kernel
    try:
        yield
    finally:
        KERNEL = before


def calibrate(m: int = 32, n_a: int = 32, rounds: int = 15) -> dict[str, float]:
    """Seconds one LSTM step's activations take with each kernel on this processor: the
    gates (4, m, n_a) and tanh(c) (m, n_a), at the default training size. The best of
    `rounds` samples, taken in turn so that other work on the machine hits both alike."""
    rng = np.random.default_rng(0)
    z, c = rng.standard_normal((4, m, n_a)), rng.standard_normal((m, n_a))
    gates, tanh_c = np.empty_like(z), np.empty_like(c)
    best = dict.fromkeys(KERNELS, float("inf"))
    for _ in range(rounds):
        for kernel in KERNELS:
            start = time.perf_counter()
            activate(z, gates, 3, kernel)
            tanh_into(c, tanh_c, kernel)
            best[kernel] = min(best[kernel], time.perf_counter() - start)
    return best


KERNEL_VARIABLE = "RNNVIZ_KERNEL"  # the environment variable that names the kernel instead


def _chosen_kernel(calibration: dict[str, float]) -> str:
    """RNNVIZ_KERNEL when it names one of KERNELS, else the faster in `calibration` (a
    warning names a value that is none of them). The server hands its kernel to its training
    workers this way, so that a run trains to the same bits in a worker as in the server
    (each process's own calibration could choose the other where the two are close), and a
    test run can take the path an AVX2-only processor takes."""
    named = os.environ.get(KERNEL_VARIABLE, "").strip()
    if named in KERNELS:
        return named
    if named:
        warnings.warn(f"{KERNEL_VARIABLE}={named!r} is not one of {', '.join(KERNELS)}: the "
                      "kernel the calibration measured faster is used", stacklevel=2)
    return min(calibration, key=calibration.get)


CALIBRATION = calibrate()  # seconds per step's activations, {kernel: seconds}
KERNEL = _chosen_kernel(CALIBRATION)
