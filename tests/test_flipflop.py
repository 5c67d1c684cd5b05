"""The 3-bit flip-flop end to end: an LSTM trained on it (2,000 steps, about 9 CPU-seconds)
solves it and keeps 8 stable fixed points, one at each setting of the three bits."""

import itertools

import numpy as np

from rnnviz.engine import forward
from rnnviz.engine.fixed_points import find_state_points
from rnnviz.training.settings import TrainConfig
from rnnviz.training.trainer import Trainer


def test_a_trained_lstm_keeps_one_stable_fixed_point_per_setting_of_the_bits():
    config = TrainConfig(task="flipflop", cell="lstm", n_a=16, m=32, T_x=40, steps=2000,
                         learning_rate=0.01, seed=1, snapshot_every=20)
    trainer = Trainer(config)
    for _ in range(config.steps):
        trainer.step()
    batch = trainer.task.batch(np.random.default_rng(5), 64, 100)
    trace = forward(trainer.params, batch.x, output="linear")
    assert trainer.task.accuracy(trace.y_hat, batch.targets) > 0.99
    states = np.concatenate([trace.a, trace.c]).reshape(32, -1)
    starts = states[:, np.random.default_rng(0).choice(states.shape[1], 256, replace=False)]
    stable = [p for p in find_state_points(trainer.params, starts) if p.stable]
    settings = {tuple(np.sign(trainer.params.Wy @ p.state[:16] + trainer.params.by[:, 0]))
                for p in stable}
    assert len(stable) == 8
    assert settings == set(itertools.product((-1.0, 1.0), repeat=3))
