"""Does an LSTM trained on the 3-bit flip-flop keep 8 stable fixed points?

Run:  python benchmarks/flipflop_fixed_points.py [--steps 2000] [--n-a 16] [--seed 1]

Trains an LSTM on the flip-flop task (rnnviz.training.tasks.FlipFlopTask: m = 32, T_x = 40,
Adam, learning rate 0.01), measures its accuracy on a fresh batch of 64 sequences of 100
steps, then searches for fixed points with the input at 0 from 256 states those sequences
visited (rnnviz.engine.fixed_points) and prints each one: the outputs W_y a* + b_y there,
stable or not, and its largest |eigenvalue|. Prints the CPU time of training and of the
search.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from rnnviz.engine import forward  # noqa: E402
from rnnviz.engine.fixed_points import find_state_points  # noqa: E402
from rnnviz.training.settings import TrainConfig  # noqa: E402
from rnnviz.training.trainer import Trainer  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--n-a", type=int, default=16)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    config = TrainConfig(task="flipflop", cell="lstm", n_a=args.n_a, m=32, T_x=40,
                         steps=args.steps, learning_rate=0.01, seed=args.seed,
                         snapshot_every=max(1, args.steps // 100))
    trainer = Trainer(config)
    start = time.process_time()
    for _ in range(config.steps):
        record = trainer.step()
    train_s = time.process_time() - start
    batch = trainer.task.batch(np.random.default_rng(5), 64, 100)
    trace = forward(trainer.params, batch.x, output="linear")
    print(f"trained {config.steps} steps in {train_s:.1f} CPU-s; loss {record.loss:.2e}; "
          f"accuracy on 64 fresh sequences of 100 steps: "
          f"{trainer.task.accuracy(trace.y_hat, batch.targets):.4f}")
    states = np.concatenate([trace.a, trace.c]).reshape(2 * args.n_a, -1)
    starts = states[:, np.random.default_rng(0).choice(states.shape[1], 256, replace=False)]
    start = time.process_time()
    points = find_state_points(trainer.params, starts, iterations=1000)
    search_s = time.process_time() - start
    fixed = [p for p in points if p.fixed]
    print(f"fixed-point search: {search_s:.2f} CPU-s; {len(fixed)} fixed points, "
          f"{sum(p.stable for p in fixed)} stable; {len(points) - len(fixed)} slow points")
    for point in fixed:
        outputs = trainer.params.Wy @ point.state[: args.n_a] + trainer.params.by[:, 0]
        print(f"  outputs {np.array2string(outputs, precision=2, suppress_small=True):>24}  "
              f"{'stable  ' if point.stable else 'unstable'}  "
              f"largest |λ| {np.abs(point.eigenvalues[0]):.3f}")
    print(f"load average {', '.join(f'{v:.1f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
