"""benchmarks/bench_engine.py's header says which kernel the engine runs and what chose it:
the calibration, or the environment (RNNVIZ_KERNEL)."""

import os
import sys
from pathlib import Path

from rnnviz.engine import activations

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
_before = dict(os.environ)
import bench_engine  # noqa: E402  (it sets its one-thread variables: put back for the other tests)

os.environ.clear()
os.environ.update(_before)


def test_the_engine_benchmark_says_what_chose_the_kernel(monkeypatch):
    monkeypatch.delenv(activations.KERNEL_VARIABLE, raising=False)
    chosen_by_timing = bench_engine.kernel_description()
    assert chosen_by_timing.startswith(f"activation kernel: {activations.KERNEL} (calibration,")
    assert all(f"{kernel} " in chosen_by_timing for kernel in activations.KERNELS)
    monkeypatch.setenv(activations.KERNEL_VARIABLE, activations.KERNEL)
    assert f"(named by {activations.KERNEL_VARIABLE}; calibration," in (
        bench_engine.kernel_description())
