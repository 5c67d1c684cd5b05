"""The Adam update for one array (Kingma & Ba, 2015), shared by every optimizer front end.

Equations, at step t >= 1 with gradient g::

    v     = beta1 v + (1 - beta1) g              first moment
    s     = beta2 s + (1 - beta2) g^2            second moment
    v_hat = v / (1 - beta1^t)                    bias-corrected
    s_hat = s / (1 - beta2^t)
    step  = lr v_hat / (sqrt(s_hat) + eps)       (Kingma & Ba: eps after the root)
    theta = theta - step

The course notebook instead divides by sqrt(s_hat + eps) (eps inside the root); that variant
is available with eps_inside_sqrt=True and changes the first steps when gradients are tiny.
"""

from __future__ import annotations

import numpy as np


def adam_update(theta: np.ndarray, grad: np.ndarray, v: np.ndarray, s: np.ndarray, t: int,
                learning_rate: float = 0.01, beta1: float = 0.9, beta2: float = 0.999,
                epsilon: float = 1e-8, eps_inside_sqrt: bool = False):
    """One Adam step for one array. Does not modify its arguments.

    Args:
        theta: parameter array, any shape.
        grad: dL/dtheta, theta's shape.
        v, s: first and second moments, theta's shape (zeros before the first step).
        t: the step number, counting from 1.
        learning_rate, beta1, beta2, epsilon: Adam's hyper-parameters.
        eps_inside_sqrt: the notebook's variant, sqrt(s_hat + eps).

    Returns:
        (theta_new, v_new, s_new, v_hat, s_hat, step), all theta's shape.
    """
    if t < 1:
        raise ValueError(f"Adam's step counter t starts at 1; got {t}")
    v_new = beta1 * v + (1.0 - beta1) * grad
    s_new = beta2 * s + (1.0 - beta2) * (grad * grad)
    v_hat = v_new / (1.0 - beta1 ** t)
    s_hat = s_new / (1.0 - beta2 ** t)
    denominator = np.sqrt(s_hat + epsilon) if eps_inside_sqrt else np.sqrt(s_hat) + epsilon
    step = learning_rate * v_hat / denominator
    return theta - step, v_new, s_new, v_hat, s_hat, step
