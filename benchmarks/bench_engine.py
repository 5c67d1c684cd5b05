"""Forward + BPTT time of the rnnviz engine, beside PyTorch and the matrix-product floor.

Run:  python benchmarks/bench_engine.py [--repeats N] [--clock cpu|wall]
          [--freed-memory keep|release] [--malloc-rounds N]

For each cell (RNN, LSTM, GRU) and size (n_x, n_a, m, T_x), with n_y = n_x and a softmax
cross-entropy loss at every timestep, it prints the median time of one forward pass plus
full BPTT (all parameter gradients and dx) for:

- rnnviz: ``rnnviz.engine.model.loss_and_gradients``;
- notebook: the course notebook's API over the engine, ``rnnviz.notebook.rnn_forward`` then
  ``rnn_backward`` (``lstm_forward``/``lstm_backward``, ``gru_forward``/``gru_backward``)
  from a given dA, with the notebook's per-step caches in between; its column /rnnviz is
  its time over the engine's;
- PyTorch: ``nn.RNN(tanh)`` / ``nn.LSTM`` / ``nn.GRU`` + ``nn.Linear`` +
  ``F.cross_entropy`` with autograd, float64, one thread (only when torch is importable; it
  is not a dependency). nn.GRU is not the course's GRU: it applies the reset gate after the
  product, r * (W_hn h + b_hn), and its z plays 1 - u. The cost is comparable: the same
  three (n_a, n_a + n_x) matrices and the same elementwise work; nn.GRU can do all three
  recurrent products of a step in one, where the course's form needs r<t> before the
  candidate's product, so two products a step forward and two back;
- the floor: the same matrix products alone, in the engine's shapes and memory layouts
  (input projection, the recurrent products of each step forward and backward (one for the
  RNN and the LSTM, two for the GRU), output layer, weight and input gradients), into
  preallocated buffers, with no elementwise work at all.

The first lines name the CPU's vector extensions as NumPy's runtime dispatch sees them and
the kernel the engine chose for sigmoid and tanh (rnnviz.engine.activations: "tanh" or
"exp", whichever its calibration at import measured faster), with the calibration's times.
An AVX2-only machine is emulated on an AVX-512 one by switching off NumPy's AVX-512 kernels
and OpenBLAS's, and PyTorch's (ATen's and MKL's) alike:

    NPY_DISABLE_CPU_FEATURES="X86_V4 AVX512_ICL AVX512_SPR" OPENBLAS_CORETYPE=Haswell \
    ATEN_CPU_CAPABILITY=avx2 MKL_ENABLE_INSTRUCTIONS=AVX2 python benchmarks/bench_engine.py

(NumPy 2.4 groups its x86 features: X86_V3 is AVX2 + FMA3, X86_V4 the AVX-512 set; the
older names such as AVX512F are accepted silently and change nothing.)

The process first calls ``rnnviz.engine.keep_freed_memory_for_reuse()``, as the app does
(``--freed-memory release`` leaves malloc as it is). ``--malloc-rounds N`` measures what that
call saves: it times the engine alone in 2N fresh processes, with and without it in turn,
and prints the median times and the median of the per-round ratios.

Everything runs on one thread (BLAS and OpenMP) so the comparison is fair. Samples of them
all are taken in turn and timed by default on this process's CPU clock, so that other
processes on a shared machine disturb the figures as little as possible. The first lines
name the BLAS kernel in use (with threadpoolctl installed): an environment that forces an
older OpenBLAS kernel (OPENBLAS_CORETYPE) slows every matrix product, the floor included.
"""

from __future__ import annotations

import os

# One thread everywhere; must be set before numpy (and torch) load their BLAS.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rnnviz.engine import activations, init_params, keep_freed_memory_for_reuse  # noqa: E402
from rnnviz.engine.losses import Loss  # noqa: E402
from rnnviz.engine.model import loss_and_gradients  # noqa: E402
from rnnviz.notebook import (  # noqa: E402
    gru_backward,
    gru_forward,
    lstm_backward,
    lstm_forward,
    rnn_backward,
    rnn_forward,
)

try:
    import torch
except ImportError:  # the reference is optional
    torch = None

SIZES = ((27, 32, 32, 20), (32, 128, 32, 64))  # (n_x, n_a, m, T_x): the training size, a large one
CELLS = ("rnn", "lstm", "gru")
LOSS = Loss("cross_entropy", "all")
# Each step's recurrent products, by their rows of the weights (the engine's fusing): the
# LSTM's four gates in one; the GRU's r and u in one, then the candidate on r<t> * a<t-1>.
RECURRENT_ROWS = {"rnn": (1,), "lstm": (4,), "gru": (2, 1)}   # times n_a


CLOCKS = {"cpu": time.process_time, "wall": time.perf_counter}


def calls_per_sample(fn, clock, min_seconds: float) -> int:
    """How many calls make one timing sample last about min_seconds (after a warm-up)."""
    fn()
    start = clock()
    fn()
    return max(1, int(min_seconds / max(clock() - start, 1e-7)))


def interleaved_times(fns: dict, repeats: int, clock, min_seconds: float = 0.05) -> dict:
    """Per-call times of several functions, sampled in turn: {name: [seconds per call, ...]}.

    Sampling them in turn, rather than one after another, lets a change in the machine's
    load (other processes) hit all of them alike, so their ratios stay meaningful.
    """
    numbers = {name: calls_per_sample(fn, clock, min_seconds) for name, fn in fns.items()}
    samples = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            start = clock()
            for _ in range(numbers[name]):
                fn()
            samples[name].append((clock() - start) / numbers[name])
    return samples


def problem(cell: str, n_x: int, n_a: int, m: int, T_x: int):
    rng = np.random.default_rng(0)
    params = init_params(cell, n_x, n_a, n_x, rng)
    x = rng.standard_normal((n_x, m, T_x))
    targets = rng.integers(0, n_x, size=(m, T_x))
    return params, x, targets


def engine_fn(cell, n_x, n_a, m, T_x):
    params, x, targets = problem(cell, n_x, n_a, m, T_x)
    return lambda: loss_and_gradients(params, x, targets, LOSS)


def notebook_fn(cell, n_x, n_a, m, T_x):
    params, x, _ = problem(cell, n_x, n_a, m, T_x)
    parameters = params.as_dict()
    rng = np.random.default_rng(1)
    a0, dA = rng.standard_normal((n_a, m)), rng.standard_normal((n_a, m, T_x))
    if cell == "lstm":
        return lambda: lstm_backward(dA, lstm_forward(x, a0, parameters)[3])
    if cell == "gru":
        return lambda: gru_backward(dA, gru_forward(x, a0, parameters)[2])
    return lambda: rnn_backward(dA, rnn_forward(x, a0, parameters)[2])


def floor_fn(cell, n_x, n_a, m, T_x):
    """The engine's matrix products alone, in the same shapes and memory layouts (row form:
    time-major (T_x m, n) matrices, one (m, n) block per step), into preallocated buffers."""
    n_y = n_x
    blocks = [k * n_a for k in RECURRENT_ROWS[cell]]  # rows of each recurrent product
    g = sum(blocks)                                   # columns of the input projection
    rng = np.random.default_rng(0)
    Wx, Wy = rng.standard_normal((g, n_x)), rng.standard_normal((n_y, n_a))
    Was = [rng.standard_normal((rows, n_a)) for rows in blocks]
    WaT_views = [np.ascontiguousarray(Wa.T).T for Wa in Was]  # the engine's backward operands
    X = rng.standard_normal((T_x * m, n_x))
    H = rng.standard_normal((T_x, m, n_a)) * 0.1
    dZ = rng.standard_normal((T_x, m, g)) * 0.1
    dZy = rng.standard_normal((T_x * m, n_y)) * 0.1
    H_rows, dZ_rows = H.reshape(T_x * m, n_a), dZ.reshape(T_x * m, g)
    concat = np.concatenate([H_rows, X], axis=1)  # the gated cells keep [a<t-1>, x<t>] rows
    Z, Zy, dA = np.empty((T_x * m, g)), np.empty((T_x * m, n_y)), np.empty((T_x * m, n_a))
    z_ts = [np.empty((m, rows)) for rows in blocks]
    da_t, dX = np.empty((m, n_a)), np.empty(X.shape)
    starts = np.cumsum([0, *blocks])
    dZ_blocks = [dZ[:, :, start:stop] for start, stop in zip(starts, starts[1:], strict=False)]
    dWy = np.empty((n_y, n_a))
    if cell == "rnn":    # Wax and Waa apart
        gradients = [(dZ_rows, H_rows, np.empty((g, n_a))), (dZ_rows, X, np.empty((g, n_x)))]
    elif cell == "lstm":  # the gates' weights in one product
        gradients = [(dZ_rows, concat, np.empty((g, n_a + n_x)))]
    else:                # r and u on concat; the candidate on [r * a<t-1>; x] in two
        ru, c = 2 * n_a, n_a
        gradients = [(dZ_rows[:, :ru], concat, np.empty((ru, n_a + n_x))),
                     (dZ_rows[:, ru:], H_rows, np.empty((c, n_a))),
                     (dZ_rows[:, ru:], X, np.empty((c, n_x)))]

    def run():
        np.matmul(X, Wx.T, out=Z)                     # input projection
        for t in range(T_x):                          # recurrent products, forward
            for Wa, z_t in zip(Was, z_ts, strict=True):
                np.matmul(H[t], Wa.T, out=z_t)
        np.matmul(H_rows, Wy.T, out=Zy)               # output layer
        np.matmul(dZy, Wy, out=dA)                    # back into the hidden states
        for t in range(T_x - 1, -1, -1):              # recurrent products, backward
            for dZ_block, WaT_view in zip(dZ_blocks, WaT_views, strict=True):
                np.matmul(dZ_block[t], WaT_view, out=da_t)
        np.matmul(dZy.T, H_rows, out=dWy)             # weight gradients
        for dZ_part, operand, out in gradients:
            np.matmul(dZ_part.T, operand, out=out)
        np.matmul(dZ_rows, Wx, out=dX)                # input gradient

    return run


def torch_fn(cell, n_x, n_a, m, T_x):
    torch.manual_seed(0)
    torch.set_num_threads(1)
    layer = {"lstm": lambda: torch.nn.LSTM(n_x, n_a), "gru": lambda: torch.nn.GRU(n_x, n_a),
             "rnn": lambda: torch.nn.RNN(n_x, n_a, nonlinearity="tanh")}[cell]().double()
    head = torch.nn.Linear(n_a, n_x).double()
    rng = np.random.default_rng(0)
    x = torch.from_numpy(rng.standard_normal((T_x, m, n_x))).requires_grad_(True)
    targets = torch.from_numpy(rng.integers(0, n_x, size=(T_x * m,)))
    parameters = list(layer.parameters()) + list(head.parameters())

    def run():
        for p in parameters:
            p.grad = None
        x.grad = None
        hidden, _ = layer(x)
        logits = head(hidden).reshape(T_x * m, n_x)
        torch.nn.functional.cross_entropy(logits, targets).backward()

    return run


def blas_description() -> str:
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "threadpoolctl not installed"
    blas = [i for i in threadpool_info() if i.get("user_api") == "blas"]
    return "; ".join(f"{i.get('internal_api')} {i.get('version')} {i.get('architecture')} "
                     f"threads={i.get('num_threads')}" for i in blas) or "unknown"


def vector_extensions() -> str:
    """The x86 feature groups NumPy's runtime dispatch found (and those switched off)."""
    from numpy._core._multiarray_umath import __cpu_dispatch__, __cpu_features__
    found = [name for name in __cpu_dispatch__ if __cpu_features__.get(name)]
    flags = [name for name in ("AVX2", "FMA3", "AVX512F") if __cpu_features__.get(name)]
    disabled = os.environ.get("NPY_DISABLE_CPU_FEATURES", "(unset)")
    return (f"NumPy dispatch targets found: {', '.join(found) or 'none'} (CPU has "
            f"{', '.join(flags)}); NPY_DISABLE_CPU_FEATURES={disabled}")


def kernel_description() -> str:
    """The engine's sigmoid/tanh kernel and what chose it: the calibration, or the
    environment (RNNVIZ_KERNEL), with the calibration's times either way."""
    times = ", ".join(f"{name} {seconds * 1e6:.1f} us"
                      for name, seconds in activations.CALIBRATION.items())
    named = os.environ.get(activations.KERNEL_VARIABLE, "").strip()
    chosen = (f"named by {activations.KERNEL_VARIABLE}; calibration"
              if named == activations.KERNEL else "calibration")
    return (f"activation kernel: {activations.KERNEL} ({chosen}, one LSTM step's "
            f"activations at m = n_a = 32: {times})")


def print_header(header: str) -> None:
    print(header)
    print("-" * len(header))


def engine_times(repeats: int, clock) -> dict[str, float]:
    """{"cell (n_x, n_a, m, T_x)": median seconds of the engine's forward + BPTT}."""
    return {f"{cell} {shape}": statistics.median(
                interleaved_times({"rnnviz": engine_fn(cell, *shape)}, repeats, clock)["rnnviz"])
            for shape in SIZES for cell in CELLS}


def compare_freed_memory(rounds: int, repeats: int, clock: str) -> None:
    """The engine's times with and without keep_freed_memory_for_reuse, each round in two
    fresh processes (the setting lasts for a process's life), the order alternating."""
    times = {"keep": [], "release": []}
    for k in range(rounds):
        for setting in (("keep", "release") if k % 2 == 0 else ("release", "keep")):
            child = subprocess.run(
                [sys.executable, __file__, "--engine-json", "--freed-memory", setting,
                 "--repeats", str(repeats), "--clock", clock],
                check=True, capture_output=True, text=True)
            times[setting].append(json.loads(child.stdout))
    print(f"forward + BPTT with and without keep_freed_memory_for_reuse: {rounds} rounds of "
          f"two processes, each the median of {repeats} samples, {clock} clock")
    print()
    header = (f"{'cell (n_x, n_a, m, T_x)':<25} {'keep ms':>9} {'release ms':>11} "
              f"{'release/keep':>13}")
    print_header(header)
    for name in times["keep"][0]:
        keep = [run[name] for run in times["keep"]]
        release = [run[name] for run in times["release"]]
        ratio = statistics.median(r / k for r, k in zip(release, keep, strict=True))
        print(f"{name:<25} {statistics.median(keep) * 1e3:9.3f} "
              f"{statistics.median(release) * 1e3:11.3f} {ratio:13.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--clock", choices=sorted(CLOCKS), default="cpu",
                        help="cpu: this process's CPU time (default; other processes' load "
                             "does not count); wall: elapsed time")
    parser.add_argument("--freed-memory", choices=("keep", "release"), default="keep",
                        help="keep: call keep_freed_memory_for_reuse first, as the app does "
                             "(default); release: leave malloc as it is")
    parser.add_argument("--malloc-rounds", type=int, default=0,
                        help="compare --freed-memory keep and release over this many rounds")
    parser.add_argument("--engine-json", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.malloc_rounds:
        compare_freed_memory(args.malloc_rounds, args.repeats, args.clock)
        return
    if args.freed_memory == "keep":
        keep_freed_memory_for_reuse()
    if args.engine_json:  # one process of --malloc-rounds
        print(json.dumps(engine_times(args.repeats, CLOCKS[args.clock])))
        return
    if torch is not None:
        torch.set_num_threads(1)
    print(f"numpy {np.__version__}; BLAS: {blas_description()}")
    print("OPENBLAS_CORETYPE=" + os.environ.get("OPENBLAS_CORETYPE", "(unset)")
          + " OPENBLAS_L2_SIZE=" + os.environ.get("OPENBLAS_L2_SIZE", "(unset)"))
    print(vector_extensions())
    print(kernel_description())
    print("ATEN_CPU_CAPABILITY=" + os.environ.get("ATEN_CPU_CAPABILITY", "(unset)")
          + " MKL_ENABLE_INSTRUCTIONS=" + os.environ.get("MKL_ENABLE_INSTRUCTIONS", "(unset)"))
    print(f"torch {torch.__version__}, 1 thread, CPU capability "
          f"{torch.backends.cpu.get_cpu_capability()}" if torch is not None
          else "torch not importable: the PyTorch reference is missing")
    print(f"forward + BPTT, cross-entropy at every step, float64, median of {args.repeats}, "
          f"{args.clock} clock, freed memory: {args.freed_memory}")
    print()
    header = (f"{'cell':<5} {'(n_x, n_a, m, T_x)':<19} {'rnnviz ms':>10} {'torch ms':>9} "
              f"{'floor ms':>9} {'/torch':>7} {'/floor':>7} {'notebook ms':>12} {'/rnnviz':>8}")
    print_header(header)
    for n_x, n_a, m, T_x in SIZES:
        for cell in CELLS:
            shape = (n_x, n_a, m, T_x)
            fns = {"rnnviz": engine_fn(cell, *shape), "floor": floor_fn(cell, *shape),
                   "notebook": notebook_fn(cell, *shape)}
            if torch is not None:
                fns["torch"] = torch_fn(cell, *shape)
            samples = interleaved_times(fns, args.repeats, CLOCKS[args.clock])
            median = {name: statistics.median(values) for name, values in samples.items()}

            def ratio(other, mine="rnnviz", samples=samples):  # median of per-round ratios
                return statistics.median(
                    a / b for a, b in zip(samples[mine], samples[other], strict=True))

            ref_ms = f"{median['torch'] * 1e3:9.3f}" if torch else f"{'-':>9}"
            vs_torch = f"{ratio('torch'):7.2f}" if torch else f"{'-':>7}"
            print(f"{cell:<5} {str(shape):<19} {median['rnnviz'] * 1e3:10.3f} {ref_ms} "
                  f"{median['floor'] * 1e3:9.3f} {vs_torch} {ratio('floor'):7.2f} "
                  f"{median['notebook'] * 1e3:12.3f} {ratio('rnnviz', 'notebook'):8.2f}")
    print()
    print(f"ms: median {args.clock} time of one forward + BPTT; /torch, /floor, /rnnviz: median "
          "of the ratios of")
    print("samples taken in turn (engine, floor, notebook, torch), so that a change in load hits "
          "all alike.")
    print("gru: PyTorch's nn.GRU is not the course's GRU (reset after the product, z = 1 - u), "
          "but its cost is")
    print("comparable: the same three (n_a, n_a + n_x) matrices and elementwise work; the "
          "course's form")
    print("needs r<t> before the candidate's product, so two recurrent products a step each "
          "way where nn.GRU")
    print("can fuse all three into one.")
    try:
        print(f"load average at the end: {os.getloadavg()[0]:.2f} ({os.cpu_count()} cores)")
    except OSError:
        pass


if __name__ == "__main__":
    main()
