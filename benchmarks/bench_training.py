"""Training speed: Adam steps per second on the default character task, and where time goes.

Run:  python benchmarks/bench_training.py [--steps N] [--repeats R]

The default run is the character language model on the bundled dinosaur names, LSTM,
n_a = 32, m = 32, T_x = 20, Adam, clipping by global norm, optimizer statistics every 10
steps and a snapshot every 100 (rnnviz.training.settings.TrainConfig's defaults). It prints, per
cell, the median and the best over R repeats of N whole steps (`Trainer.step`: batch,
forward, BPTT, norms, clipping, Adam, the record), and the share of one step spent in each
part, timed alone. Times are this process's CPU time (time.process_time), so other work
on a shared machine does not count against the engine; with one thread it equals wall time
on an idle machine.
Target: >= 200 steps/s for the LSTM on one core. Everything runs on one thread.
"""

from __future__ import annotations

import os

# One thread everywhere; must be set before numpy loads its BLAS.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rnnviz.engine import keep_freed_memory_for_reuse  # noqa: E402
from rnnviz.engine.model import loss_and_gradients  # noqa: E402
from rnnviz.engine.optim import clip_by_global_norm, make_optimizer  # noqa: E402
from rnnviz.training.settings import TrainConfig  # noqa: E402
from rnnviz.training.trainer import Trainer  # noqa: E402

TARGET = 200.0


def steps_per_second(config: TrainConfig, steps: int, repeats: int) -> tuple[float, float]:
    """Median and best over repeats of steps / second for `steps` Trainer steps (warmed up).

    The best repeat is the one least disturbed by other work on a shared machine."""
    rates = []
    for _ in range(repeats):
        trainer = Trainer(config.replace(steps=steps + 20))
        trainer.run(20)  # warm up caches and BLAS
        start = time.process_time()
        trainer.run(steps)
        rates.append(steps / (time.process_time() - start))
    return statistics.median(rates), max(rates)


def mean_time(fn, number: int) -> float:
    fn()
    start = time.process_time()
    for _ in range(number):
        fn()
    return (time.process_time() - start) / number


def breakdown(config: TrainConfig, number: int = 200) -> dict[str, float]:
    """Seconds per call of each part of a step, each timed on its own."""
    trainer = Trainer(config)
    task, params = trainer.task, trainer.params
    rng = np.random.default_rng(0)
    batch = task.batch(rng, config.m, config.T_x)
    trace, back = loss_and_gradients(params, batch.x, batch.targets, task.loss)
    optimizer = make_optimizer(config.optimizer, **config.hyper())
    return {
        "batch": mean_time(lambda: task.batch(rng, config.m, config.T_x), number),
        "forward + BPTT": mean_time(
            lambda: loss_and_gradients(params, batch.x, batch.targets, task.loss), number),
        "norm + clip": mean_time(lambda: clip_by_global_norm(back.grads, config.clip_value),
                                 number),
        "optimizer step": mean_time(lambda: optimizer.step(params, back.grads), number),
        "accuracy": mean_time(lambda: task.accuracy(trace.y_hat, batch.targets), number),
        "optimizer stats": mean_time(optimizer.stats, number) / config.stats_every,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    keep_freed_memory_for_reuse()  # as every page of the app does
    base = TrainConfig()  # chars, LSTM, n_a=32, m=32, T_x=20, Adam
    print(f"task={base.task} n_a={base.n_a} m={base.m} T_x={base.T_x} "
          f"optimizer={base.optimizer} clip={base.clip} stats_every={base.stats_every} "
          f"(numpy {np.__version__}, one thread)")
    print(f"{'cell':<6}{'median steps/s':>16}{'best steps/s':>14}{'ms/step':>10}   "
          f"target {TARGET:.0f} steps/s (median)")
    for cell in ("lstm", "rnn", "gru"):
        median, best = steps_per_second(base.replace(cell=cell), args.steps, args.repeats)
        verdict = "met" if median >= TARGET else "NOT met"
        print(f"{cell:<6}{median:>16.0f}{best:>14.0f}{1000 / median:>10.2f}   {verdict}")
    print("\nLSTM step, part by part (each timed alone):")
    parts = breakdown(base)
    total = sum(parts.values())
    for name, seconds in parts.items():
        print(f"  {name:<16}{seconds * 1e3:>8.3f} ms  {100 * seconds / total:5.1f}%")


if __name__ == "__main__":
    main()
