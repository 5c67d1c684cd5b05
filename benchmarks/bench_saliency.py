"""What the memory map costs: rnnviz.engine.input_saliency for each cell, at the app's
default size, at n_a = 64, T_x = 60 and at the limits.

Run:  python benchmarks/bench_saliency.py [--sizes default large limits] [--repeat 3]

For each size and cell it prints the CPU time of one map (the best of --repeat, in this
process, one BLAS thread), its peak working memory (tracemalloc: every NumPy buffer), and,
measured in the same run, the CPU time of one forward + BPTT of a batch of r = min(n_y, n_a)
examples over T_x steps (a training step's work at m = r) and the map's cost in those: the
map is T_x batched backward passes of r copies over t = 1..T_x steps, about T_x / 2 such
passes' worth of recurrence, and no forward pass beyond the one example's.
"""

from __future__ import annotations

import argparse
import functools
import os
import platform
import sys
import time
import tracemalloc
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before NumPy: one thread, as the app runs
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from rnnviz.engine import CELLS, Loss, backward, forward, init_params, input_saliency  # noqa: E402
from rnnviz.limits import SIZES as LIMITS  # noqa: E402

SIZES = {  # (n_x, n_a, n_y, T_x)
    "default": (3, 5, 2, 7),
    "large": (27, 64, 27, 60),
    "limits": (LIMITS["n_x"], LIMITS["n_a"], LIMITS["n_y"], LIMITS["T_x"]),
}


def cpu_s(call, repeat: int) -> float:
    """The least CPU time of `repeat` calls."""
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        call()
        best = min(best, time.process_time() - start)
    return best


def peak_mb(call) -> float:
    tracemalloc.start()
    try:
        call()
        return tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()


def measure(size: str, name: str, repeat: int) -> str:
    """One row: the map and a forward + BPTT of r examples, for one cell at one size."""
    n_x, n_a, n_y, T_x = SIZES[size]
    r = min(n_y, n_a)
    rng = np.random.default_rng(0)
    params = init_params(name, n_x, n_a, n_y, rng)
    x = rng.standard_normal((n_x, 1, T_x))
    batch = rng.standard_normal((n_x, r, T_x))
    targets = rng.integers(0, n_y, (r, T_x))
    one_map = functools.partial(input_saliency, params, x)
    saliency_s = cpu_s(one_map, repeat)
    peak = peak_mb(one_map)
    step_s = cpu_s(lambda: backward(params, forward(params, batch), targets, Loss()),
                   max(repeat, 3))
    return (f"{size + ' ' + str(SIZES[size]):>28} | {name:>4} | {saliency_s:9.3f} | "
            f"{peak:7.1f} | {step_s:19.4f} | {saliency_s / step_s:14.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", nargs="+", choices=list(SIZES), default=list(SIZES))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
          f"load average {', '.join(f'{v:.1f}' for v in os.getloadavg())}")
    print(f"{'size (n_x, n_a, n_y, T_x)':>28} | cell | map CPU s | peak MB | "
          "fwd+BPTT of r CPU s | map / fwd+BPTT")
    for size in args.sizes:
        for name in CELLS:
            print(measure(size, name, 1 if size == "limits" else args.repeat), flush=True)

if __name__ == "__main__":
    main()
