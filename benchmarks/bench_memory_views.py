"""What the Memory map's other views cost, at the app's default size and at the limits: the
fixed-point search (the page's settings), the recurrent blocks' spectra, the step
Jacobians' spectra along a run, the spectra of a run's snapshots (the spectral radius over
training), the states' principal components, and truncated BPTT beside full BPTT (Gradient
flow's k, with the loss at every step: at T_x / 10, at the largest k the page offers at that
size, and at T_x - 1, the costliest), for the RNN, the LSTM and the GRU.

Run:  python benchmarks/bench_memory_views.py [--sizes default large n_a=128 limits] [--repeat 3]

Each row is one call's CPU time (the best of --repeat, in this process, one BLAS thread),
its peak working memory (tracemalloc: every NumPy buffer) and whether the page computes it
at that size on a click (rnnviz.limits and the pages' own caps) or says why not. Sizes are
(n_x, n_a, n_y, m, T_x); "large" and "n_a=128" are where the pages' caps stop.
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

from rnnviz.app import memory as words  # noqa: E402
from rnnviz.app.build import largest_truncation  # noqa: E402
from rnnviz.app.config import Config  # noqa: E402
from rnnviz.engine import CELLS, Loss, backward, forward, init_params  # noqa: E402
from rnnviz.engine.analysis import state_size  # noqa: E402
from rnnviz.engine.eigen import (  # noqa: E402
    recurrent_spectra,
    spectra_through,
    step_jacobian_spectra,
)
from rnnviz.engine.fixed_points import find_state_points  # noqa: E402
from rnnviz.limits import MAX_SNAPSHOTS  # noqa: E402
from rnnviz.limits import SIZES as LIMITS  # noqa: E402
from rnnviz.notebook.example import NOTEBOOK_SIZES  # noqa: E402

SIZES = {  # (n_x, n_a, n_y, m, T_x)
    "default": (NOTEBOOK_SIZES["n_x"], NOTEBOOK_SIZES["n_a"], NOTEBOOK_SIZES["n_y"],
                NOTEBOOK_SIZES["m"], 7),
    "large": (27, 64, 27, 32, 60),     # the LSTM's largest fixed-point search, step spectra
    "n_a=128": (27, 128, 27, 32, 60),  # the RNN's and GRU's largest fixed-point search
    "limits": tuple(LIMITS[k] for k in ("n_x", "n_a", "n_y", "m", "T_x")),
}


def cost(call, repeat: int) -> tuple[float, float]:
    """(the least CPU seconds of `repeat` calls, the peak MB of the first): the first call
    runs under tracemalloc (its own cost is small beside NumPy's work, and a view at the
    limits is called once)."""
    tracemalloc.start()
    try:
        start = time.process_time()
        call()
        best = time.process_time() - start
        peak = tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()
    for _ in range(repeat - 1):
        start = time.process_time()
        call()
        best = min(best, time.process_time() - start)
    return best, peak


def views(name: str, size: tuple[int, ...]) -> dict:
    """{view: (call, whether the page computes it at this size)} for one cell and size."""
    n_x, n_a, n_y, m, T_x = size
    rng = np.random.default_rng(0)
    params = init_params(name, n_x, n_a, n_y, rng)
    x = rng.standard_normal((n_x, m, T_x))
    targets = rng.integers(0, n_y, (m, T_x))
    trace = forward(params, x)
    n_s = state_size(params)
    visited = np.concatenate([getattr(trace, s) for s in CELLS[name].states]).reshape(n_s, -1)
    starts = visited[:, rng.choice(visited.shape[1],
                                   min(words.search_starts(n_s), visited.shape[1]), replace=False)]
    snapshots = [init_params(name, n_x, n_a, n_y, np.random.default_rng(seed))
                 for seed in range(MAX_SNAPSHOTS + 1)]
    scrubbed = words.scrubbed_steps(range(len(snapshots)), len(CELLS[name].projections), n_a)
    loss = Loss()
    largest = largest_truncation(Config(cell=name, n_x=n_x, n_a=n_a, n_y=n_y, m=m, T_x=T_x,
                                        input="gaussian"), [name], "all")
    truncations = {f"truncated BPTT k={k}, every step": (
        functools.partial(backward, params, trace, targets, loss, truncate=k), k <= largest)
        for k in sorted({max(1, T_x // 10), largest, T_x - 1} - {T_x, 0})}
    return {
        f"fixed points ({starts.shape[1]} starts)": (
            functools.partial(find_state_points, params, starts,
                              iterations=words.SEARCH_ITERATIONS),
            n_s <= words.SEARCH_MAX_STATE),
        "recurrent spectra": (functools.partial(recurrent_spectra, params), True),
        "step Jacobian spectra": (functools.partial(step_jacobian_spectra, params, trace, 0),
                                  words.step_spectra_fit(n_s, T_x)),
        f"snapshot spectra ({len(scrubbed)} of {len(snapshots)})": (
            functools.partial(spectra_through, [snapshots[i] for i in scrubbed]), True),
        "principal components (3)": (
            lambda: words.project(trace.a, *words.principal_components(trace.a, 3)[:2]), True),
        "full BPTT, loss every step": (
            functools.partial(backward, params, trace, targets, loss), True),
        **truncations,   # T_x // 10, the page's largest at this size, and the costliest
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", nargs="+", choices=list(SIZES), default=list(SIZES))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip", nargs="*", default=[],
                        help="views to leave out, by the start of their name")
    args = parser.parse_args()
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
          f"load average {', '.join(f'{v:.1f}' for v in os.getloadavg())}")
    print("| size (n_x, n_a, n_y, m, T_x) | cell | view | CPU s | peak MB | on a click |")
    print("|---|---|---|---:|---:|---|")
    for size in args.sizes:
        for name in CELLS:
            for view, (call, shown) in views(name, SIZES[size]).items():
                if any(view.startswith(s) for s in args.skip):
                    continue
                seconds, peak = cost(call, 1 if size == "limits" else args.repeat)
                print(f"| {size} {SIZES[size]} | {CELLS[name].label} | {view} | "
                      f"{seconds:.3f} | {peak:.1f} | "
                      f"{'computed' if shown else 'capped: not computed'} |", flush=True)
    print(f"load average after: {', '.join(f'{v:.1f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
