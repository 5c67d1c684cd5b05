"""Numeric signals: next-value prediction on a noisy sine wave."""

from __future__ import annotations

import numpy as np

from rnnviz.engine.losses import Loss
from rnnviz.training.tasks.base import Batch, Task

# ----- noisy sine wave -----------------------------------------------------------------------

class SineTask(Task):
    """Next-step prediction of a noisy sine wave.

    Each example has its own period (uniform in [period_low, period_high] steps) and phase:
    x<t> = sin(w t + phi) + noise<t>, noise ~ N(0, noise^2); the target is the noise-free
    next value sin(w (t + 1) + phi), at every step (squared error, linear output). The first
    steps are guesses; as the hidden state settles on the wave, the error drops.
    """

    name = "sine"
    title = "Noisy sine wave"
    description = ("Watch a wiggly wave and predict where it goes next. The first guesses "
                   "are poor; as the hidden state settles on the rhythm, they improve.")
    T_x_meaning = "T_x is how many samples of the wave the network sees."
    loss = Loss("squared_error", "all")
    n_x = 1
    n_y = 1

    def __init__(self, noise: float = 0.1, period_low: float = 8.0, period_high: float = 24.0):
        if not (np.isfinite(noise) and noise >= 0):
            raise ValueError(f"noise must be 0 or more; got {noise!r}")
        if not 2.0 <= period_low <= period_high:
            raise ValueError("periods must satisfy 2 <= period_low <= period_high")
        self.noise = float(noise)
        self.period_low = float(period_low)
        self.period_high = float(period_high)

    def batch(self, rng: np.random.Generator, m: int, T_x: int) -> Batch:
        """m waves of T_x samples.

        Returns:
            Batch with x (1, m, T_x) and targets (1, m, T_x).
        """
        self.check_batch_size(m, T_x)
        omega = 2 * np.pi / rng.uniform(self.period_low, self.period_high, size=(m, 1))
        phase = rng.uniform(0, 2 * np.pi, size=(m, 1))
        angle = omega * np.arange(T_x + 1)[None, :] + phase  # (m, T_x + 1)
        wave = np.sin(angle)
        x = wave[None, :, :-1] + self.noise * rng.standard_normal((1, m, T_x))
        return Batch(x=x, targets=wave[None, :, 1:].copy())
