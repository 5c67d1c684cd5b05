"""How far back can each cell remember? RNN, LSTM and GRU on delayed recall as the delay grows.

Run:  python examples/memory_horizon.py [--delays 5 10 20 40 60] [--seeds 3] [--steps 1500]
                                        [--networks rnn lstm1 lstm3 gru1 gru3] [--kernel tanh]
                                        [--truncate k]

The task (rnnviz.training.tasks.CopyTask, "copy", its defaults): a marked symbol (one of 8)
at t = 1, then random symbols on the same input channels for the delay, then a cue at
t = T_x; the network must name the marked symbol. Chance is 12.5%. For each delay (T_x - 1) the same
seeds give every network the same batches, and all train with the same budget (Adam,
lr 0.01, gradients clipped to norm 5, n_a = 32, m = 32, at most --steps steps; a run stops
early once its training accuracy averages >= 99% over 50 steps). Five networks: the
vanilla RNN; the LSTM with its forget-gate bias bf initialised to 1 (f about 0.73) and to 3
(f about 0.95, the gate starts open); the GRU with its update-gate bias bu initialised to -1
(u about 0.27, so 1 - u, the share of a<t-1> kept, about 0.73) and to -3 (1 - u about 0.95):
the same memory bias, forget_bias = 1 or 3. The table shows the accuracy on 1,000 fresh
sequences, mean over seeds, and how many seeds recalled >= 90%. Each run depends only on
its network, delay and seed, so --networks picks columns without changing their figures,
given the same sigmoid/tanh kernel: the engine's two kernels (rnnviz.engine.activations)
agree to float64 round-off, but 1,500 steps of training can amplify that into another
outcome, so the header names the kernel and --kernel fixes it (by default the one the
engine's calibration picked at import, which can differ from run to run). --truncate k
trains with truncated BPTT (rnnviz.engine.truncation): the answer's gradient reaches back k
steps only, so a symbol shown more than k - 1 steps before the cue cannot be learned.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rnnviz.engine import activations  # noqa: E402
from rnnviz.training.settings import TrainConfig  # noqa: E402
from rnnviz.training.tasks import make_task  # noqa: E402
from rnnviz.training.trainer import Trainer  # noqa: E402

SOLVED = 0.9
WINDOW = 50
# name: (column label, cell, memory bias: the LSTM's bf, the GRU's -bu)
NETWORKS = {"rnn": ("RNN", "rnn", 1.0), "lstm1": ("LSTM bf=1", "lstm", 1.0),
            "lstm3": ("LSTM bf=3", "lstm", 3.0), "gru1": ("GRU bu=-1", "gru", 1.0),
            "gru3": ("GRU bu=-3", "gru", 3.0)}


def train_and_test(config: TrainConfig) -> tuple[float, int]:
    """Accuracy on 1,000 fresh sequences after training, and the steps used."""
    trainer = Trainer(config)
    recent: list[float] = []
    for record in trainer:
        if record.diverged:
            break
        recent = (recent + [record.accuracy])[-WINDOW:]
        if len(recent) == WINDOW and np.mean(recent) >= 0.99:
            break
    _, accuracy = trainer.evaluate(m=1000, seed=12345)
    return accuracy, trainer.t


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--delays", type=int, nargs="+", default=[5, 10, 20, 40, 60])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=1500)
    parser.add_argument("--networks", nargs="+", choices=NETWORKS, default=list(NETWORKS))
    parser.add_argument("--kernel", choices=activations.KERNELS, default=activations.KERNEL,
                        help="the engine's sigmoid/tanh kernel (default: the one its "
                             "calibration picked)")
    parser.add_argument("--truncate", type=int, default=0,
                        help="truncated BPTT: the gradient reaches back this many steps "
                             "(default 0: full BPTT)")
    args = parser.parse_args()
    with activations.use_kernel(args.kernel):
        table(args)


def table(args) -> None:
    """Train every network at every delay and seed, printing a row per delay."""
    seeds = range(1, args.seeds + 1)
    networks = [NETWORKS[name] for name in args.networks]
    base = TrainConfig(task="copy", n_a=32, m=32, optimizer="adam", learning_rate=0.01,
                       clip="norm", clip_value=5.0, steps=args.steps, stats_every=0,
                       snapshot_every=args.steps,  # the final parameters only
                       truncate=args.truncate)
    task = make_task(base.task)
    print(f"Delayed recall, {task.symbols} symbols (chance {task.chance:.1%}); n_a={base.n_a}, "
          f"m={base.m}, Adam lr {base.learning_rate:g}, clip norm {base.clip_value:g}, "
          f"<= {base.steps} steps, seeds {list(seeds)}; activation kernel {activations.KERNEL}"
          + (f"; BPTT truncated to {base.truncate} steps" if base.truncate else ""))
    print(f"{'delay':>6} {'T_x':>5} | " + " | ".join(
        f"{label:>9} {'solved':>6} {'steps':>5}" for label, _, _ in networks))
    start, start_cpu = time.perf_counter(), time.process_time()
    for delay in args.delays:
        row = [f"{delay:>6} {delay + 1:>5}"]
        for _, cell, forget_bias in networks:
            results = [train_and_test(base.replace(cell=cell, T_x=delay + 1, seed=seed,
                                                   forget_bias=forget_bias))
                       for seed in seeds]
            accuracy = np.mean([a for a, _ in results])
            solved = sum(a >= SOLVED for a, _ in results)
            steps = np.mean([s for _, s in results])
            row.append(f"{100 * accuracy:>8.0f}% {solved:>4}/{len(results)} {steps:>5.0f}")
        print(" | ".join(row), flush=True)
    print(f"({time.process_time() - start_cpu:.0f} s of CPU time on one thread, "
          f"{time.perf_counter() - start:.0f} s wall clock)")


if __name__ == "__main__":
    main()
